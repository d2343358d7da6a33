"""Fiat-Shamir challenges, and the context every proof is bound to.

Strong Fiat-Shamir (Bernhard, Pereira, Warinschi, "How not to prove yourself", 2012): a challenge
hashes the whole statement, not only the commitments. Helios' weak variant let a prover choose the
statement after the commitments, which broke its proofs; Belenios 2.0's specification hashes the
group, the election key and the election fingerprint into every proof (its sections 4.5, 4.12,
4.13, 4.18). We hash, in this order:

    protocol tag, proof tag, group name, context fields..., statement..., commitments...

Context fields for ballots and decryptions (``Context``): the joint public key, the election id
and the question id. For the key generation of a standing board (``BoardContext``): the board id,
the threshold and the number of trustees (there is no joint key yet).

Every part is framed by its length (4 bytes, big-endian) before hashing, so no two different
lists of parts hash the same bytes; Belenios separates parts with ``|`` and ``,`` around decimal
numbers, which is unambiguous only because its numbers have no separators in them. The digest is
SHA-512, reduced mod L by libsodium (Belenios: SHA-256 mod q, which for a 253-bit q would be
visibly biased).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from asamblea.crypto.group import GROUP_NAME, Point, scalar_from_hash

PROTOCOL = b"asamblea/sealed-ballot/v1"


@dataclass(frozen=True)
class Context:
    """What a ballot, tally or decryption proof is bound to; callers must always pass it.

    A proof made under one context fails under any other: another election, another question,
    another key. That is what stops a ballot or a proof being replayed elsewhere.
    """

    election_id: str
    question_id: str
    public_key: Point

    def fields(self) -> tuple[bytes, ...]:
        return (
            b"election",
            bytes(self.public_key),
            self.election_id.encode(),
            self.question_id.encode(),
        )


@dataclass(frozen=True)
class BoardContext:
    """What the key generation of a standing board of trustees is bound to."""

    board_id: str
    threshold: int
    size: int

    def fields(self) -> tuple[bytes, ...]:
        return (
            b"board",
            self.board_id.encode(),
            self.threshold.to_bytes(4, "big"),
            self.size.to_bytes(4, "big"),
        )


def _framed(parts: Iterable[bytes]) -> bytes:
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


@lru_cache(maxsize=64)
def _prefix(tag: str, context: Context | BoardContext) -> Any:
    """The hash state after the parts every proof of one kind under one context starts with
    (copied for each proof: a verifier checks thousands under the same context)."""
    return hashlib.sha512(_framed((PROTOCOL, tag.encode(), GROUP_NAME.encode(), *context.fields())))


def challenge(tag: str, context: Context | BoardContext, *parts: bytes) -> int:
    """The Fiat-Shamir challenge of one proof: SHA-512 of the framed parts, reduced mod L."""
    h = _prefix(tag, context).copy()
    h.update(_framed(parts))
    return scalar_from_hash(h.digest())


def index_bytes(i: int) -> bytes:
    """An index or small count as a hash part (4 bytes, big-endian)."""
    return i.to_bytes(4, "big")
