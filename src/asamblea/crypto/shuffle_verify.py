"""The verifiable re-encryption shuffle: the VERIFIER (CheckShuffleProof).

Haenni, Locher, Koenig, Dubuis, "Pseudo-code algorithms for verifiable re-encryption mix-nets"
(FC 2017 workshops), Algorithm CheckShuffleProof, for the Terelius-Wikstrom proof, written
additively over ristretto255 and extended to ballots of R ciphertexts exactly as
``crypto/shuffle.py`` states (one permutation commitment and chain per ballot; ``t4``, ``s4`` and the
aggregates ``a'``, ``b'`` per component). This module was written apart from the prover and shares
nothing with it but ``group`` and ``transcript``: it derives the generators itself from the
election and question ids (a proof never carries them, so generators with a known logarithm can
never be slipped in), rebuilds every hash input from what it was given, and checks, in order:

1. ``form``: lengths (N ballots in and out, width R >= 1 everywhere, N commitments, N chain
   elements, N ``t_hat``, N ``s_hat``, N ``s'``, R ``t4`` and ``s4``);
2. ``challenge``: the challenge is the hash of the context, the statement (generators, inputs,
   outputs, permutation commitment), the chain and every ``t``;
3. ``t1`` (the commitment opens to a permutation's sum), ``t2`` (the chain ends at the product of
   the ``u_i``), ``t3`` (the commitment to ``u'``), ``t4`` (the re-encryption, per rank),
   ``t_hat`` (each link of the chain).

A failure raises ``InvalidShuffle`` naming the step; nothing here returns a boolean that a caller
could forget to read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import (
    ORDER,
    Point,
    add,
    base_mul,
    mul,
    point_from_label,
    point_from_text,
    scalar_from_text,
    sub,
)
from asamblea.crypto.transcript import Context, challenge, index_bytes


class InvalidShuffle(ValueError):
    """A shuffle that must not be accepted; ``step`` names the check that failed."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"shuffle proof, step {step}: {message}")
        self.step = step


@dataclass(frozen=True)
class CheckedProof:
    """A proof as read from its JSON (``proof_from_json``), before any equation is checked."""

    commitments: tuple[Point, ...]
    chain: tuple[Point, ...]
    t1: Point
    t2: Point
    t3: Point
    t4: tuple[tuple[Point, Point], ...]
    t_hat: tuple[Point, ...]
    s1: int
    s2: int
    s3: int
    s4: tuple[int, ...]
    s_hat: tuple[int, ...]
    s_prime: tuple[int, ...]
    challenge: int


def _need(obj: dict[str, Any], key: str) -> Any:
    if key not in obj:
        raise InvalidShuffle("form", f"missing {key!r}")
    return obj[key]


def _points(value: Any, key: str) -> tuple[Point, ...]:
    if not isinstance(value, list):
        raise InvalidShuffle("form", f"{key} is not a list")
    try:
        return tuple(point_from_text(v) for v in value)
    except (ValueError, TypeError) as exc:
        raise InvalidShuffle("form", f"{key}: {exc}") from exc


def _point(value: Any, key: str) -> Point:
    try:
        return point_from_text(value)
    except (ValueError, TypeError) as exc:
        raise InvalidShuffle("form", f"{key}: {exc}") from exc


def _scalars(value: Any, key: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise InvalidShuffle("form", f"{key} is not a list")
    try:
        return tuple(scalar_from_text(v) for v in value)
    except (ValueError, TypeError) as exc:
        raise InvalidShuffle("form", f"{key}: {exc}") from exc


def _scalar(value: Any, key: str) -> int:
    try:
        return scalar_from_text(value)
    except (ValueError, TypeError) as exc:
        raise InvalidShuffle("form", f"{key}: {exc}") from exc


EXPECTED_KEYS = {
    "v", "commitments", "chain", "t1", "t2", "t3", "t4", "t_hat",
    "s1", "s2", "s3", "s4", "s_hat", "s_prime", "challenge",
}  # fmt: skip


def proof_from_json(obj: Any) -> CheckedProof:
    """Strict reading of a version-1 proof: every point decoded, every scalar reduced."""
    if not isinstance(obj, dict):
        raise InvalidShuffle("form", "a proof is an object")
    if set(obj) != EXPECTED_KEYS:
        raise InvalidShuffle("form", f"unexpected fields: {sorted(set(obj) ^ EXPECTED_KEYS)}")
    if obj["v"] != 1:
        raise InvalidShuffle("form", "unknown proof version")
    t4_raw = _need(obj, "t4")
    if not isinstance(t4_raw, list) or any(not isinstance(p, list) or len(p) != 2 for p in t4_raw):
        raise InvalidShuffle("form", "t4 is a list of [alpha, beta] pairs")
    return CheckedProof(
        commitments=_points(obj["commitments"], "commitments"),
        chain=_points(obj["chain"], "chain"),
        t1=_point(obj["t1"], "t1"),
        t2=_point(obj["t2"], "t2"),
        t3=_point(obj["t3"], "t3"),
        t4=tuple((_point(a, "t4"), _point(b, "t4")) for a, b in t4_raw),
        t_hat=_points(obj["t_hat"], "t_hat"),
        s1=_scalar(obj["s1"], "s1"),
        s2=_scalar(obj["s2"], "s2"),
        s3=_scalar(obj["s3"], "s3"),
        s4=_scalars(obj["s4"], "s4"),
        s_hat=_scalars(obj["s_hat"], "s_hat"),
        s_prime=_scalars(obj["s_prime"], "s_prime"),
        challenge=_scalar(obj["challenge"], "challenge"),
    )


def ballots_from_json(obj: Any, where: str = "ballots") -> list[tuple[Ciphertext, ...]]:
    """``[[[alpha, beta], ...], ...]`` read strictly; refuses ragged widths."""
    if not isinstance(obj, list):
        raise InvalidShuffle("form", f"{where} is not a list")
    out: list[tuple[Ciphertext, ...]] = []
    width = None
    for n, ballot in enumerate(obj):
        if not isinstance(ballot, list) or not ballot:
            raise InvalidShuffle("form", f"{where}[{n}] is not a non-empty list")
        if width is None:
            width = len(ballot)
        if len(ballot) != width:
            raise InvalidShuffle("form", f"{where}[{n}] has {len(ballot)} ciphertexts, not {width}")
        row = []
        for pair in ballot:
            if not isinstance(pair, list) or len(pair) != 2:
                raise InvalidShuffle("form", f"{where}[{n}]: a ciphertext is [alpha, beta]")
            row.append(Ciphertext(_point(pair[0], where), _point(pair[1], where)))
        out.append(tuple(row))
    return out


def independent_generators(election_id: str, question_id: str, count: int) -> list[Point]:
    """``h`` then ``h_1..h_count``: hash-to-group over the election, question and index."""
    e, q = election_id.encode(), question_id.encode()
    head = len(e).to_bytes(4, "big") + e + len(q).to_bytes(4, "big") + q
    return [
        point_from_label("asamblea/shuffle/v1/generators", head + i.to_bytes(4, "big"))
        for i in range(count + 1)
    ]


def _statement_digest(
    context: Context,
    hs: Sequence[Point],
    inputs: Sequence[Sequence[Ciphertext]],
    outputs: Sequence[Sequence[Ciphertext]],
    commitments: Sequence[Point],
) -> bytes:
    parts: list[bytes] = [index_bytes(len(inputs)), index_bytes(len(inputs[0]))]
    parts.extend(bytes(h) for h in hs)
    for side in (inputs, outputs):
        for ballot in side:
            for c in ballot:
                parts.append(bytes(c.alpha))
                parts.append(bytes(c.beta))
    parts.extend(bytes(c) for c in commitments)
    d = hashlib.sha512()
    for part in (b"shuffle-statement", *context.fields(), *parts):
        d.update(len(part).to_bytes(4, "big"))
        d.update(part)
    return d.digest()


T4Task = tuple[
    int, int, Point, list[int], tuple[int, ...], list[Ciphertext], list[Ciphertext],
    tuple[Point, Point],
]  # fmt: skip


def t4_holds(task: T4Task) -> bool:
    """One rank's re-encryption equation: with ``a'_k = sum u_j alpha_{j,k}`` and
    ``b'_k = sum u_j beta_{j,k}`` over the inputs, ``t4[k]`` must be
    ``(-c a'_k - s4_k G + sum s'_i alpha'_{i,k}, -c b'_k - s4_k Y + sum s'_i beta'_{i,k})``."""
    minus_c, s4, pk, u, s_prime, column_in, column_out, expected = task
    a = mul(u[0], column_in[0].alpha)
    b = mul(u[0], column_in[0].beta)
    for j in range(1, len(column_in)):
        a = add(a, mul(u[j], column_in[j].alpha))
        b = add(b, mul(u[j], column_in[j].beta))
    minus_s4 = (-s4) % ORDER
    ta = add(mul(minus_c, a), base_mul(minus_s4))
    tb = add(mul(minus_c, b), mul(minus_s4, pk))
    for i, c in enumerate(column_out):
        ta = add(ta, mul(s_prime[i], c.alpha))
        tb = add(tb, mul(s_prime[i], c.beta))
    return (ta, tb) == tuple(expected)


def check_shuffle_proof(
    context: Context,
    inputs: Sequence[Sequence[Ciphertext]],
    outputs: Sequence[Sequence[Ciphertext]],
    proof: CheckedProof,
    mapper: Callable[[Callable[[T4Task], bool], list[T4Task]], Iterable[bool]] = map,
) -> None:
    """CheckShuffleProof; raises ``InvalidShuffle(step, ...)``, returns None when it holds.

    ``mapper`` (``map`` by default, or an executor's ``map``) runs the per-rank ``t4`` checks,
    most of the work for a wide ballot; the outcome is the same either way."""
    n = len(inputs)
    if n == 0:
        raise InvalidShuffle("form", "no ballots")
    width = len(inputs[0])
    if width == 0 or any(len(b) != width for b in inputs) or any(len(b) != width for b in outputs):
        raise InvalidShuffle("form", "every ballot in and out must have the same width")
    if len(outputs) != n:
        raise InvalidShuffle("form", f"{n} ballots in, {len(outputs)} out")
    for name, got, want in (
        ("commitments", len(proof.commitments), n),
        ("chain", len(proof.chain), n),
        ("t_hat", len(proof.t_hat), n),
        ("s_hat", len(proof.s_hat), n),
        ("s_prime", len(proof.s_prime), n),
        ("t4", len(proof.t4), width),
        ("s4", len(proof.s4), width),
    ):
        if got != want:
            raise InvalidShuffle("form", f"{name} has {got} entries, {want} expected")

    pk = context.public_key
    hs = independent_generators(context.election_id, context.question_id, n)
    h, hv = hs[0], hs[1:]
    digest = _statement_digest(context, hs, inputs, outputs, proof.commitments)
    u = [challenge("shuffle-u", context, digest, index_bytes(i)) for i in range(n)]

    expected = challenge(
        "shuffle",
        context,
        digest,
        *(bytes(p) for p in proof.chain),
        bytes(proof.t1),
        bytes(proof.t2),
        bytes(proof.t3),
        *(bytes(p) for pair in proof.t4 for p in pair),
        *(bytes(p) for p in proof.t_hat),
    )
    if expected != proof.challenge:
        raise InvalidShuffle("challenge", "the challenge is not the hash of this statement")
    c = proof.challenge
    minus_c = (-c) % ORDER

    # t1: c_bar = sum c_j - sum h_i must be r_bar*G.
    c_bar = proof.commitments[0]
    for p in proof.commitments[1:]:
        c_bar = add(c_bar, p)
    for p in hv:
        c_bar = sub(c_bar, p)
    if add(mul(minus_c, c_bar), base_mul(proof.s1)) != proof.t1:
        raise InvalidShuffle("t1", "the permutation commitment does not open to a permutation")

    # t2: c_hat = c_hat_N - (prod u_i)*h.
    u_prod = 1
    for x in u:
        u_prod = u_prod * x % ORDER
    c_hat = sub(proof.chain[-1], mul(u_prod, h))
    if add(mul(minus_c, c_hat), base_mul(proof.s2)) != proof.t2:
        raise InvalidShuffle("t2", "the commitment chain does not end at the product of the u_i")

    # t3: c_tilde = sum u_j c_j.
    c_tilde = mul(u[0], proof.commitments[0])
    for j in range(1, n):
        c_tilde = add(c_tilde, mul(u[j], proof.commitments[j]))
    t3 = add(mul(minus_c, c_tilde), base_mul(proof.s3))
    for i in range(n):
        t3 = add(t3, mul(proof.s_prime[i], hv[i]))
    if t3 != proof.t3:
        raise InvalidShuffle("t3", "the committed permutation does not match the responses")

    # t4, per rank k (independent of each other: ``mapper`` may spread them over processes).
    tasks = [
        (
            minus_c,
            proof.s4[k],
            pk,
            u,
            proof.s_prime,
            [b[k] for b in inputs],
            [b[k] for b in outputs],
            proof.t4[k],
        )
        for k in range(width)
    ]
    for k, holds in enumerate(mapper(t4_holds, tasks)):
        if not holds:
            raise InvalidShuffle(
                "t4",
                f"rank {k + 1}: the outputs are not re-encryptions of the inputs under this key",
            )

    # t_hat_i = -c*c_hat_i + s_hat_i*G + s'_i*c_hat_{i-1}.
    previous = h
    for i in range(n):
        t = add(
            add(mul(minus_c, proof.chain[i]), base_mul(proof.s_hat[i])),
            mul(proof.s_prime[i], previous),
        )
        if t != proof.t_hat[i]:
            raise InvalidShuffle("t_hat", f"link {i + 1} of the commitment chain does not hold")
        previous = proof.chain[i]
