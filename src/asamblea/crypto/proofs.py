"""Zero-knowledge proofs of the sealed-ballot protocol, as Belenios 2.0 specifies them.

Specification followed: "Belenios specification, version 2.0" (S. Glondu), shipped by Debian as
/usr/share/doc/belenios-tool/specification.pdf.gz. Each construction names its section. A proof
is Belenios' ``proof = {challenge, response}`` (section 4.3) with ``response = w - x*challenge``;
a verifier recomputes the commitments from the response and checks the challenge.

- ``prove_secret_key``: proof of knowledge of a secret key (Schnorr), section 4.5 (``Hpok``).
- ``prove_dleq``: Chaum-Pedersen proof that ``log_g(X) == log_B(Y)``, section 4.18 (the proof
  of a partial decryption, there with ``B = alpha``).
- ``prove_interval``: disjunctive Chaum-Pedersen proof that a ciphertext encrypts one of a list of
  values, section 4.12 (``iprove``); with values ``(0, 1)`` it is the individual proof of section
  4.11.1, with ``min..max`` over the sum of a question's ciphertexts it is the overall proof.
- ``prove_randomness``: proof of knowledge of the randomness of a ciphertext, section 4.11.2
  (``Hraweg``), the proof Belenios attaches to non-homomorphic (ranked) answers.

Where we differ from the letter of the specification (each a strengthening; ADR 0008):
- Challenges are ``transcript.challenge``: SHA-512 of length-framed parts reduced mod L, over a
  protocol tag, the proof's tag, the group name, the context (joint key, election id, question id)
  and every element of the statement and every commitment. Belenios hashes SHA-256 of ``|``-joined
  decimal strings and, in ``Hdecrypt`` (4.18), neither the ciphertext nor the decryption factor;
  we hash both ("strong Fiat-Shamir" throughout).
- The group is ristretto255 (RFC 9496) rather than a subgroup of F_p*; the constructions only
  need a prime-order group where DDH is hard.

Provers and verifiers are separate functions; a verifier calls only group operations,
``transcript.challenge`` and the neutral helpers below, never a prover (a unit test walks the
calls to hold this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import (
    ORDER,
    Point,
    add,
    base_combo,
    base_mul,
    combo,
    combo_shifted,
    mul,
    random_scalar,
    small_multiple,
    sub,
)
from asamblea.crypto.transcript import BoardContext, Context, challenge, index_bytes


@dataclass(frozen=True, slots=True)
class Proof:
    """Belenios' ``proof`` (section 4.3): a challenge and a response, both scalars mod L."""

    challenge: int
    response: int


# Belenios' ``iproof = proof*`` (section 4.12): one proof per allowed value, in order.
DisjunctiveProof = tuple[Proof, ...]


# --- neutral helpers (used by provers and verifiers alike) -------------------------------------


def _response_commitment(s: int, c: int, public: Point) -> Point:
    """``g^s * X^c``: the commitment a response and challenge imply for ``X = g^x`` (verifiers
    only: ``base_combo`` may take variable time)."""
    return base_combo(s, c, public)


def _values_bytes(values: Sequence[int]) -> tuple[bytes, ...]:
    return (index_bytes(len(values)), *(index_bytes(v) for v in values))


def _branch_commitments(
    y: Point, c: Ciphertext, value: int, ch: int, s: int
) -> tuple[Point, Point]:
    """Section 4.12: ``A = g^s alpha^ch``, ``B = y^s (beta / g^value)^ch``, in constant time
    (the prover simulates branches with it)."""
    a = add(base_mul(s), mul(ch, c.alpha))
    shifted = c.beta if value == 0 else sub(c.beta, small_multiple(value))
    b = add(mul(s, y), mul(ch, shifted))
    return a, b


def _checked_commitments(
    y: Point, c: Ciphertext, value: int, ch: int, s: int
) -> tuple[Point, Point]:
    """The same commitments for a verifier, as sums of two products (``base_combo``,
    ``combo_shifted``: variable time on public values)."""
    return base_combo(s, ch, c.alpha), combo_shifted(s, y, ch, c.beta, value)


# --- Schnorr proof of knowledge of a secret key (section 4.5) ----------------------------------


def prove_secret_key(
    context: Context | BoardContext,
    secret: int,
    public: Point,
    bound: Sequence[bytes] = (),
    tag: str = "pok",
) -> Proof:
    """Proves knowledge of ``secret`` with ``public = g^secret``; ``bound`` adds statement parts
    (e.g. the trustee's index) so the proof cannot be replayed for another trustee.

    With ``tag="sigmsg"`` and the message in ``bound`` this is Belenios' Schnorr signature
    (section 4.6.1, "Signing"): the same construction with the message in the hash.
    """
    w = random_scalar()
    commitment = base_mul(w)
    ch = challenge(tag, context, *bound, bytes(public), bytes(commitment))
    return Proof(ch, (w - secret * ch) % ORDER)


def verify_secret_key(
    context: Context | BoardContext,
    public: Point,
    proof: Proof,
    bound: Sequence[bytes] = (),
    tag: str = "pok",
) -> bool:
    commitment = _response_commitment(proof.response, proof.challenge, public)
    return proof.challenge == challenge(tag, context, *bound, bytes(public), bytes(commitment))


# --- Chaum-Pedersen proof of equal discrete logarithms (section 4.18) --------------------------


def prove_dleq(
    context: Context | BoardContext,
    tag: str,
    secret: int,
    public: Point,
    base: Point,
    result: Point,
    bound: Sequence[bytes] = (),
) -> Proof:
    """Proves ``public = g^secret`` and ``result = base^secret`` with the same secret."""
    w = random_scalar()
    a = base_mul(w)
    b = mul(w, base)
    ch = challenge(
        tag, context, *bound, bytes(public), bytes(base), bytes(result), bytes(a), bytes(b)
    )
    return Proof(ch, (w - secret * ch) % ORDER)


def verify_dleq(
    context: Context | BoardContext,
    tag: str,
    public: Point,
    base: Point,
    result: Point,
    proof: Proof,
    bound: Sequence[bytes] = (),
) -> bool:
    a = _response_commitment(proof.response, proof.challenge, public)
    b = combo(proof.response, base, proof.challenge, result)
    return proof.challenge == challenge(
        tag, context, *bound, bytes(public), bytes(base), bytes(result), bytes(a), bytes(b)
    )


# --- disjunctive proof that a ciphertext encrypts one of several values (section 4.12) ---------


def prove_interval(
    context: Context,
    tag: str,
    ciphertext: Ciphertext,
    r: int,
    m: int,
    values: Sequence[int],
    bound: Sequence[bytes] = (),
) -> DisjunctiveProof:
    """Proves ``ciphertext = (g^r, y^r g^m)`` with m in ``values``, y the context's joint key.

    Every branch but the true one is simulated with a random challenge and response; the true
    branch's challenge is what makes the challenges sum to the hash. The same operations run
    whichever branch is true, so the time taken does not depend on m.
    """
    if m not in values:
        raise ValueError("the plaintext is not among the allowed values")
    y = context.public_key
    true_index = list(values).index(m)
    w = random_scalar()
    simulated: list[tuple[int, int]] = []
    commitments: list[bytes] = []
    for j, value in enumerate(values):
        if j == true_index:
            simulated.append((0, 0))
            commitments += [bytes(base_mul(w)), bytes(mul(w, y))]
        else:
            ch, s = random_scalar(), random_scalar()
            simulated.append((ch, s))
            a, b = _branch_commitments(y, ciphertext, value, ch, s)
            commitments += [bytes(a), bytes(b)]
    total = challenge(
        tag, context, *bound, *_values_bytes(values), *ciphertext.parts(), *commitments
    )
    true_challenge = (total - sum(ch for ch, _ in simulated)) % ORDER
    return tuple(
        Proof(true_challenge, (w - r * true_challenge) % ORDER) if j == true_index else Proof(ch, s)
        for j, (ch, s) in enumerate(simulated)
    )


def verify_interval(
    context: Context,
    tag: str,
    ciphertext: Ciphertext,
    values: Sequence[int],
    proof: DisjunctiveProof,
    bound: Sequence[bytes] = (),
) -> bool:
    if len(proof) != len(values):
        return False
    y = context.public_key
    commitments: list[bytes] = []
    for value, branch in zip(values, proof, strict=True):
        a, b = _checked_commitments(y, ciphertext, value, branch.challenge, branch.response)
        commitments += [bytes(a), bytes(b)]
    total = challenge(
        tag, context, *bound, *_values_bytes(values), *ciphertext.parts(), *commitments
    )
    return total == sum(branch.challenge for branch in proof) % ORDER


# --- proof of knowledge of a ciphertext's randomness (section 4.11.2) --------------------------


def prove_randomness(
    context: Context, ciphertext: Ciphertext, r: int, bound: Sequence[bytes] = ()
) -> Proof:
    """Proves knowledge of r with ``alpha = g^r`` (Belenios ``Hraweg``), binding the whole
    ciphertext and the context: a copied ciphertext cannot be re-proved under another ballot."""
    w = random_scalar()
    commitment = base_mul(w)
    ch = challenge("raweg", context, *bound, *ciphertext.parts(), bytes(commitment))
    return Proof(ch, (w - r * ch) % ORDER)


def verify_randomness(
    context: Context, ciphertext: Ciphertext, proof: Proof, bound: Sequence[bytes] = ()
) -> bool:
    commitment = _response_commitment(proof.response, proof.challenge, ciphertext.alpha)
    return proof.challenge == challenge(
        "raweg", context, *bound, *ciphertext.parts(), bytes(commitment)
    )
