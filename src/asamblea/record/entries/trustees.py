"""The trustees' record entries, and the JSON forms of their cryptographic messages.

A standing board's whole key generation (Belenios 2.0 section 3.1.1, messages of 4.6) is on the
record: the board as named, every certificate, polynomial and verification key, and the board
when assembled with its joint key. A decryption is on the record as the request (subject, board,
the ciphertexts of the totals in chunks of at most :data:`CHUNK`), each trustee's partial
decryption with its proofs (chunked the same way) and the completion. From these alone
``asamblea.record.recount_trustees`` re-assembles every board and checks every partial
decryption and combination offline.

The JSON forms (``*_to_json`` / ``*_from_json``) are the wire format too: the command line, the
browser and the API send exactly these objects. Parsing is strict: exact keys, canonical
base64url points and scalars (:mod:`asamblea.crypto.group`), and any failure raises
:class:`MessageError` naming the place.

Pure: no Django.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import (
    Point,
    b64decode,
    b64encode,
    point_from_text,
    point_to_text,
    scalar_from_text,
    scalar_to_text,
)
from asamblea.crypto.proofs import Proof
from asamblea.crypto.reshare import Dealing
from asamblea.crypto.threshold import (
    NONCE_BYTES,
    Certificate,
    EncryptedShare,
    PartialDecryption,
    Polynomial,
    VerificationKey,
)
from asamblea.record.entries.base import Entry, Part, entry, time_field

# At most this many ciphertexts (or decryption factors) in one record entry.
CHUNK = 1000
SHARE_DATA_BYTES = 32 + 16  # a scalar and the XChaCha20-Poly1305 tag

_AT = "2026-05-01T08:00:00.000000Z"
_P = "4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY"  # the generator's text
_S = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # the scalar 1
_BOARD = "sindicato-minero/trustees/7f3a"


class MessageError(ValueError):
    """A message that is not the canonical JSON of its kind; ``where`` names the place."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


# --- JSON forms ------------------------------------------------------------------------------


def _keys(obj: Any, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise MessageError(where, "expected an object")
    if set(obj) != keys:
        raise MessageError(
            where,
            f"keys must be exactly {sorted(keys)} "
            f"(missing {sorted(keys - set(obj))}, unexpected {sorted(set(obj) - keys)})",
        )
    return obj


def _int(obj: Any, where: str) -> int:
    if type(obj) is not int:
        raise MessageError(where, "expected an integer")
    return obj


def _list(obj: Any, where: str) -> list[Any]:
    if not isinstance(obj, list):
        raise MessageError(where, "expected a list")
    return obj


def _point(obj: Any, where: str) -> Point:
    if not isinstance(obj, str):
        raise MessageError(where, "a point is a base64url string")
    try:
        return point_from_text(obj)
    except ValueError as exc:
        raise MessageError(where, str(exc)) from None


def _bytes(obj: Any, length: int, where: str) -> bytes:
    if not isinstance(obj, str):
        raise MessageError(where, "expected a base64url string")
    try:
        return b64decode(obj, length)
    except ValueError as exc:
        raise MessageError(where, str(exc)) from None


def proof_to_json(p: Proof) -> list[str]:
    return [scalar_to_text(p.challenge), scalar_to_text(p.response)]


def proof_from_json(obj: Any, where: str) -> Proof:
    pair = _list(obj, where)
    if len(pair) != 2 or not all(isinstance(x, str) for x in pair):
        raise MessageError(where, "a proof is [challenge, response]")
    try:
        return Proof(scalar_from_text(pair[0]), scalar_from_text(pair[1]))
    except ValueError as exc:
        raise MessageError(where, str(exc)) from None


def certificate_to_json(c: Certificate) -> dict[str, Any]:
    return {
        "index": c.index,
        "verification_key": point_to_text(c.verification_key),
        "encryption_key": point_to_text(c.encryption_key),
        "signature": proof_to_json(c.signature),
    }


def certificate_from_json(obj: Any, where: str = "certificate") -> Certificate:
    d = _keys(obj, {"index", "verification_key", "encryption_key", "signature"}, where)
    return Certificate(
        _int(d["index"], f"{where}.index"),
        _point(d["verification_key"], f"{where}.verification_key"),
        _point(d["encryption_key"], f"{where}.encryption_key"),
        proof_from_json(d["signature"], f"{where}.signature"),
    )


def polynomial_to_json(p: Polynomial) -> dict[str, Any]:
    return {
        "dealer": p.dealer,
        "coefexps": [point_to_text(a) for a in p.coefexps],
        "proofs": [proof_to_json(x) for x in p.proofs],
        "shares": [
            {
                "recipient": s.recipient,
                "alpha": point_to_text(s.alpha),
                "beta": point_to_text(s.beta),
                "nonce": b64encode(s.nonce),
                "data": b64encode(s.data),
            }
            for s in p.shares
        ],
        "signature": proof_to_json(p.signature),
    }


def polynomial_from_json(obj: Any, where: str = "polynomial") -> Polynomial:
    d = _keys(obj, {"dealer", "coefexps", "proofs", "shares", "signature"}, where)
    shares = []
    for i, raw in enumerate(_list(d["shares"], f"{where}.shares")):
        at = f"{where}.shares[{i}]"
        s = _keys(raw, {"recipient", "alpha", "beta", "nonce", "data"}, at)
        shares.append(
            EncryptedShare(
                _int(s["recipient"], f"{at}.recipient"),
                _point(s["alpha"], f"{at}.alpha"),
                _point(s["beta"], f"{at}.beta"),
                _bytes(s["nonce"], NONCE_BYTES, f"{at}.nonce"),
                _bytes(s["data"], SHARE_DATA_BYTES, f"{at}.data"),
            )
        )
    return Polynomial(
        _int(d["dealer"], f"{where}.dealer"),
        tuple(
            _point(a, f"{where}.coefexps[{i}]")
            for i, a in enumerate(_list(d["coefexps"], f"{where}.coefexps"))
        ),
        tuple(
            proof_from_json(x, f"{where}.proofs[{i}]")
            for i, x in enumerate(_list(d["proofs"], f"{where}.proofs"))
        ),
        tuple(shares),
        proof_from_json(d["signature"], f"{where}.signature"),
    )


def _shares_to_json(shares: Sequence[EncryptedShare]) -> list[dict[str, Any]]:
    return [
        {
            "recipient": s.recipient,
            "alpha": point_to_text(s.alpha),
            "beta": point_to_text(s.beta),
            "nonce": b64encode(s.nonce),
            "data": b64encode(s.data),
        }
        for s in shares
    ]


def _shares_from_json(obj: Any, where: str) -> tuple[EncryptedShare, ...]:
    shares = []
    for i, raw in enumerate(_list(obj, where)):
        at = f"{where}[{i}]"
        s = _keys(raw, {"recipient", "alpha", "beta", "nonce", "data"}, at)
        shares.append(
            EncryptedShare(
                _int(s["recipient"], f"{at}.recipient"),
                _point(s["alpha"], f"{at}.alpha"),
                _point(s["beta"], f"{at}.beta"),
                _bytes(s["nonce"], NONCE_BYTES, f"{at}.nonce"),
                _bytes(s["data"], SHARE_DATA_BYTES, f"{at}.data"),
            )
        )
    return tuple(shares)


def dealing_to_json(d: Dealing) -> dict[str, Any]:
    return {
        "dealer": d.dealer,
        "coefexps": [point_to_text(a) for a in d.coefexps],
        "proofs": [proof_to_json(x) for x in d.proofs],
        "shares": _shares_to_json(d.shares),
        "signature": proof_to_json(d.signature),
    }


def dealing_from_json(obj: Any, where: str = "dealing") -> Dealing:
    d = _keys(obj, {"dealer", "coefexps", "proofs", "shares", "signature"}, where)
    return Dealing(
        _int(d["dealer"], f"{where}.dealer"),
        tuple(
            _point(a, f"{where}.coefexps[{i}]")
            for i, a in enumerate(_list(d["coefexps"], f"{where}.coefexps"))
        ),
        tuple(
            proof_from_json(x, f"{where}.proofs[{i}]")
            for i, x in enumerate(_list(d["proofs"], f"{where}.proofs"))
        ),
        _shares_from_json(d["shares"], f"{where}.shares"),
        proof_from_json(d["signature"], f"{where}.signature"),
    )


def verification_key_to_json(v: VerificationKey) -> dict[str, Any]:
    return {"index": v.index, "public": point_to_text(v.public), "pok": proof_to_json(v.pok)}


def verification_key_from_json(obj: Any, where: str = "verification_key") -> VerificationKey:
    d = _keys(obj, {"index", "public", "pok"}, where)
    return VerificationKey(
        _int(d["index"], f"{where}.index"),
        _point(d["public"], f"{where}.public"),
        proof_from_json(d["pok"], f"{where}.pok"),
    )


def ciphertext_to_json(c: Ciphertext) -> list[str]:
    return [point_to_text(c.alpha), point_to_text(c.beta)]


def ciphertext_from_json(obj: Any, where: str) -> Ciphertext:
    pair = _list(obj, where)
    if len(pair) != 2:
        raise MessageError(where, "a ciphertext is [alpha, beta]")
    return Ciphertext(_point(pair[0], f"{where}[0]"), _point(pair[1], f"{where}[1]"))


def factors_to_json(p: PartialDecryption) -> dict[str, Any]:
    """One group's decryption factors and proofs (the trustee is named by who posts them)."""
    return {
        "factors": [point_to_text(f) for f in p.factors],
        "proofs": [proof_to_json(x) for x in p.proofs],
    }


def factors_from_json(obj: Any, trustee: int, where: str) -> PartialDecryption:
    d = _keys(obj, {"factors", "proofs"}, where)
    return PartialDecryption(
        trustee,
        tuple(
            _point(f, f"{where}.factors[{i}]")
            for i, f in enumerate(_list(d["factors"], f"{where}.factors"))
        ),
        tuple(
            proof_from_json(x, f"{where}.proofs[{i}]")
            for i, x in enumerate(_list(d["proofs"], f"{where}.proofs"))
        ),
    )


def chunks(count: int) -> list[tuple[int, int]]:
    """The ``[start, stop)`` slices a list of ``count`` items is cut into (at least one)."""
    return [(s, min(s + CHUNK, count)) for s in range(0, max(count, 1), CHUNK)]


def ciphertexts_digest(groups: Sequence[tuple[str, str, Sequence[Ciphertext]]]) -> str:
    """SHA-256 (hex) of the framed ``(election, question, ciphertexts)`` groups of a request:
    what a decryption request names, and what an election's own entries can be checked
    against."""
    h = hashlib.sha256(b"asamblea/decryption-request/v1")
    for election, question, ciphertexts in groups:
        for part in (election.encode(), question.encode(), len(ciphertexts).to_bytes(4, "big")):
            h.update(len(part).to_bytes(4, "big") + part)
        for c in ciphertexts:
            h.update(bytes(c.alpha) + bytes(c.beta))
    return h.hexdigest()


def points_digest(groups: Sequence[Sequence[Point]]) -> str:
    """SHA-256 (hex) of the decrypted points ``g^m`` of a completed request, group by group."""
    h = hashlib.sha256(b"asamblea/decrypted-points/v1")
    for points in groups:
        h.update(len(points).to_bytes(4, "big"))
        for p in points:
            h.update(bytes(p))
    return h.hexdigest()


def board_key_fingerprint(board: str, public_key: Point) -> str:
    """What trustees and officers compare out of band for the joint key."""
    return b64encode(
        hashlib.sha256(b"asamblea/board-key/v1" + board.encode() + public_key).digest()
    )


def group_fingerprint(text: str, size: int = 4) -> str:
    """A fingerprint grouped for reading aloud: ``abcd efgh ...``."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


# --- the board ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrusteeNamePart(Part):
    index: int
    name: str


_CERT = {"index": 1, "verification_key": _P, "encryption_key": _P, "signature": [_S, _S]}
_POLY = {
    "dealer": 1,
    "coefexps": [_P, _P],
    "proofs": [[_S, _S], [_S, _S]],
    "shares": [
        {"recipient": 1, "alpha": _P, "beta": _P, "nonce": "A" * 32, "data": "A" * 64},
    ],
    "signature": [_S, _S],
}


@entry(
    "trustee_board_created",
    1,
    example={
        "board": _BOARD,
        "unit": None,
        "k": 3,
        "n": 5,
        "deadline_hours": 72,
        "public_names": True,
        "trustees": [{"index": 1, "name": "Rosa Quispe"}],
        "replaces": None,
        "demo": False,
    },
)
@dataclass(frozen=True)
class TrusteeBoardCreatedV1(Entry):
    """A standing board as named (approved by two officers): its size, threshold and trustees
    (by name or pseudonym, as the organisation chose). ``replaces`` names the board whose key
    this one receives by resharing."""

    board: str
    unit: str | None
    k: int
    n: int
    deadline_hours: int
    public_names: bool
    trustees: list[TrusteeNamePart]
    replaces: str | None
    demo: bool


@entry(
    "trustee_certificate_published",
    1,
    example={"board": _BOARD, "trustee": 1, "certificate": _CERT, "fingerprint": "A" * 43},
)
@dataclass(frozen=True)
class TrusteeCertificatePublishedV1(Entry):
    """Step 1 (Belenios 2.0 section 4.6.2): a trustee's self-signed certificate."""

    board: str
    trustee: int
    certificate: dict[str, Any]
    fingerprint: str


@entry(
    "trustee_polynomial_published",
    1,
    example={"board": _BOARD, "dealer": 1, "polynomial": _POLY},
)
@dataclass(frozen=True)
class TrusteePolynomialPublishedV1(Entry):
    """Step 2 (4.6.4): Feldman commitments with proofs, and the shares encrypted to each
    trustee (nobody but their recipient can read them)."""

    board: str
    dealer: int
    polynomial: dict[str, Any]


@entry(
    "trustee_verification_key_published",
    1,
    example={
        "board": _BOARD,
        "trustee": 1,
        "verification_key": {"index": 1, "public": _P, "pok": [_S, _S]},
    },
)
@dataclass(frozen=True)
class TrusteeVerificationKeyPublishedV1(Entry):
    """Step 4 (4.6.6): ``g^S_j`` with a proof of knowledge of ``S_j``."""

    board: str
    trustee: int
    verification_key: dict[str, Any]


@entry(
    "trustee_board_ready",
    1,
    example={"board": _BOARD, "public_key": _P, "fingerprint": "A" * 43},
)
@dataclass(frozen=True)
class TrusteeBoardReadyV1(Entry):
    """Step 5 (4.6.7): the board assembled and checked; its joint public key."""

    board: str
    public_key: str
    fingerprint: str


@entry(
    "trustee_share_dealt",
    1,
    example={"board": _BOARD, "replaces": "sindicato-minero/trustees/11aa", "dealing": _POLY},
)
@dataclass(frozen=True)
class TrusteeShareDealtV1(Entry):
    """Resharing, step 1 (crypto/reshare.py): old trustee ``dealing.dealer`` of ``replaces``
    deals its share afresh to the new board's trustees; its constant commitment is its old
    verification key."""

    board: str
    replaces: str
    dealing: dict[str, Any]


@entry(
    "trustee_board_retired",
    1,
    example={"board": _BOARD, "reason": "replaced", "successor": None},
)
@dataclass(frozen=True)
class TrusteeBoardRetiredV1(Entry):
    board: str
    reason: str
    successor: str | None


# --- decryption ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecryptionGroupPart(Part):
    election: str
    question: str
    count: int


@entry(
    "decryption_requested",
    1,
    example={
        "request": 1,
        "subject": "election:12:tally",
        "board": _BOARD,
        "groups": [{"election": "sindicato-minero/12", "question": "q1", "count": 3}],
        "digest": "ab" * 32,
        "deadline_at": _AT,
    },
)
@dataclass(frozen=True)
class DecryptionRequestedV1(Entry):
    """Totals to decrypt: each group under ``Context(election, question, board key)``. Its
    ciphertexts follow in ``decryption_ciphertexts`` chunks; ``digest`` is
    :func:`ciphertexts_digest` over them."""

    request: int
    subject: str
    board: str
    groups: list[DecryptionGroupPart]
    digest: str
    deadline_at: dt.datetime = time_field("micro")


@entry(
    "decryption_ciphertexts",
    1,
    example={"request": 1, "group": 0, "chunk": 0, "ciphertexts": [[_P, _P]]},
)
@dataclass(frozen=True)
class DecryptionCiphertextsV1(Entry):
    """Ciphertexts ``[chunk * CHUNK, ...)`` of one group of a request."""

    request: int
    group: int
    chunk: int
    ciphertexts: list[list[str]]


@entry(
    "partial_decryption_posted",
    1,
    example={
        "request": 1,
        "trustee": 2,
        "group": 0,
        "chunk": 0,
        "factors": [_P],
        "proofs": [[_S, _S]],
    },
)
@dataclass(frozen=True)
class PartialDecryptionPostedV1(Entry):
    """Trustee ``trustee``'s factors ``alpha^S_j`` for one chunk of one group, each with its
    Chaum-Pedersen proof (4.18) against their verification key. The proofs' positions count
    from the chunk's start."""

    request: int
    trustee: int
    group: int
    chunk: int
    factors: list[str]
    proofs: list[list[str]]


@entry(
    "decryption_completed",
    1,
    example={
        "request": 1,
        "subject": "election:12:tally",
        "trustees": [1, 2, 4],
        "points_digest": "cd" * 32,
    },
)
@dataclass(frozen=True)
class DecryptionCompletedV1(Entry):
    """The k lowest-numbered valid partials combined (4.19); ``points_digest`` is
    :func:`points_digest` over the decrypted ``g^m``."""

    request: int
    subject: str
    trustees: list[int]
    points_digest: str
