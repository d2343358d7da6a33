"""The Merkle log against a literal transcription of RFC 6962's recursive definitions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asamblea.record import merkle
from asamblea.record.merkle import MemoryTree


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = _k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def tree_of(d: list[bytes]) -> MemoryTree:
    tree = MemoryTree()
    for item in d:
        tree.append_data(item)
    return tree


def data(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


# Test vector data of RFC 6962's reference implementation (certificate-transparency, merkle
# tree tests): the root of these eight leaves is published there.
RFC_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]


def test_empty_tree_root_is_the_hash_of_nothing():
    assert MemoryTree().root().hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_root_of_the_reference_eight_leaves_matches_the_published_value():
    assert tree_of(RFC_LEAVES).root().hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@pytest.mark.parametrize("n", range(0, 40))
def test_root_of_every_prefix_matches_the_recursive_definition(n):
    d = data(n)
    tree = tree_of(data(45))
    assert tree.root(n) == ref_mth(d)


@pytest.mark.parametrize("n", range(1, 34))
def test_inclusion_proofs_match_the_recursive_definition_and_verify(n):
    d = data(n)
    tree = tree_of(d)
    for m in range(n):
        proof = tree.inclusion_proof(m)
        assert proof == ref_path(m, d)
        assert merkle.verify_inclusion(tree.leaf(m), m, n, proof, tree.root())


@pytest.mark.parametrize("n", range(1, 34))
def test_consistency_proofs_match_the_recursive_definition_and_verify(n):
    d = data(n)
    tree = tree_of(d)
    for m in range(1, n + 1):
        proof = tree.consistency_proof(m, n)
        expected = [] if m == n else ref_subproof(m, d, True)
        assert proof == expected
        assert merkle.verify_consistency(m, n, tree.root(m), tree.root(n), proof)


@given(st.integers(1, 300), st.data())
def test_a_proof_fails_against_any_other_leaf_index_or_root(n, draw):
    tree = tree_of(data(n))
    m = draw.draw(st.integers(0, n - 1))
    proof = tree.inclusion_proof(m)
    other = draw.draw(st.integers(0, n - 1).filter(lambda x: x != m)) if n > 1 else None
    if other is not None:
        assert not merkle.verify_inclusion(tree.leaf(other), m, n, proof, tree.root())
        assert not merkle.verify_inclusion(tree.leaf(m), other, n, proof, tree.root())
    assert not merkle.verify_inclusion(tree.leaf(m), m, n, proof, bytes(32))


@given(st.integers(2, 300), st.data())
def test_consistency_fails_for_a_different_tree_of_the_same_size(n, draw):
    m = draw.draw(st.integers(1, n - 1))
    honest = tree_of(data(n))
    forged_data = data(n)
    forged_data[draw.draw(st.integers(0, m - 1))] = b"rewritten"
    forged = tree_of(forged_data)
    proof = honest.consistency_proof(m, n)
    assert merkle.verify_consistency(m, n, honest.root(m), honest.root(n), proof)
    assert not merkle.verify_consistency(m, n, forged.root(m), honest.root(n), proof)
    assert not merkle.verify_consistency(m, n, honest.root(m), forged.root(n), proof)


def test_proof_length_grows_with_the_logarithm_of_the_size():
    tree = tree_of(data(4097))
    for n in (2, 16, 256, 4096):
        assert len(tree.inclusion_proof(n - 1, n)) == n.bit_length() - 1
    assert len(tree.inclusion_proof(0, 4097)) == 13
    assert len(tree.consistency_proof(1000, 4097)) <= 2 * 13


def test_nodes_needed_names_exactly_what_a_proof_reads():
    tree = tree_of(data(100))
    needed = merkle.nodes_needed(lambda node: merkle.inclusion_proof(node, 37, 100))
    stored = {key: tree.node(*key) for key in needed}
    assert merkle.inclusion_proof(lambda lv, i: stored[(lv, i)], 37, 100) == tree.inclusion_proof(
        37
    )
    assert len(needed) <= 2 * 7


def test_hashes_for_append_build_the_same_nodes_as_the_memory_tree():
    tree = MemoryTree()
    stored: dict[tuple[int, int], bytes] = {}
    for i, item in enumerate(data(70)):
        leaf = merkle.leaf_hash(item)
        for level, idx, h in merkle.hashes_for_append(i, leaf, lambda lv, j: stored[(lv, j)]):
            stored[(level, idx)] = h
        tree.append(leaf)
    for (level, idx), h in stored.items():
        assert tree.node(level, idx) == h
    assert merkle.root(lambda lv, j: stored[(lv, j)], 70) == tree.root()
