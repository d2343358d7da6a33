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
    PointSum,
    add,
    base_combo,
    base_mul,
    combo,
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


# The equations over all N ballots (``t3``, ``t4`` per rank, ``t_hat``) are split into tasks
# that ``mapper`` may run in other processes: each task carries what its sums need and returns
# what the caller compares, so the outcome does not depend on where it ran. Every sum pairs two
# products in one ``combo`` (libdecaf's double multiplication when installed: verifiers only, on
# public values; ADR 0018), and ``-c`` is folded into the ``u_j``, so a rank costs 2N combos.
# A task is ``(kind, args)``; ``kind`` is "t3", "t4" or "t_hat".
Task = tuple[str, tuple[Any, ...]]


def _paired_sum(
    xs: Sequence[int], ps: Sequence[Point], ys: Sequence[int], qs: Sequence[Point]
) -> Point:
    """``sum_i xs[i]*ps[i] + ys[i]*qs[i]``, two products per ``combo``, added up inside libdecaf
    when installed (``PointSum``)."""
    total = PointSum()
    for x, p, y, q in zip(xs, ps, ys, qs, strict=True):
        total.add_combo(x, p, y, q)
    return total.value()


def _t3_part(
    cu: Sequence[int], commitments: Sequence[Point], s_prime: Sequence[int], hv: Sequence[Point]
) -> Point:
    """A slice of ``t3 - s3*G = sum (-c u_j) c_j + sum s'_i h_i``."""
    return _paired_sum(cu, commitments, s_prime, hv)


def _t4_rank(
    cu: Sequence[int],
    s_prime: Sequence[int],
    minus_s4: int,
    pk: Point,
    column_in: Sequence[Ciphertext],
    column_out: Sequence[Ciphertext],
) -> tuple[Point, Point]:
    """One rank's re-encryption equation: with ``a'_k = sum u_j alpha_{j,k}`` and
    ``b'_k = sum u_j beta_{j,k}`` over the inputs, ``t4[k]`` must be
    ``(-c a'_k - s4_k G + sum s'_i alpha'_{i,k}, -c b'_k - s4_k Y + sum s'_i beta'_{i,k})``."""
    ta = add(
        base_mul(minus_s4),
        _paired_sum(cu, [c.alpha for c in column_in], s_prime, [c.alpha for c in column_out]),
    )
    tb = add(
        mul(minus_s4, pk),
        _paired_sum(cu, [c.beta for c in column_in], s_prime, [c.beta for c in column_out]),
    )
    return ta, tb


def _t_hat_links(
    start: int,
    minus_c: int,
    chain: Sequence[Point],
    previous: Point,
    s_hat: Sequence[int],
    s_prime: Sequence[int],
    t_hat: Sequence[Point],
) -> int | None:
    """Links ``start..`` of the chain: ``t_hat_i = -c c_hat_i + s_hat_i G + s'_i c_hat_{i-1}``;
    the index of the first that fails, or None."""
    for i, link in enumerate(chain):
        if add(combo(minus_c, link, s_prime[i], previous), base_mul(s_hat[i])) != t_hat[i]:
            return start + i
        previous = link
    return None


def run_task(task: Task) -> Any:
    """One task of :func:`check_shuffle_proof` (top level, so a process pool can run it)."""
    kind, args = task
    if kind == "t3":
        return _t3_part(*args)
    if kind == "t4":
        return _t4_rank(*args)
    if kind == "t_hat":
        return _t_hat_links(*args)
    raise ValueError(f"no shuffle task {kind!r}")


def _slices(n: int, parts: int) -> list[tuple[int, int]]:
    size = -(-n // max(1, parts))
    return [(a, min(n, a + size)) for a in range(0, n, size)]


# The ``t3`` and ``t_hat`` sums are cut in this many slices, so that several workers share them.
SLICES = 4


def check_shuffle_proof(
    context: Context,
    inputs: Sequence[Sequence[Ciphertext]],
    outputs: Sequence[Sequence[Ciphertext]],
    proof: CheckedProof,
    mapper: Callable[[Callable[[Task], Any], list[Task]], Iterable[Any]] = map,
) -> None:
    """CheckShuffleProof; raises ``InvalidShuffle(step, ...)``, returns None when it holds.

    ``mapper`` (``map`` by default, or an executor's ``map``) runs the tasks of the long sums
    (``t3``, ``t4`` per rank, ``t_hat``), nearly all the work; the outcome is the same either
    way, and the first failing step in the order above is the one named."""
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
    if base_combo(proof.s1, minus_c, c_bar) != proof.t1:
        raise InvalidShuffle("t1", "the permutation commitment does not open to a permutation")

    # t2: c_hat = c_hat_N - (prod u_i)*h.
    u_prod = 1
    for x in u:
        u_prod = u_prod * x % ORDER
    c_hat = sub(proof.chain[-1], mul(u_prod, h))
    if base_combo(proof.s2, minus_c, c_hat) != proof.t2:
        raise InvalidShuffle("t2", "the commitment chain does not end at the product of the u_i")

    cu = [minus_c * x % ORDER for x in u]
    sp = proof.s_prime
    slices = _slices(n, SLICES)
    tasks: list[Task] = [
        ("t3", (cu[a:b], proof.commitments[a:b], sp[a:b], hv[a:b])) for a, b in slices
    ]
    tasks += [
        (
            "t4",
            (cu, sp, (-proof.s4[k]) % ORDER, pk, [b[k] for b in inputs], [b[k] for b in outputs]),
        )
        for k in range(width)
    ]
    tasks += [
        (
            "t_hat",
            (
                a,
                minus_c,
                proof.chain[a:b],
                h if a == 0 else proof.chain[a - 1],
                proof.s_hat[a:b],
                sp[a:b],
                proof.t_hat[a:b],
            ),
        )
        for a, b in slices
    ]
    results = list(mapper(run_task, tasks))
    t3_parts, t4_sums, links = (
        results[: len(slices)],
        results[len(slices) : len(slices) + width],
        results[len(slices) + width :],
    )

    # t3: -c * sum u_j c_j + s3*G + sum s'_i h_i.
    t3 = base_mul(proof.s3)
    for part in t3_parts:
        t3 = add(t3, part)
    if t3 != proof.t3:
        raise InvalidShuffle("t3", "the committed permutation does not match the responses")

    # t4, per rank k.
    for k, got in enumerate(t4_sums):
        if tuple(got) != tuple(proof.t4[k]):
            raise InvalidShuffle(
                "t4",
                f"rank {k + 1}: the outputs are not re-encryptions of the inputs under this key",
            )

    # t_hat_i = -c*c_hat_i + s_hat_i*G + s'_i*c_hat_{i-1}.
    for failed in links:
        if failed is not None:
            raise InvalidShuffle(
                "t_hat", f"link {failed + 1} of the commitment chain does not hold"
            )
