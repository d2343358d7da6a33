"""The verifiable shuffle (crypto/shuffle.py, crypto/shuffle_verify.py): honest shuffles of every
small shape verify and keep the multiset of plaintext ballots; every forgery a cheating mixer could
try is refused, naming the step that caught it; the verifier shares no code with the prover."""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asamblea.crypto import shuffle as S
from asamblea.crypto import shuffle_verify as V
from asamblea.crypto.elgamal import Ciphertext, DiscreteLog, decrypt_to_point, encrypt
from asamblea.crypto.group import (
    GENERATOR,
    IDENTITY,
    ORDER,
    b64encode,
    base_mul,
    mul,
    random_scalar,
)
from asamblea.crypto.transcript import Context
from fixtures.shuffle_forgery import forge_with_trapdoor

SECRET = random_scalar()
KEY = base_mul(SECRET)
CTX = Context("federacion/7", "q1", KEY)
LOG = DiscreteLog(20)


def _ballots(n: int, width: int) -> list[tuple[Ciphertext, ...]]:
    return [tuple(encrypt(KEY, (7 * i + k) % 11)[0] for k in range(width)) for i in range(n)]


def _plain(ballots: list[tuple[Ciphertext, ...]]) -> Counter[tuple[int, ...]]:
    return Counter(tuple(LOG.solve(decrypt_to_point(SECRET, c)) for c in b) for b in ballots)


def _check(inputs, outputs, proof, ctx: Context = CTX) -> None:  # type: ignore[no-untyped-def]
    """Through the JSON, as the record carries it: the verifier never sees the prover's types."""
    V.check_shuffle_proof(
        ctx,
        V.ballots_from_json(S.ballots_to_json(inputs)),
        V.ballots_from_json(S.ballots_to_json(outputs)),
        V.proof_from_json(S.proof_to_json(proof)),
    )


def _refused(step: str, inputs, outputs, proof, ctx: Context = CTX) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(V.InvalidShuffle) as caught:
        _check(inputs, outputs, proof, ctx)
    assert caught.value.step == step, str(caught.value)


@pytest.mark.parametrize(("n", "width"), [(1, 1), (2, 1), (1, 5), (3, 2), (50, 1), (17, 5)])
def test_an_honest_shuffle_verifies_and_keeps_the_ballots(n: int, width: int) -> None:
    inputs = _ballots(n, width)
    outputs, proof = S.shuffle_with_proof(CTX, inputs)
    _check(inputs, outputs, proof)
    assert _plain(outputs) == _plain(inputs)
    # Every component was re-encrypted: no output ciphertext equals an input one.
    assert not {c for b in inputs for c in b} & {c for b in outputs for c in b}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 50), width=st.integers(1, 5), data=st.data())
def test_any_shape_and_permutation_verifies(n: int, width: int, data: st.DataObject) -> None:
    inputs = _ballots(n, width)
    psi = data.draw(st.permutations(list(range(n))))
    outputs, rho, _ = S.gen_shuffle(KEY, inputs, psi)
    assert [outputs[i][0].alpha != inputs[psi[i]][0].alpha for i in range(n)] == [True] * n
    _check(inputs, outputs, S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi))


def test_mixers_in_turn_compose() -> None:
    inputs = _ballots(6, 3)
    current = inputs
    for _ in range(3):
        nxt, proof = S.shuffle_with_proof(CTX, current)
        _check(current, nxt, proof)
        current = nxt
    assert _plain(current) == _plain(inputs)


def _honest(n: int = 5, width: int = 3):  # type: ignore[no-untyped-def]
    inputs = _ballots(n, width)
    outputs, rho, psi = S.gen_shuffle(KEY, inputs)
    return inputs, outputs, rho, psi


def test_one_ciphertext_replaced_by_the_mixer_is_refused_at_t4() -> None:
    """A cheating mixer drops a ballot for one of its own and proves over its forged list."""
    inputs, outputs, rho, psi = _honest()
    forged = list(outputs)
    forged[2] = (encrypt(KEY, 3)[0], *forged[2][1:])
    proof = S.gen_shuffle_proof(CTX, inputs, forged, rho, psi)
    _refused("t4", inputs, forged, proof)


def test_two_outputs_swapped_after_proving_are_refused() -> None:
    inputs, outputs, rho, psi = _honest()
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi)
    swapped = list(outputs)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    _refused("challenge", inputs, swapped, proof)


def test_two_outputs_swapped_by_the_mixer_before_proving_are_refused_at_t4() -> None:
    inputs, outputs, rho, psi = _honest()
    swapped = list(outputs)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    proof = S.gen_shuffle_proof(CTX, inputs, swapped, rho, psi)
    _refused("t4", inputs, swapped, proof)


def test_one_output_replaced_after_proving_is_refused() -> None:
    inputs, outputs, rho, psi = _honest()
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi)
    tampered = list(outputs)
    tampered[4] = tuple(encrypt(KEY, 1)[0] for _ in range(3))
    _refused("challenge", inputs, tampered, proof)


def test_a_reencryption_under_another_key_is_refused_at_t4() -> None:
    inputs = _ballots(4, 2)
    wrong = base_mul(random_scalar())
    outputs, rho, psi = S.gen_shuffle(wrong, inputs)
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi)
    _refused("t4", inputs, outputs, proof)


def test_a_proof_checked_under_another_key_or_election_is_refused() -> None:
    inputs, outputs, rho, psi = _honest()
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi)
    _check(inputs, outputs, proof)
    _refused("challenge", inputs, outputs, proof, Context("federacion/7", "q1", GENERATOR))
    _refused("challenge", inputs, outputs, proof, Context("federacion/8", "q1", KEY))


def test_generators_with_a_known_logarithm_are_never_used_by_the_verifier() -> None:
    """A mixer that proves under h_i = k_i*G (whose logs it knows, and could use to open the
    permutation commitment to anything) is refused: the verifier derives its own generators."""
    inputs, outputs, rho, psi = _honest()
    trapdoor = [mul(random_scalar(), GENERATOR) for _ in range(len(inputs) + 1)]
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi, hs=trapdoor)
    _refused("challenge", inputs, outputs, proof)
    # The derived generators are hash-to-group points, pairwise distinct, none is G.
    hs = V.independent_generators(CTX.election_id, CTX.question_id, 10)
    assert len(set(hs)) == 11 and GENERATOR not in hs and IDENTITY not in hs
    assert hs == S.generators(CTX.election_id, CTX.question_id, 10)
    assert hs != V.independent_generators("federacion/8", "q1", 10)


def test_the_trapdoor_generators_fail_the_permutation_step_even_with_a_matching_challenge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were the verifier to hash the trapdoor generators (as the prover did), the commitment still
    would not open under its own: step t1 names it."""
    inputs, outputs, rho, psi = _honest()
    trapdoor = [mul(random_scalar(), GENERATOR) for _ in range(len(inputs) + 1)]
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi, hs=trapdoor)
    real = V.independent_generators
    monkeypatch.setattr(V, "_statement_digest", _digest_with(trapdoor, V._statement_digest))
    with pytest.raises(V.InvalidShuffle) as caught:
        _check(inputs, outputs, proof)
    assert caught.value.step == "t1"
    assert real is V.independent_generators


def _digest_with(hs_override, original):  # type: ignore[no-untyped-def]
    def digest(context, hs, inputs, outputs, commitments):  # type: ignore[no-untyped-def]
        return original(context, hs_override, inputs, outputs, commitments)

    return digest


def test_a_challenge_that_omits_the_public_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs, outputs, rho, psi = _honest()
    monkeypatch.setattr(S, "hash_context", lambda c: dataclasses.replace(c, public_key=IDENTITY))
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi)
    _refused("challenge", inputs, outputs, proof)


def test_a_challenge_that_omits_the_input_list_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs, outputs, rho, psi = _honest()
    original = S._statement

    def without_inputs(hs, ins, outs, commitments):  # type: ignore[no-untyped-def]
        parts = original(hs, ins, outs, commitments)
        drop = {bytes(p) for b in ins for c in b for p in c.parts()}
        return [p for p in parts if p not in drop]

    monkeypatch.setattr(S, "statement_parts", without_inputs)
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi)
    _refused("challenge", inputs, outputs, proof)


def test_the_unpatched_prover_passes_the_same_checks() -> None:
    """The two tests above fail only because of what they patch."""
    inputs, outputs, rho, psi = _honest()
    _check(inputs, outputs, S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi))


@pytest.mark.parametrize(
    ("field", "step"),
    [("s1", "t1"), ("s2", "t2"), ("s3", "t3"), ("s4", "t4"), ("s_hat", "t_hat"), ("s_prime", "t3")],
)
def test_a_changed_response_fails_its_own_equation(field: str, step: str) -> None:
    inputs, outputs, rho, psi = _honest()
    proof = S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi)
    value = getattr(proof, field)
    new: object = (
        ((value[0] + 1) % ORDER, *value[1:]) if isinstance(value, tuple) else (value + 1) % ORDER
    )
    changed = dataclasses.replace(proof, **{field: new})  # type: ignore[arg-type]
    _refused(step, inputs, outputs, changed)


def test_malformed_proofs_and_lists_are_refused_as_form() -> None:
    inputs, outputs, rho, psi = _honest()
    good = S.proof_to_json(S.gen_shuffle_proof(CTX, inputs, outputs, rho, psi))
    for broken in (
        {**good, "v": 2},
        {k: v for k, v in good.items() if k != "t3"},
        {**good, "extra": 1},
        {**good, "t1": "not a point"},
        {**good, "s1": b64encode(ORDER.to_bytes(32, "little"))},
        {**good, "t4": [["x"]]},
    ):
        with pytest.raises(V.InvalidShuffle) as caught:
            V.proof_from_json(broken)
        assert caught.value.step == "form"
    short = V.proof_from_json({**good, "chain": good["chain"][:-1]})
    with pytest.raises(V.InvalidShuffle, match="chain has 4 entries"):
        V.check_shuffle_proof(CTX, inputs, outputs, short)
    with pytest.raises(V.InvalidShuffle, match="5 ballots in, 4 out"):
        V.check_shuffle_proof(CTX, inputs, outputs[:4], V.proof_from_json(good))
    with pytest.raises(V.InvalidShuffle, match="not 3"):
        V.ballots_from_json([*S.ballots_to_json(inputs), [["a", "b"]]])


def test_the_verifier_imports_nothing_of_the_prover() -> None:
    src = Path(V.__file__).read_text(encoding="utf-8")
    modules = {
        node.module
        for node in ast.walk(ast.parse(src))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("asamblea")
    }
    # elgamal only for the Ciphertext pair type; no prover of it is imported.
    assert modules == {
        "asamblea.crypto.elgamal",
        "asamblea.crypto.group",
        "asamblea.crypto.transcript",
    }
    imported = {
        alias.name
        for node in ast.walk(ast.parse(src))
        if isinstance(node, ast.ImportFrom) and node.module == "asamblea.crypto.elgamal"
        for alias in node.names
    }
    assert imported == {"Ciphertext"}


def _forge_with_trapdoor(n: int = 3):  # type: ignore[no-untyped-def]
    """The attack that generators with known logarithms allow (the 2019 flaw): a mixer who knows
    ``h_i = x_i*G`` replaces ballot 0 (whose plaintext and randomness it knows: its own) by an
    encryption of another value and proves the result a shuffle, by opening its commitments to
    a vector u'' that is no permutation of u. Returns the inputs, forged outputs, proof and the
    trapdoor generators."""
    xs = [random_scalar() for _ in range(n + 1)]
    hs = [base_mul(x) for x in xs]
    first, r_in0 = encrypt(KEY, 2)  # the forger's own ballot: 2, which becomes 3
    inputs = [(first,), *[(encrypt(KEY, 5)[0],) for _ in range(n - 1)]]
    outs, proof = forge_with_trapdoor(CTX, inputs, 0, (r_in0,), hs, xs)
    return inputs, outs, V.proof_from_json(proof), hs


def test_trapdoor_generators_let_a_forged_shuffle_pass_but_ours_refuse_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inputs, outs, proof, hs = _forge_with_trapdoor()
    # The forgery changed a plaintext: 2 became 3.
    assert _plain(outs) != _plain(inputs)
    # Our verifier derives its own generators: refused.
    with pytest.raises(V.InvalidShuffle):
        V.check_shuffle_proof(CTX, inputs, outs, proof)
    # A verifier that took the mixer's generators (logs known to it) accepts the forgery: this is
    # why the generators must come from hash-to-group and never from the prover.
    monkeypatch.setattr(V, "independent_generators", lambda e, q, n: hs)
    V.check_shuffle_proof(CTX, inputs, outs, proof)


def test_a_shuffle_made_and_checked_over_worker_processes_is_the_same_as_in_one() -> None:
    """The prover's and the verifier's tasks (slices of ballots, one rank each) run in a process
    pool as in one process: the pool's shuffle verifies serially and keeps the ballots, a serial
    shuffle verifies over the pool, and a changed response is refused at the same step and the
    same place, including a link of the chain in a later slice than the first."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    inputs = _ballots(9, 3)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        outputs, proof = S.shuffle_with_proof(CTX, inputs, mapper=pool.map)
        _check(inputs, outputs, proof)
        assert _plain(outputs) == _plain(inputs)

        def over_pool(proof: S.ShuffleProof) -> None:
            V.check_shuffle_proof(
                CTX,
                V.ballots_from_json(S.ballots_to_json(inputs)),
                V.ballots_from_json(S.ballots_to_json(outputs)),
                V.proof_from_json(S.proof_to_json(proof)),
                mapper=pool.map,
            )

        over_pool(proof)
        for field, position, step, words in (
            ("s3", None, "t3", "committed permutation"),
            ("s4", 2, "t4", "rank 3"),
            ("s_hat", 7, "t_hat", "link 8 "),
            ("s_prime", 8, "t3", "committed permutation"),
        ):
            value = getattr(proof, field)
            if position is None:
                new: object = (value + 1) % ORDER
            else:
                new = tuple((v + 1) % ORDER if i == position else v for i, v in enumerate(value))
            changed = dataclasses.replace(proof, **{field: new})  # type: ignore[arg-type]
            for check in (over_pool, lambda p: _check(inputs, outputs, p)):
                with pytest.raises(V.InvalidShuffle) as caught:
                    check(changed)
                assert caught.value.step == step, str(caught.value)
                assert words in str(caught.value)
