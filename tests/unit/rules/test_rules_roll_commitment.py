"""The roll commitment: RFC 6962 Merkle root over salted, sorted leaves."""

import hashlib

from asamblea.record.commitment import merkle_root, roll_commitment, roll_leaves


def _recursive_mth(leaves):
    # RFC 6962 section 2.1, written literally, as an independent check.
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(
        b"\x01" + _recursive_mth(leaves[:k]) + _recursive_mth(leaves[k:])
    ).digest()


def test_merkle_root_agrees_with_the_recursive_rfc6962_definition():
    for n in [0, 1, 2, 3, 5, 7, 8, 9, 31, 100]:
        leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
        assert merkle_root(leaves) == _recursive_mth(leaves), n


def test_rfc6962_empty_tree_hash():
    assert merkle_root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_commitment_does_not_depend_on_member_order():
    ids = ["aaaa", "bbbb", "cccc"]
    assert roll_commitment("00ff", ids) == roll_commitment("00ff", list(reversed(ids)))


def test_commitment_changes_with_the_salt_and_the_members():
    ids = ["aaaa", "bbbb"]
    assert roll_commitment("00", ids) != roll_commitment("01", ids)
    assert roll_commitment("00", ids) != roll_commitment("00", ["aaaa", "bbbc"])


def test_leaves_are_salted_hashes_sorted():
    leaves = roll_leaves("ab", ["x", "y"])
    assert leaves == sorted(
        [
            hashlib.sha256(bytes.fromhex("ab") + b"x").digest(),
            hashlib.sha256(bytes.fromhex("ab") + b"y").digest(),
        ]
    )
