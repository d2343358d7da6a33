"""Schnorr, Chaum-Pedersen, disjunctive and randomness proofs: each verifies, and each fails when
anything it is bound to changes (the strong Fiat-Shamir binding of transcript.challenge)."""

from __future__ import annotations

import dataclasses

import pytest

from asamblea.crypto.elgamal import Ciphertext, encrypt, reencrypt
from asamblea.crypto.group import GENERATOR, ORDER, add, base_mul, mul, random_scalar
from asamblea.crypto.proofs import (
    Proof,
    prove_dleq,
    prove_interval,
    prove_randomness,
    prove_secret_key,
    verify_dleq,
    verify_interval,
    verify_randomness,
    verify_secret_key,
)
from asamblea.crypto.transcript import BoardContext, Context

SECRET = random_scalar()
KEY = base_mul(SECRET)
CTX = Context("election-1", "question-1", KEY)


@dataclasses.dataclass(frozen=True)
class ContextWithoutElection(Context):
    """A context whose challenge leaves out the election id: the flaw the binding prevents."""

    def fields(self) -> tuple[bytes, ...]:
        return (b"election", bytes(self.public_key), self.question_id.encode())


OTHER_CONTEXTS = [
    Context("election-2", "question-1", KEY),
    Context("election-1", "question-2", KEY),
    Context("election-1", "question-1", base_mul(random_scalar())),
]


def _tampered(proof: Proof) -> list[Proof]:
    return [
        Proof((proof.challenge + 1) % ORDER, proof.response),
        Proof(proof.challenge, (proof.response + 1) % ORDER),
    ]


# --- Schnorr ------------------------------------------------------------------------------------


def test_a_proof_of_knowledge_of_a_secret_key_verifies() -> None:
    x = random_scalar()
    proof = prove_secret_key(CTX, x, base_mul(x))
    assert verify_secret_key(CTX, base_mul(x), proof)


def test_a_proof_of_knowledge_fails_for_another_key_context_or_bound() -> None:
    x = random_scalar()
    public = base_mul(x)
    proof = prove_secret_key(CTX, x, public, bound=(b"trustee 1",))
    assert verify_secret_key(CTX, public, proof, bound=(b"trustee 1",))
    assert not verify_secret_key(CTX, base_mul(x + 1), proof, bound=(b"trustee 1",))
    assert not verify_secret_key(CTX, public, proof, bound=(b"trustee 2",))
    assert not verify_secret_key(BoardContext("b", 2, 3), public, proof, bound=(b"trustee 1",))
    assert not verify_secret_key(CTX, public, proof, bound=(b"trustee 1",), tag="sigmsg")
    for bad in _tampered(proof):
        assert not verify_secret_key(CTX, public, bad, bound=(b"trustee 1",))


def test_a_proof_of_knowledge_made_without_the_secret_fails() -> None:
    x = random_scalar()
    proof = prove_secret_key(CTX, x + 1, base_mul(x))
    assert not verify_secret_key(CTX, base_mul(x), proof)


# --- Chaum-Pedersen -----------------------------------------------------------------------------


def test_a_chaum_pedersen_proof_verifies() -> None:
    base = base_mul(random_scalar())
    proof = prove_dleq(CTX, "decrypt", SECRET, KEY, base, mul(SECRET, base))
    assert verify_dleq(CTX, "decrypt", KEY, base, mul(SECRET, base), proof)


def test_a_chaum_pedersen_proof_fails_for_a_wrong_result() -> None:
    base = base_mul(random_scalar())
    wrong = add(mul(SECRET, base), GENERATOR)
    proof = prove_dleq(CTX, "decrypt", SECRET, KEY, base, wrong)
    assert not verify_dleq(CTX, "decrypt", KEY, base, wrong, proof)


def test_a_chaum_pedersen_proof_is_bound_to_its_context_and_statement() -> None:
    base = base_mul(random_scalar())
    result = mul(SECRET, base)
    proof = prove_dleq(CTX, "decrypt", SECRET, KEY, base, result, bound=(b"x",))
    assert verify_dleq(CTX, "decrypt", KEY, base, result, proof, bound=(b"x",))
    for other in OTHER_CONTEXTS:
        assert not verify_dleq(other, "decrypt", KEY, base, result, proof, bound=(b"x",))
    assert not verify_dleq(CTX, "decrypt", KEY, base, result, proof, bound=(b"y",))
    assert not verify_dleq(CTX, "other", KEY, base, result, proof, bound=(b"x",))
    for bad in _tampered(proof):
        assert not verify_dleq(CTX, "decrypt", KEY, base, result, bad, bound=(b"x",))


# --- disjunctive (interval) proofs --------------------------------------------------------------


@pytest.mark.parametrize("m", [0, 1])
def test_a_zero_or_one_proof_verifies_for_either_value(m: int) -> None:
    c, r = encrypt(KEY, m)
    proof = prove_interval(CTX, "choice", c, r, m, (0, 1))
    assert verify_interval(CTX, "choice", c, (0, 1), proof)


@pytest.mark.parametrize("m", [0, 1, 2, 3])
def test_a_range_proof_verifies_for_each_allowed_value(m: int) -> None:
    c, r = encrypt(KEY, m)
    proof = prove_interval(CTX, "overall", c, r, m, (0, 1, 2, 3))
    assert len(proof) == 4
    assert verify_interval(CTX, "overall", c, (0, 1, 2, 3), proof)


def test_the_prover_refuses_a_value_outside_the_range() -> None:
    c, r = encrypt(KEY, 2)
    with pytest.raises(ValueError):
        prove_interval(CTX, "choice", c, r, 2, (0, 1))


def test_a_proof_that_lies_about_the_plaintext_fails() -> None:
    # The ciphertext holds 2; the prover claims 1, which is in the range: the proof must fail.
    c, r = encrypt(KEY, 2)
    proof = prove_interval(CTX, "choice", c, r, 1, (0, 1))
    assert not verify_interval(CTX, "choice", c, (0, 1), proof)


def test_a_disjunctive_proof_does_not_carry_over_to_a_reencryption() -> None:
    c, r = encrypt(KEY, 1)
    proof = prove_interval(CTX, "choice", c, r, 1, (0, 1))
    d, _ = reencrypt(KEY, c)
    assert not verify_interval(CTX, "choice", d, (0, 1), proof)


def test_a_disjunctive_proof_is_bound_to_its_context_values_and_bound() -> None:
    c, r = encrypt(KEY, 1)
    proof = prove_interval(CTX, "choice", c, r, 1, (0, 1), bound=(b"ballot",))
    assert verify_interval(CTX, "choice", c, (0, 1), proof, bound=(b"ballot",))
    for other in OTHER_CONTEXTS:
        assert not verify_interval(other, "choice", c, (0, 1), proof, bound=(b"ballot",))
    assert not verify_interval(CTX, "choice", c, (0, 1), proof, bound=(b"other",))
    assert not verify_interval(CTX, "choice", c, (1, 2), proof, bound=(b"ballot",))
    assert not verify_interval(CTX, "overall", c, (0, 1), proof, bound=(b"ballot",))
    assert not verify_interval(CTX, "choice", c, (0, 1), proof[:1], bound=(b"ballot",))
    for i in range(2):
        for bad in _tampered(proof[i]):
            forged = tuple(bad if j == i else p for j, p in enumerate(proof))
            assert not verify_interval(CTX, "choice", c, (0, 1), forged, bound=(b"ballot",))


def test_a_proof_whose_challenge_omits_the_election_id_fails() -> None:
    weak = ContextWithoutElection("election-1", "question-1", KEY)
    c, r = encrypt(KEY, 1)
    proof = prove_interval(weak, "choice", c, r, 1, (0, 1))
    assert verify_interval(weak, "choice", c, (0, 1), proof)  # the weak proof is well formed
    assert not verify_interval(CTX, "choice", c, (0, 1), proof)


def test_the_swapped_alpha_and_beta_are_not_accepted() -> None:
    c, r = encrypt(KEY, 0)
    proof = prove_interval(CTX, "choice", c, r, 0, (0, 1))
    assert not verify_interval(CTX, "choice", Ciphertext(c.beta, c.alpha), (0, 1), proof)


# --- proof of knowledge of the randomness -------------------------------------------------------


def test_a_proof_of_the_randomness_verifies_and_is_bound() -> None:
    c, r = encrypt(KEY, 1)
    proof = prove_randomness(CTX, c, r)
    assert verify_randomness(CTX, c, proof)
    for other in OTHER_CONTEXTS:
        assert not verify_randomness(other, c, proof)
    d, _ = reencrypt(KEY, c)
    assert not verify_randomness(CTX, d, proof)
    # Same alpha, another beta: the whole ciphertext is bound, not only alpha.
    assert not verify_randomness(CTX, Ciphertext(c.alpha, add(c.beta, GENERATOR)), proof)
    assert not verify_randomness(CTX, c, prove_randomness(CTX, c, r + 1))


def test_zero_challenges_and_responses_are_refused_cleanly() -> None:
    # libsodium refuses a zero scalar; the group layer answers the identity instead, so a forged
    # all-zero proof is simply false, never an exception from deep inside a verifier.
    c, _ = encrypt(KEY, 1)
    zero = Proof(0, 0)
    assert not verify_interval(CTX, "choice", c, (0, 1), (zero, zero))
    assert not verify_secret_key(CTX, KEY, zero)
    assert not verify_dleq(CTX, "decrypt", KEY, c.alpha, c.beta, zero)
    assert not verify_randomness(CTX, c, zero)
