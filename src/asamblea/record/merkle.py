"""The Merkle log of RFC 6962 / RFC 9162 (section 2.1): tree hashes, inclusion and consistency.

Hashing: leaf ``SHA-256(0x00 || data)``, node ``SHA-256(0x01 || left || right)``, the tree of ``n``
leaves split at the largest power of two below ``n``, empty tree ``SHA-256("")``.

Storage model: every split the RFC makes cuts a range into a *perfect* left part aligned on its own
size and a right part. So every hash a root or a proof needs is a combination of at most
``log2(n)`` perfect subtrees, named ``(level, index)``: the subtree of ``2**level`` leaves starting
at leaf ``index * 2**level``. A store keeps each perfect subtree hash once, when it completes, so
appending costs one leaf hash plus on average one node hash, and a root or a proof reads
``O(log n)`` stored hashes. :class:`MemoryTree` is that store in memory; asamblea.recordstore
keeps the same nodes in the database.

Generation works against any ``node(level, index) -> bytes`` getter; :func:`nodes_needed` tells a
database store which nodes to fetch in one query before it runs the same function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeGetter = Callable[[int, int], bytes]
NodeKey = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(node: NodeGetter, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) from stored perfect subtrees (``lo < hi``)."""
    n = hi - lo
    if n & (n - 1) == 0 and lo % n == 0:
        return node(n.bit_length() - 1, lo // n)
    # Right edge of a tree: fold the perfect parts of [lo, hi) from the right.
    parts: list[bytes] = []
    while True:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            parts.append(node(n.bit_length() - 1, lo // n))
            break
        k = _split(n)
        parts.append(subtree_hash(node, lo, lo + k))
        lo += k
    acc = parts.pop()
    while parts:
        acc = node_hash(parts.pop(), acc)
    return acc


def root(node: NodeGetter, size: int) -> bytes:
    """The tree head of the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return subtree_hash(node, 0, size)


def inclusion_proof(node: NodeGetter, index: int, size: int) -> list[bytes]:
    """RFC 6962 PATH(index, D[0:size]): the audit path, from the leaf upwards."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(subtree_hash(node, lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree_hash(node, lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_proof(node: NodeGetter, first: int, second: int) -> list[bytes]:
    """RFC 6962 PROOF(first, D[0:second]) (empty when ``first`` is 0 or equals ``second``)."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to {second}")
    if first == 0 or first == second:
        return []
    proof: list[bytes] = []
    lo, hi, m = 0, second, first
    whole = True  # SUBPROOF's b: is [lo, hi) still aligned on the start of the first tree?
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(subtree_hash(node, lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree_hash(node, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(subtree_hash(node, lo, hi))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2 (plus the trivial cases of equal sizes and the empty tree)."""
    if first < 0 or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def nodes_needed(run: Callable[[NodeGetter], object]) -> set[NodeKey]:
    """The stored nodes ``run`` reads (the algorithms above never branch on hash values)."""
    seen: set[NodeKey] = set()

    def record(level: int, index: int) -> bytes:
        seen.add((level, index))
        return bytes(HASH_SIZE)

    run(record)
    return seen


def completed_by_append(index: int) -> list[NodeKey]:
    """Perfect subtrees (level >= 1) that appending leaf ``index`` completes, lowest first."""
    out = []
    size, level = index + 1, 1
    while size % (1 << level) == 0:
        out.append((level, (size >> level) - 1))
        level += 1
    return out


def left_siblings_for_append(index: int) -> list[NodeKey]:
    """The stored nodes needed to compute :func:`completed_by_append` (their left halves)."""
    return [(level - 1, 2 * i) for level, i in completed_by_append(index)]


def hashes_for_append(index: int, leaf: bytes, node: NodeGetter) -> list[tuple[int, int, bytes]]:
    """The new stored nodes ``(level, index, hash)`` after appending ``leaf`` at ``index``."""
    new = [(0, index, leaf)]
    acc = leaf
    for level, i in completed_by_append(index):
        acc = node_hash(node(level - 1, 2 * i), acc)
        new.append((level, i, acc))
    return new


class MemoryTree:
    """An append-only tree keeping every perfect subtree hash, one flat buffer per level.

    About 64 bytes per leaf in total (a million leaves: ~64 MB).
    """

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]

    @property
    def size(self) -> int:
        return len(self._levels[0]) // HASH_SIZE

    def append(self, leaf: bytes) -> int:
        """Append a leaf hash; returns its index."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash has 32 bytes")
        index = self.size
        acc = leaf
        self._levels[0] += leaf
        level = 0
        while (len(self._levels[level]) // HASH_SIZE) % 2 == 0:
            buf = self._levels[level]
            acc = node_hash(bytes(buf[-2 * HASH_SIZE : -HASH_SIZE]), acc)
            level += 1
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += acc
        return index

    def append_data(self, data: bytes) -> int:
        return self.append(leaf_hash(data))

    def node(self, level: int, index: int) -> bytes:
        if level >= len(self._levels):
            raise KeyError((level, index))
        buf = self._levels[level]
        start = index * HASH_SIZE
        if index < 0 or start + HASH_SIZE > len(buf):
            raise KeyError((level, index))
        return bytes(buf[start : start + HASH_SIZE])

    def leaf(self, index: int) -> bytes:
        return self.node(0, index)

    def root(self, size: int | None = None) -> bytes:
        return root(self.node, self.size if size is None else self._check(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self.node, index, self.size if size is None else self._check(size))

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self.size if second is None else self._check(second)
        return consistency_proof(self.node, first, second)

    def _check(self, size: int) -> int:
        if not 0 <= size <= self.size:
            raise ValueError(f"the tree has {self.size} leaves, not {size}")
        return size
