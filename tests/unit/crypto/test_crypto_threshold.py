"""A standing board of trustees: key generation without a dealer (every check names the trustee
at fault), and k-of-n decryption of totals with proofs."""

from __future__ import annotations

import dataclasses
import itertools
from functools import lru_cache

import pytest

from asamblea.crypto import group as G
from asamblea.crypto import threshold as T
from asamblea.crypto.elgamal import Ciphertext, DiscreteLog, encrypt, sum_ciphertexts
from asamblea.crypto.group import GENERATOR, ORDER, add, base_mul, random_scalar, sub
from asamblea.crypto.proofs import Proof, prove_secret_key
from asamblea.crypto.transcript import BoardContext, Context

BOARD = BoardContext("org-7/board", threshold=3, size=5)


@lru_cache(maxsize=1)
def _ceremony():  # type: ignore[no-untyped-def]
    """One honest 3-of-5 key generation, shared by the tests that only read it."""
    identities = [T.new_trustee(BOARD, i) for i in range(1, 6)]
    certs = [c for _, c in identities]
    polys = [T.make_polynomial(BOARD, s, certs) for s, _ in identities]
    keys = [T.complete_key(BOARD, s, certs, polys) for s, _ in identities]
    params = T.assemble_board(BOARD, certs, polys, [vk for _, vk in keys])
    return identities, certs, polys, keys, params


def _tally(votes: list[int]) -> tuple[Context, tuple[Ciphertext, ...]]:
    *_, params = _ceremony()
    ctx = Context("election-9", "recall", params.public_key)
    # Two totals: the votes, and their complement, as a yes/no tally would have.
    yes = sum_ciphertexts(encrypt(params.public_key, v)[0] for v in votes)
    no = sum_ciphertexts(encrypt(params.public_key, 1 - v)[0] for v in votes)
    return ctx, (yes, no)


VOTES = [1, 0, 1, 1, 0, 1, 0, 1]


def test_every_trustee_ends_with_a_share_matching_its_verification_key() -> None:
    *_, keys, params = _ceremony()
    for share, vk in keys:
        assert base_mul(share.secret) == vk.public == params.verification_key(share.index)


def test_the_joint_key_is_the_secret_any_three_shares_interpolate() -> None:
    # Only a test may interpolate the joint secret: in production it exists nowhere.
    *_, keys, params = _ceremony()
    for subset in itertools.combinations([share for share, _ in keys], 3):
        lambdas = T.lagrange_at_zero([s.index for s in subset])
        secret = sum(lambdas[s.index] * s.secret for s in subset) % ORDER
        assert base_mul(secret) == params.public_key


@pytest.mark.parametrize("subset", list(itertools.combinations(range(1, 6), 3)))
def test_any_three_of_five_trustees_decrypt_the_totals(subset: tuple[int, ...]) -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    partials = [T.partial_decrypt(ctx, keys[j - 1][0], tally) for j in subset]
    assert T.combine(ctx, params, tally, partials, DiscreteLog(len(VOTES))) == [5, 3]


def test_more_than_k_partials_also_decrypt() -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    partials = [T.partial_decrypt(ctx, share, tally) for share, _ in keys]
    assert T.combine(ctx, params, tally, partials, DiscreteLog(len(VOTES))) == [5, 3]


def test_two_trustees_of_a_three_of_five_board_cannot_decrypt() -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    partials = [T.partial_decrypt(ctx, keys[j][0], tally) for j in (0, 3)]
    with pytest.raises(T.NotEnoughTrustees):
        T.combine(ctx, params, tally, partials, DiscreteLog(len(VOTES)))
    # Nor does interpolating their factors anyway give the plaintext: the polynomial has degree 2.
    for n, c in enumerate(tally):
        wrong = sub(c.beta, T.combine_factors(partials, n))
        assert wrong not in {base_mul(m) for m in range(len(VOTES) + 1)}


def test_a_wrong_partial_decryption_is_refused_and_its_trustee_named() -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    good = [T.partial_decrypt(ctx, keys[j][0], tally) for j in (0, 1)]
    bad = T.partial_decrypt(ctx, keys[3][0], tally)
    bad = dataclasses.replace(bad, factors=(add(bad.factors[0], GENERATOR), bad.factors[1]))
    with pytest.raises(T.InvalidPartialDecryption) as caught:
        T.combine(ctx, params, tally, [*good, bad], DiscreteLog(len(VOTES)))
    assert caught.value.trustee == 4


def test_a_partial_made_with_another_trustees_share_is_refused() -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    stolen = T.partial_decrypt(ctx, keys[1][0], tally)
    claimed = dataclasses.replace(stolen, trustee=5)
    with pytest.raises(T.InvalidPartialDecryption) as caught:
        T.verify_partial_decryption(ctx, params, tally, claimed)
    assert caught.value.trustee == 5


def test_a_partial_decryption_does_not_verify_for_another_tally() -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    other_ctx, other_tally = _tally([1, 1])
    partial = T.partial_decrypt(ctx, keys[0][0], tally)
    with pytest.raises(T.InvalidPartialDecryption):
        T.verify_partial_decryption(ctx, params, other_tally, partial)
    # Same alphas, another beta: the proof binds the whole ciphertext (strong Fiat-Shamir).
    shifted = tuple(Ciphertext(c.alpha, add(c.beta, GENERATOR)) for c in tally)
    with pytest.raises(T.InvalidPartialDecryption):
        T.verify_partial_decryption(ctx, params, shifted, partial)


def test_a_partial_decryption_is_bound_to_its_election_and_question() -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    partial = T.partial_decrypt(ctx, keys[0][0], tally)
    for other in (
        dataclasses.replace(ctx, election_id="election-10"),
        dataclasses.replace(ctx, question_id="other"),
    ):
        with pytest.raises(T.InvalidPartialDecryption):
            T.verify_partial_decryption(other, params, tally, partial)


@dataclasses.dataclass(frozen=True)
class ContextWithoutElection(Context):
    def fields(self) -> tuple[bytes, ...]:
        return (b"election", bytes(self.public_key), self.question_id.encode())


def test_a_decryption_proof_whose_challenge_omits_the_election_id_fails() -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    weak = ContextWithoutElection(ctx.election_id, ctx.question_id, ctx.public_key)
    partial = T.partial_decrypt(weak, keys[0][0], tally)
    with pytest.raises(T.InvalidPartialDecryption) as caught:
        T.verify_partial_decryption(ctx, params, tally, partial)
    assert caught.value.trustee == 1


def test_a_trustee_posting_twice_is_refused() -> None:
    *_, keys, params = _ceremony()
    ctx, tally = _tally(VOTES)
    p = T.partial_decrypt(ctx, keys[0][0], tally)
    q = T.partial_decrypt(ctx, keys[1][0], tally)
    with pytest.raises(T.InvalidPartialDecryption) as caught:
        T.combine(ctx, params, tally, [p, q, p], DiscreteLog(len(VOTES)))
    assert caught.value.trustee == 1


def test_lagrange_coefficients_refuse_repeated_or_non_positive_indices() -> None:
    with pytest.raises(ValueError):
        T.lagrange_at_zero([1, 1, 2])
    with pytest.raises(ValueError):
        T.lagrange_at_zero([0, 1, 2])


# --- key generation: each bad message is refused, naming its author ----------------------------


def _fresh():  # type: ignore[no-untyped-def]
    identities = [T.new_trustee(BOARD, i) for i in range(1, 6)]
    certs = [c for _, c in identities]
    return identities, certs


def test_a_certificate_with_a_bad_signature_is_refused_and_named() -> None:
    identities, certs = _fresh()
    forged = dataclasses.replace(certs[2], encryption_key=base_mul(random_scalar()))
    with pytest.raises(T.KeyGenerationError) as caught:
        T.make_polynomial(BOARD, identities[0][0], [*certs[:2], forged, *certs[3:]])
    assert caught.value.trustee == 3


def test_a_certificate_from_another_board_is_refused() -> None:
    identities, certs = _fresh()
    other = BoardContext("org-8/board", 3, 5)
    assert T.verify_certificate(BOARD, certs[0])
    assert not T.verify_certificate(other, certs[0])


def test_a_share_that_does_not_match_its_dealers_commitments_is_refused_and_named() -> None:
    identities, certs = _fresh()
    polys = [T.make_polynomial(BOARD, s, certs) for s, _ in identities]
    # Dealer 2 re-deals trustee 4's share from another polynomial, and signs the result.
    honest = polys[1]
    liar = T.make_polynomial(BOARD, identities[1][0], certs)
    shares = tuple(liar.shares[k] if k == 3 else honest.shares[k] for k in range(5))
    unsigned = dataclasses.replace(honest, shares=shares)
    signed = dataclasses.replace(
        unsigned,
        signature=T._sign(BOARD, identities[1][0], certs[1].verification_key, unsigned.message()),
    )
    polys[1] = signed
    with pytest.raises(T.KeyGenerationError) as caught:
        T.complete_key(BOARD, identities[3][0], certs, polys)
    assert caught.value.trustee == 2
    # Trustee 1's share from dealer 2 is honest: it completes.
    T.complete_key(BOARD, identities[0][0], certs, polys)


def test_a_polynomial_altered_in_transit_is_refused_and_named() -> None:
    identities, certs = _fresh()
    polys = [T.make_polynomial(BOARD, s, certs) for s, _ in identities]
    a0 = polys[4].coefexps
    polys[4] = dataclasses.replace(polys[4], coefexps=(add(a0[0], GENERATOR), *a0[1:]))
    with pytest.raises(T.KeyGenerationError) as caught:
        T.complete_key(BOARD, identities[0][0], certs, polys)
    assert caught.value.trustee == 5


def test_a_commitment_without_a_proof_of_knowledge_is_refused_even_when_signed() -> None:
    # The rogue-key attack: commit to g^x minus the others' keys, a value one cannot know the
    # logarithm of. The signature is the dealer's own; only the proof of knowledge stops it.
    identities, certs = _fresh()
    polys = [T.make_polynomial(BOARD, s, certs) for s, _ in identities]
    rogue = sub(base_mul(random_scalar()), add(polys[0].coefexps[0], polys[1].coefexps[0]))
    unsigned = dataclasses.replace(polys[2], coefexps=(rogue, *polys[2].coefexps[1:]))
    polys[2] = dataclasses.replace(
        unsigned,
        signature=T._sign(BOARD, identities[2][0], certs[2].verification_key, unsigned.message()),
    )
    with pytest.raises(T.KeyGenerationError) as caught:
        T.complete_key(BOARD, identities[0][0], certs, polys)
    assert caught.value.trustee == 3
    assert "proof of knowledge" in caught.value.reason


def test_a_share_cannot_be_decrypted_by_another_trustee() -> None:
    identities, certs = _fresh()
    poly = T.make_polynomial(BOARD, identities[0][0], certs)
    with pytest.raises(T.KeyGenerationError):
        T._decrypt_share(BOARD, 1, identities[2][0], poly.shares[1])
    assert T._decrypt_share(BOARD, 1, identities[1][0], poly.shares[1]) > 0


def test_a_verification_key_that_does_not_match_the_commitments_is_refused_and_named() -> None:
    identities, certs = _fresh()
    polys = [T.make_polynomial(BOARD, s, certs) for s, _ in identities]
    keys = [T.complete_key(BOARD, s, certs, polys) for s, _ in identities]
    vks = [vk for _, vk in keys]
    # Trustee 3 publishes a key for a secret of its own choosing, with a valid proof of it.
    x = random_scalar()
    from asamblea.crypto.transcript import index_bytes

    vks[2] = T.VerificationKey(
        3,
        base_mul(x),
        prove_secret_key(BOARD, x, base_mul(x), bound=(b"verification", index_bytes(3))),
    )
    with pytest.raises(T.KeyGenerationError) as caught:
        T.assemble_board(BOARD, certs, polys, vks)
    assert caught.value.trustee == 3


def test_a_verification_key_without_its_proof_is_refused_and_named() -> None:
    identities, certs = _fresh()
    polys = [T.make_polynomial(BOARD, s, certs) for s, _ in identities]
    vks = [T.complete_key(BOARD, s, certs, polys)[1] for s, _ in identities]
    vks[4] = dataclasses.replace(vks[4], pok=Proof(1, 1))
    with pytest.raises(T.KeyGenerationError) as caught:
        T.assemble_board(BOARD, certs, polys, vks)
    assert caught.value.trustee == 5


def test_fingerprints_differ_between_trustees_and_are_short_enough_to_read_aloud() -> None:
    _, certs = _fresh()
    prints = {T.fingerprint(c) for c in certs}
    assert len(prints) == 5 and all(len(p) == 43 for p in prints)


def test_an_election_without_ballots_decrypts_to_zero() -> None:
    # The empty tally is (identity, identity): every factor is the identity, and so is the total.
    *_, keys, params = _ceremony()
    ctx = Context("election-empty", "recall", params.public_key)
    tally = (Ciphertext(G.IDENTITY, G.IDENTITY),) * 2
    partials = [T.partial_decrypt(ctx, keys[j][0], tally) for j in (0, 1, 2)]
    assert T.combine(ctx, params, tally, partials, DiscreteLog(10)) == [0, 0]


def test_a_board_whose_dealers_cancel_out_is_refused() -> None:
    # All five dealers together committing to secrets that sum to zero: the joint key would be the
    # identity, under which every ciphertext is readable.
    identities, certs = _fresh()
    polys = []
    total = 0
    for n, (secrets, _) in enumerate(identities):
        a0 = random_scalar() if n < 4 else (-total) % ORDER
        total = (total + a0) % ORDER
        coefficients = [a0, random_scalar(), random_scalar()]
        coefexps = tuple(base_mul(a) for a in coefficients)
        proofs = tuple(
            prove_secret_key(BOARD, a, A, bound=T._coefficient_bound(secrets.index, k))
            for k, (a, A) in enumerate(zip(coefficients, coefexps, strict=True))
        )
        shares = tuple(
            T._encrypt_share(BOARD, secrets.index, c, T._evaluate(coefficients, c.index))
            for c in certs
        )
        unsigned = T.Polynomial(secrets.index, coefexps, proofs, shares, Proof(0, 0))
        signature = T._sign(BOARD, secrets, certs[n].verification_key, unsigned.message())
        polys.append(dataclasses.replace(unsigned, signature=signature))
    vks = [T.complete_key(BOARD, s, certs, polys)[1] for s, _ in identities]
    with pytest.raises(ValueError, match="identity"):
        T.assemble_board(BOARD, certs, polys, vks)


@pytest.mark.parametrize("subset", [(1, 2), (2, 4, 5), (1, 2, 3, 5)])
def test_combining_a_whole_list_gives_the_points_one_by_one_does(subset: tuple[int, ...]) -> None:
    """combine_positions (the coefficients once, products two at a time) is combine_factors for
    every position, with an even or odd number of trustees, and decrypts to the totals."""
    *_, keys, _params = _ceremony()
    ctx, tally = _tally(VOTES)
    partials = [T.partial_decrypt(ctx, keys[j - 1][0], tally) for j in subset]
    got = T.combine_positions(
        [c.beta for c in tally], [p.factors for p in partials], [p.trustee for p in partials]
    )
    assert got == [sub(c.beta, T.combine_factors(partials, n)) for n, c in enumerate(tally)]
    if len(subset) >= 3:
        assert got == [base_mul(5), base_mul(3)]
