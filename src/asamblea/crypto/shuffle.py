"""The verifiable re-encryption shuffle of sealed ranked ballots: the PROVER.

Construction: Terelius and Wikstrom, "Proofs of restricted shuffles" (AFRICACRYPT 2010), in the
optimised ElGamal form written as pseudo-code by Haenni, Locher, Koenig and Dubuis,
"Pseudo-code algorithms for verifiable re-encryption mix-nets" (FC 2017 workshops, LNCS 10323):
their Algorithms GenShuffle, GenPermutationCommitment, GenCommitmentChain and GenShuffleProof are
``gen_shuffle``, ``gen_permutation_commitment``, ``gen_commitment_chain`` and
``gen_shuffle_proof`` here, step for step. The verifier, CheckShuffleProof, is
``crypto/shuffle_verify.py``, written apart: it shares nothing with this module but the group
operations and the transcript (tests/unit/crypto/test_crypto_purity.py).

Adaptations, each one stated:

- **The group is ristretto255** (prime order L), written ADDITIVELY as libsodium does: where the
  paper writes ``g^x`` we write ``x*G`` (``base_mul``), a product of elements is a sum (``add``),
  ``a^(-x)`` is ``-x*a``. Every scalar lives mod L (the paper's q).
- **Ciphertexts** are ours (``elgamal``): ``(alpha, beta) = (r*G, r*Y + m*G)``; the paper's
  ``(a, b) = (m*pk^r, g^r)`` has them the other way round. Its ``t_{4,1}`` (the pk component) is
  our ``t4[k][1]`` (beta) and its ``t_{4,2}`` our ``t4[k][0]`` (alpha).
- **A ballot is a vector of R ciphertexts** (one per rank, ``crypto.ranked``), shuffled as one:
  output ballot ``i`` is input ballot ``psi[i]`` with EVERY component re-encrypted under its own
  fresh randomness ``rho[i][k]``. The proof uses ONE permutation commitment, one commitment chain
  and one vector of responses ``s'`` for the whole ballot; only the re-encryption part is
  per-component: ``omega_4``, ``t_4`` and ``s_4`` become vectors of width R, and the verifier's
  ``a'``, ``b'`` are taken component-wise. This is the shuffle of ciphertexts in a product group
  (Verificatum's "width" of ciphertexts, Wikstrom, "How to implement a stand-alone verifier for
  the Verificatum mix-net", where ciphertexts and randomness live in product groups), and the
  parallel shuffle of Haines, "A description and proof of a generalised and optimised variant of
  Wikstrom's mixnet" (arXiv 1901.08371, 2019), which proves exactly this extension of the
  Haenni et al. variant secure. With R = 1 it is the paper's proof unchanged.
- **Independent generators** ``h, h_1..h_N`` (the paper's ``GetGenerators``) are
  ``crypto_core_ristretto255_from_hash`` over SHA-512 of a domain, the election id, the question id
  and the index (``group.point_from_label``): nobody knows a logarithm of one in base G or of one
  in base another. ``h`` is index 0, ``h_i`` index i (1-based; arrays here are 0-based).
- **Fiat-Shamir, strong** (``transcript``): the context hashes the protocol, the group, the joint
  public key, the election and question ids; the statement digest hashes the generators, every
  input and output ciphertext and the permutation commitment (the paper's ``u_i = H((e, e', c,
  pk), i)``); the challenge hashes that digest, the commitment chain and every ``t``.

Privacy of the mix needs at least ONE honest shuffler among those taking part in turn: the
composition of the permutations hides the link as long as one of them stays secret. Soundness
needs none: every shuffle is checked by everyone.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import (
    IDENTITY,
    ORDER,
    Point,
    add,
    base_mul,
    mul,
    point_from_label,
    point_to_text,
    random_scalar,
    scalar_to_text,
)
from asamblea.crypto.transcript import Context, challenge, index_bytes

VERSION = 1
GENERATOR_DOMAIN = "asamblea/shuffle/v1/generators"
STATEMENT_TAG = "shuffle-statement"
U_TAG = "shuffle-u"
CHALLENGE_TAG = "shuffle"

Ballot = tuple[Ciphertext, ...]


# The long loops of the prover are cut into tasks that a process pool may run (``mapper``): the
# re-encryption in slices of ballots, and the sums ``t3`` and ``t_hat`` in slices and ``t4`` per
# rank. A task is ``(kind, args)``; ``prover_task`` is top level so that a pool can pickle it.
ProverTask = tuple[str, tuple[Any, ...]]
Mapper = Callable[[Callable[[ProverTask], Any], list[ProverTask]], Iterable[Any]]
PROVER_SLICES = 8


def _prover_slices(n: int) -> list[tuple[int, int]]:
    size = max(1, -(-n // PROVER_SLICES))
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def _weighted_sum(ws: Sequence[int], points: Sequence[Point]) -> Point:
    total = IDENTITY
    for w, p in zip(ws, points, strict=True):
        total = add(total, mul(w, p))
    return total


def _t4_commitment(
    w_prime: Sequence[int], minus_w4: int, pk: Point, column: Sequence[Ciphertext]
) -> tuple[Point, Point]:
    """``(-w4 G + sum w'_i alpha'_i, -w4 Y + sum w'_i beta'_i)`` for one rank."""
    ta = add(base_mul(minus_w4), _weighted_sum(w_prime, [c.alpha for c in column]))
    tb = add(mul(minus_w4, pk), _weighted_sum(w_prime, [c.beta for c in column]))
    return ta, tb


def _t_hat_slice(
    w_hat: Sequence[int], w_prime: Sequence[int], previous: Sequence[Point]
) -> list[Point]:
    """``t_hat_i = w_hat_i G + w'_i c_hat_{i-1}`` for a slice (``previous``: the c_hat_{i-1})."""
    return [add(base_mul(a), mul(b, p)) for a, b, p in zip(w_hat, w_prime, previous, strict=True)]


def prover_task(task: ProverTask) -> Any:
    kind, args = task
    if kind == "reencrypt":
        return _reencrypt_slice(*args)
    if kind == "t3":
        return _weighted_sum(*args)
    if kind == "t4":
        return _t4_commitment(*args)
    if kind == "t_hat":
        return _t_hat_slice(*args)
    raise ValueError(f"no prover task {kind!r}")


@dataclass(frozen=True)
class ShuffleProof:
    """The paper's ``pi = (t, s, c, c_hat)`` plus the permutation commitment ``c``."""

    commitments: tuple[Point, ...]  # c_1..c_N (permutation commitment)
    chain: tuple[Point, ...]  # c_hat_1..c_hat_N (commitment chain)
    t1: Point
    t2: Point
    t3: Point
    t4: tuple[tuple[Point, Point], ...]  # per rank: (alpha part, beta part)
    t_hat: tuple[Point, ...]
    s1: int
    s2: int
    s3: int
    s4: tuple[int, ...]  # per rank
    s_hat: tuple[int, ...]
    s_prime: tuple[int, ...]
    challenge: int


def generators(election_id: str, question_id: str, count: int) -> list[Point]:
    """``[h, h_1, ..., h_count]`` (the paper's GetGenerators), from hash-to-group only."""
    e, q = election_id.encode(), question_id.encode()
    prefix = len(e).to_bytes(4, "big") + e + len(q).to_bytes(4, "big") + q
    return [point_from_label(GENERATOR_DOMAIN, prefix + index_bytes(i)) for i in range(count + 1)]


def random_permutation(n: int) -> list[int]:
    """Fisher-Yates with the operating system's generator (``secrets``)."""
    psi = list(range(n))
    for i in range(n - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        psi[i], psi[j] = psi[j], psi[i]
    return psi


def _reencrypt_slice(
    public_key: Point, ballots: Sequence[Sequence[Ciphertext]]
) -> tuple[list[Ballot], list[list[int]]]:
    """Every component of each ballot re-encrypted under fresh randomness; the randomness too."""
    outputs: list[Ballot] = []
    rho: list[list[int]] = []
    for ballot in ballots:
        row = [random_scalar() for _ in ballot]
        rho.append(row)
        outputs.append(
            tuple(
                Ciphertext(add(c.alpha, base_mul(r)), add(c.beta, mul(r, public_key)))
                for c, r in zip(ballot, row, strict=True)
            )
        )
    return outputs, rho


def gen_shuffle(
    public_key: Point,
    ballots: Sequence[Sequence[Ciphertext]],
    psi: Sequence[int] | None = None,
    mapper: Mapper = map,
) -> tuple[list[Ballot], list[list[int]], list[int]]:
    """GenShuffle: output ``i`` re-encrypts every component of input ``psi[i]``.

    Returns the outputs, the re-encryption randomness ``rho[i][k]`` and ``psi``; the caller keeps
    the last two only until ``gen_shuffle_proof`` has used them. ``mapper`` (``map``, or a
    process pool's ``map`` on the trustee's own machine) runs the slices.
    """
    n = len(ballots)
    if psi is None:
        psi = random_permutation(n)
    if sorted(psi) != list(range(n)):
        raise ValueError("psi is not a permutation of the inputs")
    permuted = [ballots[j] for j in psi]
    outputs: list[Ballot] = []
    rho: list[list[int]] = []
    tasks = [("reencrypt", (public_key, permuted[a:b])) for a, b in _prover_slices(n)]
    for part_out, part_rho in mapper(prover_task, tasks):
        outputs.extend(part_out)
        rho.extend(part_rho)
    return outputs, rho, list(psi)


def gen_permutation_commitment(
    psi: Sequence[int], hs: Sequence[Point]
) -> tuple[list[Point], list[int]]:
    """GenPermutationCommitment: ``c[psi[i]] = r[psi[i]]*G + h_i``."""
    n = len(psi)
    commitments: list[Point] = [Point(b"")] * n
    r = [0] * n
    for i in range(n):
        j = psi[i]
        r[j] = random_scalar()
        commitments[j] = add(base_mul(r[j]), hs[i])
    return commitments, r


def gen_commitment_chain(h: Point, u_prime: Sequence[int]) -> tuple[list[Point], list[int]]:
    """GenCommitmentChain: ``c_hat_i = r_hat_i*G + u'_i*c_hat_{i-1}``, ``c_hat_0 = h``."""
    chain: list[Point] = []
    r_hat: list[int] = []
    previous = h
    for u in u_prime:
        r = random_scalar()
        previous = add(base_mul(r), mul(u, previous))
        chain.append(previous)
        r_hat.append(r)
    return chain, r_hat


def _ballot_parts(ballots: Sequence[Sequence[Ciphertext]]) -> list[bytes]:
    return [part for ballot in ballots for c in ballot for part in c.parts()]


def _statement(
    hs: Sequence[Point],
    inputs: Sequence[Sequence[Ciphertext]],
    outputs: Sequence[Sequence[Ciphertext]],
    commitments: Sequence[Point],
) -> list[bytes]:
    """The statement the ``u_i`` and the challenge are bound to (besides the context)."""
    width = len(inputs[0])
    return [
        index_bytes(len(inputs)),
        index_bytes(width),
        *(bytes(h) for h in hs),
        *_ballot_parts(inputs),
        *_ballot_parts(outputs),
        *(bytes(c) for c in commitments),
    ]


def _digest(context: Context, parts: Sequence[bytes]) -> bytes:
    h = hashlib.sha512()
    fields = (STATEMENT_TAG.encode(), *context.fields(), *parts)
    for part in fields:
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.digest()


def _hash_context(context: Context) -> Context:
    return context


# Tests replace these two to show that the verifier refuses a proof whose challenges hash less
# than the whole statement (no public key, no input list): the weak Fiat-Shamir of Bernhard,
# Pereira and Warinschi.
statement_parts: Callable[..., list[bytes]] = _statement
hash_context: Callable[[Context], Context] = _hash_context


def gen_shuffle_proof(
    context: Context,
    inputs: Sequence[Sequence[Ciphertext]],
    outputs: Sequence[Sequence[Ciphertext]],
    rho: Sequence[Sequence[int]],
    psi: Sequence[int],
    hs: Sequence[Point] | None = None,
    mapper: Mapper = map,
) -> ShuffleProof:
    """GenShuffleProof, for ballots of R ciphertexts (the vector extension in the docstring).

    ``hs`` defaults to ``generators(context...)``; passing others is for tests only (the verifier
    always derives its own). ``mapper`` runs the long sums (``t3``, ``t4`` per rank, ``t_hat``),
    as in ``gen_shuffle``; the proof is the same either way.
    """
    n = len(inputs)
    if n == 0 or len(outputs) != n or len(psi) != n or len(rho) != n:
        raise ValueError("a shuffle needs as many outputs, randomness rows and indices as inputs")
    width = len(inputs[0])
    pk = context.public_key
    if hs is None:
        hs = generators(context.election_id, context.question_id, n)
    h, hv = hs[0], hs[1:]
    commitments, r = gen_permutation_commitment(psi, hv)
    hashed = hash_context(context)
    digest = _digest(hashed, statement_parts(hs, inputs, outputs, commitments))
    u = [challenge(U_TAG, hashed, digest, index_bytes(i)) for i in range(n)]
    u_prime = [u[psi[i]] for i in range(n)]
    chain, r_hat = gen_commitment_chain(h, u_prime)
    # v_N = 1, v_{i-1} = u'_i v_i: r_hat_total = sum r_hat_i * prod_{j>i} u'_j.
    v = [0] * n
    v[n - 1] = 1
    for i in range(n - 1, 0, -1):
        v[i - 1] = u_prime[i] * v[i] % ORDER
    r_bar = sum(r) % ORDER
    r_hat_total = sum(a * b for a, b in zip(r_hat, v, strict=True)) % ORDER
    r_tilde = sum(a * b for a, b in zip(r, u, strict=True)) % ORDER
    r_prime = [sum(rho[i][k] * u_prime[i] for i in range(n)) % ORDER for k in range(width)]

    w1, w2, w3 = random_scalar(), random_scalar(), random_scalar()
    w4 = [random_scalar() for _ in range(width)]
    w_hat = [random_scalar() for _ in range(n)]
    w_prime = [random_scalar() for _ in range(n)]

    t1 = base_mul(w1)
    t2 = base_mul(w2)
    slices = _prover_slices(n)
    tasks: list[ProverTask] = [("t3", (w_prime[a:b], hv[a:b])) for a, b in slices]
    tasks += [("t4", (w_prime, -w4[k] % ORDER, pk, [b[k] for b in outputs])) for k in range(width)]
    tasks += [
        ("t_hat", (w_hat[a:b], w_prime[a:b], [h if a == 0 else chain[a - 1], *chain[a : b - 1]]))
        for a, b in slices
    ]
    results = list(mapper(prover_task, tasks))
    t3 = base_mul(w3)
    for part in results[: len(slices)]:
        t3 = add(t3, part)
    t4 = [tuple(pair) for pair in results[len(slices) : len(slices) + width]]
    t_hat = [p for part in results[len(slices) + width :] for p in part]

    c = challenge(
        CHALLENGE_TAG,
        hashed,
        digest,
        *(bytes(p) for p in chain),
        bytes(t1),
        bytes(t2),
        bytes(t3),
        *(bytes(p) for pair in t4 for p in pair),
        *(bytes(p) for p in t_hat),
    )
    return ShuffleProof(
        commitments=tuple(commitments),
        chain=tuple(chain),
        t1=t1,
        t2=t2,
        t3=t3,
        t4=tuple(t4),
        t_hat=tuple(t_hat),
        s1=(w1 + c * r_bar) % ORDER,
        s2=(w2 + c * r_hat_total) % ORDER,
        s3=(w3 + c * r_tilde) % ORDER,
        s4=tuple((w4[k] + c * r_prime[k]) % ORDER for k in range(width)),
        s_hat=tuple((w_hat[i] + c * r_hat[i]) % ORDER for i in range(n)),
        s_prime=tuple((w_prime[i] + c * u_prime[i]) % ORDER for i in range(n)),
        challenge=c,
    )


def shuffle_with_proof(
    context: Context, ballots: Sequence[Sequence[Ciphertext]], mapper: Mapper = map
) -> tuple[list[Ballot], ShuffleProof]:
    """GenShuffle then GenShuffleProof; the permutation and randomness are dropped here.

    ``mapper``: ``map`` (one process) or a process pool's ``map`` (every core of the trustee's
    machine; the secrets then pass to its own worker processes, never further)."""
    if not ballots:
        raise ValueError("nothing to shuffle")
    width = len(ballots[0])
    if width == 0 or any(len(b) != width for b in ballots):
        raise ValueError("every ballot must have the same, non-zero, number of ciphertexts")
    outputs, rho, psi = gen_shuffle(context.public_key, ballots, mapper=mapper)
    proof = gen_shuffle_proof(context, ballots, outputs, rho, psi, mapper=mapper)
    return outputs, proof


def ballots_to_json(ballots: Sequence[Sequence[Ciphertext]]) -> list[list[list[str]]]:
    return [[[point_to_text(c.alpha), point_to_text(c.beta)] for c in b] for b in ballots]


def proof_to_json(proof: ShuffleProof) -> dict[str, Any]:
    """Version 1 of the proof's JSON (``shuffle_verify.proof_from_json`` reads it strictly)."""
    pts = point_to_text
    sc = scalar_to_text
    return {
        "v": VERSION,
        "commitments": [pts(p) for p in proof.commitments],
        "chain": [pts(p) for p in proof.chain],
        "t1": pts(proof.t1),
        "t2": pts(proof.t2),
        "t3": pts(proof.t3),
        "t4": [[pts(a), pts(b)] for a, b in proof.t4],
        "t_hat": [pts(p) for p in proof.t_hat],
        "s1": sc(proof.s1),
        "s2": sc(proof.s2),
        "s3": sc(proof.s3),
        "s4": [sc(s) for s in proof.s4],
        "s_hat": [sc(s) for s in proof.s_hat],
        "s_prime": [sc(s) for s in proof.s_prime],
        "challenge": sc(proof.challenge),
    }
