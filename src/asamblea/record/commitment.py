"""The hiding commitment a frozen roll is published with.

A roll is published as its size and the hex Merkle root of a tree (RFC 6962 hashing: leaf hash
``SHA-256(0x00 || data)``, node hash ``SHA-256(0x01 || left || right)``, split at the largest
power of two below n, empty tree ``SHA-256("")``) whose leaf data are ``SHA-256(salt || public_id)``
for each member, sorted by those bytes. The salt (random, per roll) and the public ids never go on
the record: without the salt the root reveals nothing about who is on the roll, and with the salt
and one's own public id a member can prove inclusion by an audit path. Sorting by the salted hash
hides any order (insertion, alphabetical) the members had.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def roll_leaves(salt_hex: str, public_ids: Iterable[str]) -> list[bytes]:
    """The sorted leaf data ``SHA-256(salt || public_id)`` of a roll."""
    salt = bytes.fromhex(salt_hex)
    return sorted(hashlib.sha256(salt + pid.encode("utf-8")).digest() for pid in public_ids)


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash of ``leaves`` (the leaf data, not yet hashed)."""
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    if not level:
        return hashlib.sha256(b"").digest()
    return _mth(level)


def _mth(nodes: list[bytes]) -> bytes:
    # Iterative form of MTH: split at the largest power of two below n, recursively. Built
    # bottom-up by pairing in place, which gives the same tree as RFC 6962's recursive split
    # (a lone last node is carried up unchanged).
    while len(nodes) > 1:
        paired = [
            hashlib.sha256(b"\x01" + nodes[i] + nodes[i + 1]).digest()
            for i in range(0, len(nodes) - 1, 2)
        ]
        if len(nodes) % 2:
            paired.append(nodes[-1])
        nodes = paired
    return nodes[0]


def roll_commitment(salt_hex: str, public_ids: Iterable[str]) -> str:
    """Hex Merkle root over the roll's salted, sorted leaves."""
    return merkle_root(roll_leaves(salt_hex, public_ids)).hex()


def merkle_root_streamed(leaves: Iterable[bytes]) -> bytes:
    """:func:`merkle_root` of ``leaves`` read once, in order, holding O(log n) hashes.

    A stack of perfect subtrees whose sizes are the binary digits of the count so far: two of
    equal size merge at once; at the end they are folded from the right, which is RFC 6962's
    split at the largest power of two below n (each perfect subtree is the left part of the
    ones after it). Used where a roll has a million entries and sorting happens in the database.
    """
    stack: list[tuple[int, bytes]] = []
    for leaf in leaves:
        size, node = 1, hashlib.sha256(b"\x00" + leaf).digest()
        while stack and stack[-1][0] == size:
            left = stack.pop()[1]
            size, node = 2 * size, hashlib.sha256(b"\x01" + left + node).digest()
        stack.append((size, node))
    if not stack:
        return hashlib.sha256(b"").digest()
    node = stack.pop()[1]
    while stack:
        node = hashlib.sha256(b"\x01" + stack.pop()[1] + node).digest()
    return node


def roll_leaf(salt: bytes, public_id: str) -> bytes:
    """One member's leaf data, ``SHA-256(salt || public_id)`` (what the database computes too)."""
    return hashlib.sha256(salt + public_id.encode("utf-8")).digest()
