"""The streamed roll commitment (issue 15): same root as the in-memory one, O(log n) held."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from asamblea.record.commitment import (
    merkle_root,
    merkle_root_streamed,
    roll_commitment,
    roll_leaf,
    roll_leaves,
)


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=300))
def test_the_streamed_root_equals_rfc6962s_recursive_split(leaves):
    leaves = sorted(leaves)
    assert merkle_root_streamed(iter(leaves)) == merkle_root(leaves)


def test_every_size_up_to_130_leaves_agrees_including_the_empty_tree():
    for n in range(131):
        leaves = sorted(hashlib.sha256(str(i).encode()).digest() for i in range(n))
        assert merkle_root_streamed(leaves) == merkle_root(leaves), n


def test_a_roll_leaf_is_the_salted_hash_the_commitment_sorts():
    salt = "ab" * 32
    ids = ["M1", "m2", "ñandú"]
    leaves = sorted(roll_leaf(bytes.fromhex(salt), pid) for pid in ids)
    assert leaves == roll_leaves(salt, ids)
    assert merkle_root_streamed(leaves).hex() == roll_commitment(salt, ids)


def test_three_leaves_fold_from_the_right():
    a, b, c = (bytes([i]) * 32 for i in range(3))
    h = hashlib.sha256
    la, lb, lc = (h(b"\x00" + x).digest() for x in (a, b, c))
    expected = h(b"\x01" + h(b"\x01" + la + lb).digest() + lc).digest()
    assert merkle_root_streamed([a, b, c]) == expected
