"""Sealed ballots for yes/no, plurality and approval votes: sealing, verification, canonical JSON,
tracking codes, the encrypted tally, and the detection of copied ciphertexts.

Specification: Belenios 2.0 (S. Glondu), homomorphic answers, section 4.11.1. A question with
``choices`` answers is sealed as one ciphertext per answer (1 if chosen, else 0), each with a
disjunctive proof that it encrypts 0 or 1 (``choice_proofs``), and one proof that the sum of the
ciphertexts encrypts a value in ``min..max`` (``overall_proof``), both section 4.12's ``iprove``.
Shapes used here:

- yes/no: two answers (yes, no), 0..1 selected; neither is an abstention (a blank ballot).
- plurality: n answers, 0..1 selected when blank is allowed (1..1 otherwise).
- approval: n answers, 0..m selected.

A blank ballot is every answer 0, counted as ballots minus the answers' totals; this is Belenios'
non-blank case of 4.11.1 with ``min = 0``, which proves the same statement as its blank proofs of
4.13 at a third less work.

No separate proof of knowledge of the randomness is attached: each disjunctive proof already is
one (special soundness extracts r from two of its transcripts), Belenios attaches none to
homomorphic answers, and with strong Fiat-Shamir that is what makes the encryption
non-malleable (Bernhard, Pereira, Warinschi 2012). ``proofs.prove_randomness`` is there for ranked
ballots, as Belenios uses it in 4.11.2.

Binding (strong Fiat-Shamir): every proof of an answer hashes the context (group, joint key,
election id, question id), the allowed values, all the answer's ciphertexts, the index of the
ciphertext it is about, and all its commitments. An answer lifted into another election, another
question or another ballot, or an individual proof moved from one ballot to another, fails.

Canonical form (``ballot_to_json``): JSON with only objects, arrays, strings and one integer
(``"v"``, the format version); points and scalars as base64url without padding (43 characters);
serialised by RFC 8785 (the record's own canonicalisation). The tracking code (Belenios'
"smart ballot tracker", 4.15) is base64url of SHA-256 of those bytes. It reveals nothing: the
ballot it names is public on the record and reveals nothing itself.

Provers (``seal_ballot``) and verifiers (``verify_ballot``, ``check_opened_ballot``,
``find_copied``) share no code but group operations, ``transcript`` and ``proofs``' verifiers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from asamblea.crypto.elgamal import Ciphertext, encrypt, sum_ciphertexts
from asamblea.crypto.group import (
    IDENTITY,
    ORDER,
    InvalidPoint,
    Point,
    PointSum,
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
CHOICE_VALUES = (0, 1)


class InvalidBallot(ValueError):
    """A sealed ballot that must not be accepted, with the reason (safe to show: no secret)."""


@dataclass(frozen=True)
class Question:
    """The shape of one question: how many answers, and how many may be selected."""

    question_id: str
    choices: int
    min_selected: int
    max_selected: int

    def __post_init__(self) -> None:
        if self.choices < 1 or not 0 <= self.min_selected <= self.max_selected <= self.choices:
            raise ValueError("need 1 <= choices and 0 <= min_selected <= max_selected <= choices")

    @classmethod
    def yes_no(cls, question_id: str) -> Question:
        """Answers (yes, no); selecting neither abstains."""
        return cls(question_id, 2, 0, 1)

    @classmethod
    def plurality(cls, question_id: str, candidates: int, allow_blank: bool = True) -> Question:
        return cls(question_id, candidates, 0 if allow_blank else 1, 1)

    @classmethod
    def approval(cls, question_id: str, candidates: int, max_selected: int) -> Question:
        return cls(question_id, candidates, 0, max_selected)

    def allowed_totals(self) -> tuple[int, ...]:
        return tuple(range(self.min_selected, self.max_selected + 1))


@dataclass(frozen=True)
class SealedAnswer:
    question_id: str
    choices: tuple[Ciphertext, ...]
    choice_proofs: tuple[DisjunctiveProof, ...]
    overall_proof: DisjunctiveProof


@dataclass(frozen=True)
class SealedBallot:
    election_id: str
    answers: tuple[SealedAnswer, ...]


@dataclass(frozen=True)
class BallotOpening:
    """The randomness of every ciphertext of a ballot, per question.

    Revealed only for a Benaloh challenge (the ballot is then spoilt, never cast); otherwise it is
    dropped as soon as the ballot is sealed, since it decrypts the ballot.
    """

    randomness: tuple[tuple[int, ...], ...]


def _context(public_key: Point, election_id: str, question_id: str) -> Context:
    return Context(election_id=election_id, question_id=question_id, public_key=public_key)


def _answer_parts(choices: Sequence[Ciphertext]) -> tuple[bytes, ...]:
    return tuple(part for c in choices for part in c.parts())


def _choice_bound(i: int, everything: tuple[bytes, ...]) -> tuple[bytes, ...]:
    return (index_bytes(i), *everything)


# --- prover --------------------------------------------------------------------------------------


def seal_ballot(
    public_key: Point,
    election_id: str,
    questions: Sequence[Question],
    selections: Sequence[Sequence[int]],
) -> tuple[SealedBallot, BallotOpening]:
    """Seal one 0/1 vector per question. The opening is for a Benaloh challenge only.

    Raises ``ValueError`` for a selection the question does not allow: that is the page's job to
    prevent, and a sealed ballot must never carry an invalid choice.
    """
    if len(questions) != len(selections):
        raise ValueError("one selection per question")
    if public_key == IDENTITY:
        raise ValueError("the identity is no public key: it would encrypt nothing")
    answers = []
    openings = []
    for question, selection in zip(questions, selections, strict=True):
        if len(selection) != question.choices or any(m not in CHOICE_VALUES for m in selection):
            raise ValueError(f"{question.question_id}: a 0/1 value per answer")
        if sum(selection) not in question.allowed_totals():
            raise ValueError(f"{question.question_id}: number of answers selected not allowed")
        context = _context(public_key, election_id, question.question_id)
        sealed = [encrypt(public_key, m) for m in selection]
        choices = tuple(c for c, _ in sealed)
        randomness = tuple(r for _, r in sealed)
        everything = _answer_parts(choices)
        choice_proofs = tuple(
            prove_interval(
                context, "choice", c, r, m, CHOICE_VALUES, bound=_choice_bound(i, everything)
            )
            for i, ((c, r), m) in enumerate(zip(sealed, selection, strict=True))
        )
        overall_proof = prove_interval(
            context,
            "overall",
            sum_ciphertexts(choices),
            sum(randomness) % ORDER,
            sum(selection),
            question.allowed_totals(),
            bound=everything,
        )
        answers.append(SealedAnswer(question.question_id, choices, choice_proofs, overall_proof))
        openings.append(randomness)
    return SealedBallot(election_id, tuple(answers)), BallotOpening(tuple(openings))


# --- verifiers -----------------------------------------------------------------------------------


def _check_shape(question: Question, answer: SealedAnswer) -> None:
    qid = question.question_id
    if answer.question_id != qid:
        raise InvalidBallot(f"answer for {answer.question_id!r} where {qid!r} was expected")
    if len(answer.choices) != question.choices or len(answer.choice_proofs) != question.choices:
        raise InvalidBallot(f"{qid}: {question.choices} ciphertexts and proofs expected")
    if any(len(p) != len(CHOICE_VALUES) for p in answer.choice_proofs):
        raise InvalidBallot(f"{qid}: a choice proof has the wrong number of branches")
    if len(answer.overall_proof) != len(question.allowed_totals()):
        raise InvalidBallot(f"{qid}: the overall proof has the wrong number of branches")


def verify_ballot(
    public_key: Point, election_id: str, questions: Sequence[Question], ballot: SealedBallot
) -> None:
    """Raises ``InvalidBallot`` unless every answer is well formed and every proof holds.

    Copies of ciphertexts already cast are the caller's to check (``find_copied``): that needs the
    election's other ballots.
    """
    if public_key == IDENTITY:
        raise InvalidBallot("the identity is no public key: it would encrypt nothing")
    if ballot.election_id != election_id:
        raise InvalidBallot("ballot sealed for another election")
    if len(ballot.answers) != len(questions):
        raise InvalidBallot(f"{len(questions)} answers expected")
    try:
        _verify_answers(public_key, election_id, questions, ballot)
    except InvalidPoint as exc:
        # Only a ballot built in memory can get here: ballot_from_json decodes every point.
        raise InvalidBallot("a point is not a valid encoding") from exc


def _verify_answers(
    public_key: Point, election_id: str, questions: Sequence[Question], ballot: SealedBallot
) -> None:
    alphas: set[bytes] = set()
    for question, answer in zip(questions, ballot.answers, strict=True):
        _check_shape(question, answer)
        qid = question.question_id
        for c in answer.choices:
            # alpha = g^r with r = 0 is a plaintext in disguise: beta = g^m for all to read.
            if c.alpha == IDENTITY:
                raise InvalidBallot(f"{qid}: a ciphertext was made without randomness")
            if c.alpha in alphas:
                raise InvalidBallot(f"{qid}: the same ciphertext appears twice in the ballot")
            alphas.add(c.alpha)
        context = _context(public_key, election_id, qid)
        everything = _answer_parts(answer.choices)
        for i, (c, proof) in enumerate(zip(answer.choices, answer.choice_proofs, strict=True)):
            if not verify_interval(
                context, "choice", c, CHOICE_VALUES, proof, bound=_choice_bound(i, everything)
            ):
                raise InvalidBallot(f"{qid}: answer {i} is not proved to be 0 or 1")
        total = sum_ciphertexts(answer.choices)
        if not verify_interval(
            context,
            "overall",
            total,
            question.allowed_totals(),
            answer.overall_proof,
            bound=everything,
        ):
            raise InvalidBallot(f"{qid}: the number of answers selected is not proved allowed")


def check_opened_ballot(
    public_key: Point,
    ballot: SealedBallot,
    selections: Sequence[Sequence[int]],
    opening: BallotOpening,
) -> bool:
    """Benaloh challenge: True if the ballot encrypts exactly ``selections`` with that randomness.

    Recomputes each ciphertext from group operations only: a check must not run the sealing code
    it is checking.
    """
    if len(ballot.answers) != len(selections) or len(opening.randomness) != len(selections):
        return False
    for answer, selection, randomness in zip(
        ballot.answers, selections, opening.randomness, strict=True
    ):
        if not len(answer.choices) == len(selection) == len(randomness):
            return False
        for c, m, r in zip(answer.choices, selection, randomness, strict=True):
            if c.alpha != base_mul(r) or c.beta != add(mul(r, public_key), base_mul(m)):
                return False
    return True


def cast_fingerprints(ballot: SealedBallot) -> tuple[bytes, ...]:
    """The alpha of every ciphertext: what identifies a ciphertext as already cast.

    An honest sealer draws fresh randomness for every ciphertext, so an alpha never repeats (a
    collision has probability about 2^-252). A repeated alpha is a copied ciphertext (the
    ballot-copying attack of Cortier and Smyth, which lets a voter's choice be replayed to learn
    it) or a broken random generator; both must be refused. Keying on alpha alone also catches
    a copy whose beta was altered, whose proofs would fail anyway.
    """
    return tuple(bytes(c.alpha) for answer in ballot.answers for c in answer.choices)


def find_copied(ballot: SealedBallot, already_cast: Container[bytes]) -> bytes | None:
    """The first fingerprint of ``ballot`` already cast in the election, or None."""
    for fp in cast_fingerprints(ballot):
        if fp in already_cast:
            return fp
    return None


def encrypted_tally(answers: Iterable[SealedAnswer], question: Question) -> tuple[Ciphertext, ...]:
    """Belenios 4.16: the pointwise sum of every ballot's ciphertexts for one question."""
    sums = [(PointSum(), PointSum()) for _ in range(question.choices)]
    for answer in answers:
        if answer.question_id != question.question_id:
            raise ValueError("answer to another question")
        for (alphas, betas), c in zip(sums, answer.choices, strict=True):
            alphas.add(c.alpha)
            betas.add(c.beta)
    return tuple(Ciphertext(alphas.value(), betas.value()) for alphas, betas in sums)


# --- canonical JSON ------------------------------------------------------------------------------


def _proof_json(proof: DisjunctiveProof) -> list[list[str]]:
    return [[scalar_to_text(p.challenge), scalar_to_text(p.response)] for p in proof]


def ballot_to_json(ballot: SealedBallot) -> dict[str, Any]:
    return {
        "v": VERSION,
        "election": ballot.election_id,
        "answers": [
            {
                "question": a.question_id,
                "choices": [[point_to_text(c.alpha), point_to_text(c.beta)] for c in a.choices],
                "choice_proofs": [_proof_json(p) for p in a.choice_proofs],
                "overall_proof": _proof_json(a.overall_proof),
            }
            for a in ballot.answers
        ],
    }


# RFC 8785 (JCS) for the values a sealed ballot's JSON holds: objects with ASCII keys, lists,
# strings and the integer version. For these JCS is sorted keys, no whitespace, UTF-8 and only
# the mandatory escapes, which is what the standard library's encoder writes with these options
# (tests compare it with the rfc8785 package, escapes and non-ASCII text included); it costs a
# tenth of rfc8785's pure-Python encoder on the cast path and in every verification (issue 15).
_JCS = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_bytes(ballot: SealedBallot) -> bytes:
    return _JCS.encode(ballot_to_json(ballot)).encode()


def canonical_bytes_rfc8785(ballot: SealedBallot) -> bytes:
    """The same bytes through the rfc8785 package (the reference the tests hold the fast
    encoder to)."""
    return bytes(rfc8785.dumps(ballot_to_json(ballot)))


def tracking_code(ballot: SealedBallot) -> str:
    return b64encode(hashlib.sha256(canonical_bytes(ballot)).digest())


def _expect(obj: Any, kind: type, what: str) -> Any:
    if type(obj) is not kind:
        raise InvalidBallot(f"{what}: expected {kind.__name__}")
    return obj


def _keys(obj: Any, keys: set[str], what: str) -> dict[str, Any]:
    d: dict[str, Any] = _expect(obj, dict, what)
    if set(d) != keys:
        raise InvalidBallot(f"{what}: keys must be exactly {sorted(keys)}")
    return d


def _proof_from_json(obj: Any, what: str) -> DisjunctiveProof:
    branches = []
    for branch in _expect(obj, list, what):
        pair = _expect(branch, list, what)
        if len(pair) != 2:
            raise InvalidBallot(f"{what}: a proof is [challenge, response]")
        branches.append(Proof(scalar_from_text(pair[0]), scalar_from_text(pair[1])))
    return tuple(branches)


def ballot_from_json(obj: Any) -> SealedBallot:
    """Strict parse of ``ballot_to_json``'s form: any other key, type or spelling is refused, and
    every point is checked to be a valid ristretto255 encoding before any arithmetic."""
    try:
        d = _keys(obj, {"v", "election", "answers"}, "ballot")
        if type(d["v"]) is not int or d["v"] != VERSION:
            raise InvalidBallot(f"unknown ballot format version {d['v']!r}")
        answers = []
        for raw in _expect(d["answers"], list, "answers"):
            a = _keys(raw, {"question", "choices", "choice_proofs", "overall_proof"}, "answer")
            choices = []
            for pair in _expect(a["choices"], list, "choices"):
                if type(pair) is not list or len(pair) != 2:
                    raise InvalidBallot("a ciphertext is [alpha, beta]")
                choices.append(Ciphertext(point_from_text(pair[0]), point_from_text(pair[1])))
            answers.append(
                SealedAnswer(
                    _expect(a["question"], str, "question"),
                    tuple(choices),
                    tuple(
                        _proof_from_json(p, "choice proof")
                        for p in _expect(a["choice_proofs"], list, "choice proofs")
                    ),
                    _proof_from_json(a["overall_proof"], "overall proof"),
                )
            )
        return SealedBallot(_expect(d["election"], str, "election"), tuple(answers))
    except InvalidBallot:
        raise
    except ValueError as exc:
        # InvalidPoint, InvalidScalar and bad base64url are all ValueErrors.
        raise InvalidBallot(f"bad encoding: {exc}") from exc
