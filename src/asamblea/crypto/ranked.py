"""Sealed ranked ballots (IRV, STV, Schulze): sealing, verification, canonical JSON, tracking
codes, the check of an opened ballot, the reading of a decrypted ranking, and the stopgap shuffle.

Specification: Belenios 2.0 (S. Glondu), non-homomorphic answers, section 4.11.2, with the
encoding Belenios uses for STV: a ranking of ``c`` candidates over ``R`` rank positions (R <= c,
the election's limit) is sealed as ``R`` ciphertexts, position ``i`` encrypting the number of the
candidate ranked ``i+1``-th (1..c), or 0 for nobody. Each ciphertext carries a disjunctive proof
(section 4.12's ``iprove``, ``proofs.prove_interval``) that it encrypts a value in ``0..c``: that
proves the ballot decrypts to ``R`` small numbers, and (by special soundness) that whoever made it
knew its randomness, so no separate ``prove_randomness`` is attached.

Whether the numbers form a valid ranking (a candidate twice, a gap before a later rank) is NOT
proved: it is decided after decryption by ``ranking_from_values``, and an invalid ranking counts
as spoilt, as Belenios does for its non-homomorphic questions (issue 14, item 1). A well-formedness
proof would be research-grade; a voter who spoils their own ballot harms no one else.

Binding (strong Fiat-Shamir, ``transcript``): each proof hashes the context (group, joint key,
election id, question id), the proof tag ``"rank"``, the ciphertext's position, every ciphertext of
the ballot, the allowed values and all commitments. A proof moved to another position or another
ballot, a ballot lifted into another election or question, or one sealed under another key fails.

Canonical form (``ranking_to_json``), version 1::

    {"v": 1, "kind": "ranked", "election": E, "question": Q,
     "ranks": [[alpha, beta], ...], "proofs": [[[challenge, response], ...], ...]}

points and scalars as base64url without padding, serialised by RFC 8785. The tracking code is
base64url of SHA-256 of those bytes, as for ``ballot``. Every ranking of a question gives bytes of
the same length, so the size of a cast request says nothing of the choice.

Provers (``seal_ranking``) and verifiers (``verify_ranking``,
``check_opened_ranking``, ``ranking_from_json``, ``ranking_from_values``) share no code but group
operations, ``transcript`` and ``proofs``' verifiers (tests/unit/crypto/test_crypto_purity.py).

A ranked ballot's list of rank ciphertexts under the board's key is what the trustees' verifiable
mix (``shuffle``, ADR 0015) takes as input; nothing here shuffles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from asamblea.crypto.elgamal import Ciphertext, encrypt
from asamblea.crypto.group import (
    IDENTITY,
    InvalidPoint,
    Point,
    add,
    b64encode,
    base_mul,
    mul,
    point_from_text,
    point_to_text,
    scalar_from_text,
    scalar_to_text,
)
from asamblea.crypto.proofs import DisjunctiveProof, Proof, prove_interval, verify_interval
from asamblea.crypto.transcript import Context, index_bytes

VERSION = 1
KIND = "ranked"
PROOF_TAG = "rank"


class InvalidRanking(ValueError):
    """A sealed ranked ballot that must not be accepted, with the reason (no secret in it)."""


@dataclass(frozen=True)
class RankedQuestion:
    """The shape of a ranked question: ``candidates`` standing, ``ranks`` positions (R <= c)."""

    question_id: str
    candidates: int
    ranks: int

    def __post_init__(self) -> None:
        if not 1 <= self.ranks <= self.candidates:
            raise ValueError("need 1 <= ranks <= candidates")

    def values(self) -> tuple[int, ...]:
        """What one rank position may encrypt: 0 (nobody) or a candidate's number 1..c."""
        return tuple(range(self.candidates + 1))


@dataclass(frozen=True)
class SealedRanking:
    election_id: str
    question_id: str
    ranks: tuple[Ciphertext, ...]
    proofs: tuple[DisjunctiveProof, ...]


@dataclass(frozen=True)
class RankingOpening:
    """The randomness of each rank's ciphertext: revealed only for a Benaloh challenge (the ballot
    is then spoilt, never cast); otherwise dropped as soon as the ballot is sealed."""

    randomness: tuple[int, ...]


def _context(public_key: Point, election_id: str, question_id: str) -> Context:
    return Context(election_id=election_id, question_id=question_id, public_key=public_key)


def _all_parts(ranks: Sequence[Ciphertext]) -> tuple[bytes, ...]:
    return tuple(part for c in ranks for part in c.parts())


def _position_bound(i: int, everything: tuple[bytes, ...]) -> tuple[bytes, ...]:
    return (index_bytes(i), *everything)


def padded_values(question: RankedQuestion, ranking: Sequence[int]) -> tuple[int, ...]:
    """A ranking (candidate numbers 1..c, best first) as the R values to seal, 0-padded.

    Raises ``ValueError`` for a ranking the question does not allow: the ballot page prevents
    those, and an honest sealer never seals one.
    """
    if len(ranking) > question.ranks:
        raise ValueError(f"{question.question_id}: at most {question.ranks} ranks")
    if any(type(m) is not int or not 1 <= m <= question.candidates for m in ranking):
        raise ValueError(f"{question.question_id}: a candidate number is 1..{question.candidates}")
    if len(set(ranking)) != len(ranking):
        raise ValueError(f"{question.question_id}: a candidate is ranked twice")
    return (*ranking, *([0] * (question.ranks - len(ranking))))


# --- prover --------------------------------------------------------------------------------------


def seal_ranking(
    public_key: Point, election_id: str, question: RankedQuestion, ranking: Sequence[int]
) -> tuple[SealedRanking, RankingOpening]:
    """Seal a ranking (candidate numbers 1..c, best first; empty is a blank ballot)."""
    if public_key == IDENTITY:
        raise ValueError("the identity is no public key: it would encrypt nothing")
    values = padded_values(question, ranking)
    context = _context(public_key, election_id, question.question_id)
    sealed = [encrypt(public_key, m) for m in values]
    ranks = tuple(c for c, _ in sealed)
    everything = _all_parts(ranks)
    allowed = question.values()
    proofs = tuple(
        prove_interval(context, PROOF_TAG, c, r, m, allowed, bound=_position_bound(i, everything))
        for i, ((c, r), m) in enumerate(zip(sealed, values, strict=True))
    )
    opening = RankingOpening(tuple(r for _, r in sealed))
    return SealedRanking(election_id, question.question_id, ranks, proofs), opening


# --- verifiers -----------------------------------------------------------------------------------


def verify_ranking(
    public_key: Point, election_id: str, question: RankedQuestion, ballot: SealedRanking
) -> None:
    """Raises ``InvalidRanking`` unless the ballot has R rank ciphertexts, each proved to encrypt
    0..c under this election, question, key and position. Copies of ciphertexts already cast are
    the caller's to find (``find_copied_rank``)."""
    if public_key == IDENTITY:
        raise InvalidRanking("the identity is no public key: it would encrypt nothing")
    if ballot.election_id != election_id:
        raise InvalidRanking("ballot sealed for another election")
    qid = question.question_id
    if ballot.question_id != qid:
        raise InvalidRanking(f"ballot for {ballot.question_id!r} where {qid!r} was expected")
    if len(ballot.ranks) != question.ranks or len(ballot.proofs) != question.ranks:
        raise InvalidRanking(f"{qid}: {question.ranks} rank ciphertexts and proofs expected")
    allowed = tuple(range(question.candidates + 1))
    if any(len(p) != len(allowed) for p in ballot.proofs):
        raise InvalidRanking(f"{qid}: a rank proof has the wrong number of branches")
    try:
        _verify_ranks(public_key, election_id, qid, allowed, ballot)
    except InvalidPoint as exc:
        # Only a ballot built in memory gets here: ranking_from_json decodes every point.
        raise InvalidRanking("a point is not a valid encoding") from exc


def _verify_ranks(
    public_key: Point,
    election_id: str,
    qid: str,
    allowed: tuple[int, ...],
    ballot: SealedRanking,
) -> None:
    alphas: set[bytes] = set()
    for c in ballot.ranks:
        # alpha = g^0 would leave beta = g^m readable by anyone.
        if c.alpha == IDENTITY:
            raise InvalidRanking(f"{qid}: a ciphertext was made without randomness")
        if bytes(c.alpha) in alphas:
            raise InvalidRanking(f"{qid}: the same ciphertext appears twice in the ballot")
        alphas.add(bytes(c.alpha))
    context = _context(public_key, election_id, qid)
    everything = tuple(part for c in ballot.ranks for part in c.parts())
    for i, (c, proof) in enumerate(zip(ballot.ranks, ballot.proofs, strict=True)):
        if not verify_interval(
            context, PROOF_TAG, c, allowed, proof, bound=(index_bytes(i), *everything)
        ):
            raise InvalidRanking(f"{qid}: rank {i + 1} is not proved to hold 0..{allowed[-1]}")


def check_opened_ranking(
    public_key: Point, ballot: SealedRanking, values: Sequence[int], opening: RankingOpening
) -> bool:
    """Benaloh challenge: True if each rank ciphertext is exactly ``(g^r, y^r g^m)`` for the
    revealed r and the claimed value m (the 0-padded ranking). Group operations only."""
    if not len(ballot.ranks) == len(values) == len(opening.randomness):
        return False
    for c, m, r in zip(ballot.ranks, values, opening.randomness, strict=True):
        if type(m) is not int or m < 0:
            return False
        if c.alpha != base_mul(r) or c.beta != add(mul(r, public_key), base_mul(m)):
            return False
    return True


def cast_fingerprints(ballot: SealedRanking) -> tuple[bytes, ...]:
    """The alpha of every rank ciphertext: a repeat across ballots is a copied ciphertext
    (Cortier-Smyth), refused at cast and by the verifier, as in ``ballot.cast_fingerprints``."""
    return tuple(bytes(c.alpha) for c in ballot.ranks)


def find_copied_rank(ballot: SealedRanking, already_cast: Container[bytes]) -> bytes | None:
    for c in ballot.ranks:
        if bytes(c.alpha) in already_cast:
            return bytes(c.alpha)
    return None


def ranking_from_values(values: Sequence[int], candidates: int) -> tuple[int, ...] | None:
    """The ranking a decrypted ballot holds (candidate numbers, best first), or None if it is
    spoilt: a number above ``candidates``, a candidate twice, or a rank after an empty one."""
    ranking: list[int] = []
    ended = False
    for m in values:
        if m == 0:
            ended = True
            continue
        if ended or not 1 <= m <= candidates or m in ranking:
            return None
        ranking.append(m)
    return tuple(ranking)


# --- canonical JSON ------------------------------------------------------------------------------


def ranking_to_json(ballot: SealedRanking) -> dict[str, Any]:
    return {
        "v": VERSION,
        "kind": KIND,
        "election": ballot.election_id,
        "question": ballot.question_id,
        "ranks": [[point_to_text(c.alpha), point_to_text(c.beta)] for c in ballot.ranks],
        "proofs": [
            [[scalar_to_text(p.challenge), scalar_to_text(p.response)] for p in proof]
            for proof in ballot.proofs
        ],
    }


def canonical_bytes(ballot: SealedRanking) -> bytes:
    return bytes(rfc8785.dumps(ranking_to_json(ballot)))


def tracking_code(ballot: SealedRanking) -> str:
    return b64encode(hashlib.sha256(canonical_bytes(ballot)).digest())


_KEYS = {"v", "kind", "election", "question", "ranks", "proofs"}


def _list(obj: Any, what: str) -> list[Any]:
    if type(obj) is not list:
        raise InvalidRanking(f"{what}: expected a list")
    return obj


def _str(obj: Any, what: str) -> str:
    if type(obj) is not str:
        raise InvalidRanking(f"{what}: expected a string")
    return obj


def ranking_from_json(obj: Any) -> SealedRanking:
    """Strict parse of ``ranking_to_json``'s form: any other key, type or spelling is refused,
    and every point is checked to be a valid ristretto255 encoding before any arithmetic."""
    if type(obj) is not dict or set(obj) != _KEYS:
        raise InvalidRanking(f"ranked ballot: keys must be exactly {sorted(_KEYS)}")
    if type(obj["v"]) is not int or obj["v"] != VERSION:
        raise InvalidRanking(f"unknown ranked ballot format version {obj['v']!r}")
    if obj["kind"] != KIND:
        raise InvalidRanking(f"kind must be {KIND!r}")
    try:
        ranks = []
        for pair in _list(obj["ranks"], "ranks"):
            if type(pair) is not list or len(pair) != 2:
                raise InvalidRanking("a ciphertext is [alpha, beta]")
            ranks.append(
                Ciphertext(
                    point_from_text(_str(pair[0], "alpha")), point_from_text(_str(pair[1], "beta"))
                )
            )
        proofs = []
        for proof in _list(obj["proofs"], "proofs"):
            branches = []
            for branch in _list(proof, "proof"):
                if type(branch) is not list or len(branch) != 2:
                    raise InvalidRanking("a proof branch is [challenge, response]")
                branches.append(
                    Proof(
                        scalar_from_text(_str(branch[0], "challenge")),
                        scalar_from_text(_str(branch[1], "response")),
                    )
                )
            proofs.append(tuple(branches))
        return SealedRanking(
            _str(obj["election"], "election"),
            _str(obj["question"], "question"),
            tuple(ranks),
            tuple(proofs),
        )
    except InvalidRanking:
        raise
    except ValueError as exc:
        # InvalidPoint, InvalidScalar and bad base64url are all ValueErrors.
        raise InvalidRanking(f"bad encoding: {exc}") from exc
