"""Sealed ballots: every allowed choice seals and verifies, every forgery and replay is refused,
the canonical JSON is strict, and copies of cast ciphertexts are found."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.crypto import ballot as B
from asamblea.crypto import group as G
from asamblea.crypto.elgamal import (
    Ciphertext,
    DiscreteLog,
    decrypt_to_point,
    encrypt,
    sum_ciphertexts,
)
from asamblea.crypto.group import (
    GENERATOR,
    ORDER,
    add,
    b64encode,
    base_mul,
    random_scalar,
    sub,
)
from asamblea.crypto.proofs import prove_interval
from asamblea.crypto.transcript import Context

SECRET = random_scalar()
KEY = base_mul(SECRET)
ELECTION = "federacion/recall-42"
YES_NO = B.Question.yes_no("recall")
PLURALITY = B.Question.plurality("seat", 4)
APPROVAL = B.Question.approval("committee", 5, 3)


def _seal(questions, selections, election=ELECTION):  # type: ignore[no-untyped-def]
    return B.seal_ballot(KEY, election, questions, selections)[0]


def _decrypt(c: Ciphertext) -> int:
    return DiscreteLog(10).solve(decrypt_to_point(SECRET, c))


# --- allowed choices seal and verify ------------------------------------------------------------


@pytest.mark.parametrize("selection", [[1, 0], [0, 1], [0, 0]], ids=["yes", "no", "abstain"])
def test_a_yes_no_ballot_seals_and_verifies_for_every_answer(selection: list[int]) -> None:
    ballot = _seal([YES_NO], [selection])
    B.verify_ballot(KEY, ELECTION, [YES_NO], ballot)
    assert [_decrypt(c) for c in ballot.answers[0].choices] == selection


def test_a_plurality_ballot_seals_each_candidate_and_blank() -> None:
    for selection in [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]:
        B.verify_ballot(KEY, ELECTION, [PLURALITY], _seal([PLURALITY], [selection]))


def test_a_plurality_question_without_blank_refuses_a_blank_ballot() -> None:
    strict = B.Question.plurality("seat", 4, allow_blank=False)
    with pytest.raises(ValueError):
        _seal([strict], [[0, 0, 0, 0]])
    # A blank sealed under the lenient shape does not pass as the strict one either.
    blank = _seal([PLURALITY], [[0, 0, 0, 0]])
    with pytest.raises(B.InvalidBallot):
        B.verify_ballot(KEY, ELECTION, [strict], blank)


@settings(max_examples=12)
@given(st.lists(st.sampled_from([0, 1]), min_size=5, max_size=5).filter(lambda s: sum(s) <= 3))
def test_an_approval_ballot_of_up_to_m_answers_seals_and_verifies(selection: list[int]) -> None:
    ballot = _seal([APPROVAL], [selection])
    B.verify_ballot(KEY, ELECTION, [APPROVAL], ballot)
    assert [_decrypt(c) for c in ballot.answers[0].choices] == selection


@pytest.mark.parametrize(
    ("question", "selection"),
    [
        (YES_NO, [1, 1]),
        (PLURALITY, [1, 1, 0, 0]),
        (APPROVAL, [1, 1, 1, 1, 0]),
        (YES_NO, [2, 0]),
        (YES_NO, [1]),
    ],
)
def test_sealing_refuses_a_selection_the_question_does_not_allow(question, selection) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        _seal([question], [selection])


def test_a_ballot_with_several_questions_binds_each_answer_to_its_question() -> None:
    first, second = B.Question.yes_no("first"), B.Question.yes_no("second")
    ballot = _seal([first, second], [[1, 0], [0, 1]])
    B.verify_ballot(KEY, ELECTION, [first, second], ballot)
    with pytest.raises(B.InvalidBallot):
        B.verify_ballot(
            KEY,
            ELECTION,
            [first, second],
            dataclasses.replace(ballot, answers=ballot.answers[::-1]),
        )
    # Each answer relabelled as the other question's, in the expected order: the proofs say no.
    a, b = ballot.answers
    relabelled = (
        dataclasses.replace(b, question_id="first"),
        dataclasses.replace(a, question_id="second"),
    )
    with pytest.raises(B.InvalidBallot, match="not proved"):
        B.verify_ballot(
            KEY, ELECTION, [first, second], dataclasses.replace(ballot, answers=relabelled)
        )


# --- forgeries and replays are refused ----------------------------------------------------------


def test_a_ballot_voting_yes_and_no_at_once_is_refused() -> None:
    # Each ciphertext honestly 0/1-proved; the overall proof lies that the sum 2 is 1.
    ctx = Context(ELECTION, "recall", KEY)
    sealed = [encrypt(KEY, 1) for _ in range(2)]
    choices = tuple(c for c, _ in sealed)
    everything = tuple(p for c in choices for p in c.parts())
    choice_proofs = tuple(
        prove_interval(ctx, "choice", c, r, 1, (0, 1), bound=(i.to_bytes(4, "big"), *everything))
        for i, (c, r) in enumerate(sealed)
    )
    total = Ciphertext(
        add(choices[0].alpha, choices[1].alpha), add(choices[0].beta, choices[1].beta)
    )
    lie = prove_interval(
        ctx, "overall", total, sum(r for _, r in sealed) % ORDER, 1, (0, 1), bound=everything
    )
    forged = B.SealedBallot(ELECTION, (B.SealedAnswer("recall", choices, choice_proofs, lie),))
    with pytest.raises(B.InvalidBallot, match="number of answers"):
        B.verify_ballot(KEY, ELECTION, [YES_NO], forged)


def test_a_ballot_counting_minus_one_is_refused() -> None:
    # yes = 1 and no = g^-1 (which would sum to 0, an allowed total) must fail no's 0/1 proof.
    ballot = _seal([YES_NO], [[1, 0]])
    answer = ballot.answers[0]
    no = answer.choices[1]
    minus_one = Ciphertext(no.alpha, sub(no.beta, GENERATOR))
    forged = dataclasses.replace(answer, choices=(answer.choices[0], minus_one))
    with pytest.raises(B.InvalidBallot):
        B.verify_ballot(KEY, ELECTION, [YES_NO], B.SealedBallot(ELECTION, (forged,)))


def test_a_ballot_replayed_into_another_election_is_refused() -> None:
    ballot = _seal([YES_NO], [[1, 0]])
    with pytest.raises(B.InvalidBallot, match="another election"):
        B.verify_ballot(KEY, "federacion/recall-43", [YES_NO], ballot)
    # Relabelled as the other election's: the proofs are bound to the election id.
    relabelled = dataclasses.replace(ballot, election_id="federacion/recall-43")
    with pytest.raises(B.InvalidBallot, match="not proved"):
        B.verify_ballot(KEY, "federacion/recall-43", [YES_NO], relabelled)


def test_a_ballot_replayed_into_another_question_is_refused() -> None:
    ballot = _seal([YES_NO], [[1, 0]])
    other = B.Question.yes_no("other-question")
    relabelled = B.SealedBallot(
        ELECTION, (dataclasses.replace(ballot.answers[0], question_id="other-question"),)
    )
    with pytest.raises(B.InvalidBallot, match="not proved"):
        B.verify_ballot(KEY, ELECTION, [other], relabelled)


def test_a_ballot_sealed_under_another_key_is_refused() -> None:
    other_key = base_mul(random_scalar())
    ballot = B.seal_ballot(other_key, ELECTION, [YES_NO], [[1, 0]])[0]
    with pytest.raises(B.InvalidBallot):
        B.verify_ballot(KEY, ELECTION, [YES_NO], ballot)


def test_a_choice_proof_moved_from_another_ballot_is_refused() -> None:
    a = _seal([YES_NO], [[1, 0]])
    b = _seal([YES_NO], [[1, 0]])
    mixed = dataclasses.replace(
        a.answers[0], choice_proofs=(b.answers[0].choice_proofs[0], a.answers[0].choice_proofs[1])
    )
    with pytest.raises(B.InvalidBallot):
        B.verify_ballot(KEY, ELECTION, [YES_NO], B.SealedBallot(ELECTION, (mixed,)))


def _answer_with_randomness(
    question: B.Question, selection: list[int], rs: list[int]
) -> B.SealedBallot:
    """An answer sealed honestly, proofs and all, but with randomness the test chooses."""
    ctx = Context(ELECTION, question.question_id, KEY)
    sealed = [encrypt(KEY, m, r=r) for m, r in zip(selection, rs, strict=True)]
    choices = tuple(c for c, _ in sealed)
    everything = tuple(p for c in choices for p in c.parts())
    proofs = tuple(
        prove_interval(ctx, "choice", c, r, m, (0, 1), bound=(i.to_bytes(4, "big"), *everything))
        for i, ((c, r), m) in enumerate(zip(sealed, selection, strict=True))
    )
    total = sum_ciphertexts(choices)
    overall = prove_interval(
        ctx,
        "overall",
        total,
        sum(rs) % ORDER,
        sum(selection),
        question.allowed_totals(),
        bound=everything,
    )
    answer = B.SealedAnswer(question.question_id, choices, proofs, overall)
    return B.SealedBallot(ELECTION, (answer,))


def test_an_honestly_proved_ballot_with_chosen_randomness_verifies() -> None:
    # The helper below makes valid ballots: what the next two tests refuse is only their flaw.
    ballot = _answer_with_randomness(APPROVAL, [1, 1, 0, 0, 0], [random_scalar() for _ in range(5)])
    B.verify_ballot(KEY, ELECTION, [APPROVAL], ballot)


def test_a_ciphertext_made_without_randomness_is_refused() -> None:
    # r = 0 gives alpha = identity and beta = g^m: a plaintext in disguise, though its proofs hold.
    ballot = _answer_with_randomness(YES_NO, [1, 0], [0, random_scalar()])
    with pytest.raises(B.InvalidBallot, match="without randomness"):
        B.verify_ballot(KEY, ELECTION, [YES_NO], ballot)


def test_a_ballot_repeating_its_own_ciphertext_is_refused() -> None:
    # The same randomness twice gives the same ciphertext twice, each honestly proved.
    r = random_scalar()
    ballot = _answer_with_randomness(
        APPROVAL, [1, 1, 0, 0, 0], [r, r, *(random_scalar() for _ in range(3))]
    )
    with pytest.raises(B.InvalidBallot, match="appears twice"):
        B.verify_ballot(KEY, ELECTION, [APPROVAL], ballot)


@pytest.mark.parametrize("cut", ["choices", "choice_proofs", "overall_proof"])
def test_a_ballot_with_a_missing_part_is_refused(cut: str) -> None:
    a = _seal([PLURALITY], [[0, 1, 0, 0]]).answers[0]
    short = dataclasses.replace(a, **{cut: getattr(a, cut)[:-1]})
    with pytest.raises(B.InvalidBallot):
        B.verify_ballot(KEY, ELECTION, [PLURALITY], B.SealedBallot(ELECTION, (short,)))


# --- copies of cast ciphertexts -----------------------------------------------------------------


def test_a_copied_ballot_is_found_among_those_already_cast() -> None:
    cast = [_seal([YES_NO], [[1, 0]]) for _ in range(3)]
    already = {fp for b in cast for fp in B.cast_fingerprints(b)}
    copy = B.ballot_from_json(json.loads(json.dumps(B.ballot_to_json(cast[1]))))
    B.verify_ballot(KEY, ELECTION, [YES_NO], copy)  # a copy is a valid ballot: only this finds it
    assert B.find_copied(copy, already) == bytes(cast[1].answers[0].choices[0].alpha)
    assert B.find_copied(_seal([YES_NO], [[1, 0]]), already) is None


def test_a_ballot_reusing_one_cast_ciphertext_is_found_even_with_another_beta() -> None:
    cast = _seal([YES_NO], [[0, 1]])
    already = set(B.cast_fingerprints(cast))
    mine = _seal([YES_NO], [[1, 0]])
    stolen = cast.answers[0].choices[1]
    altered = Ciphertext(stolen.alpha, add(stolen.beta, GENERATOR))
    hybrid = dataclasses.replace(mine.answers[0], choices=(mine.answers[0].choices[0], altered))
    assert B.find_copied(B.SealedBallot(ELECTION, (hybrid,)), already) == bytes(stolen.alpha)


# --- Benaloh challenge --------------------------------------------------------------------------


def test_an_opened_ballot_checks_against_its_choices_and_no_other() -> None:
    ballot, opening = B.seal_ballot(KEY, ELECTION, [PLURALITY], [[0, 0, 1, 0]])
    assert B.check_opened_ballot(KEY, ballot, [[0, 0, 1, 0]], opening)
    assert not B.check_opened_ballot(KEY, ballot, [[0, 1, 0, 0]], opening)
    assert not B.check_opened_ballot(KEY, ballot, [[0, 0, 0, 0]], opening)
    wrong = B.BallotOpening(((opening.randomness[0][0] + 1,) + opening.randomness[0][1:],))
    assert not B.check_opened_ballot(KEY, ballot, [[0, 0, 1, 0]], wrong)


# --- tally --------------------------------------------------------------------------------------


def test_the_encrypted_tally_decrypts_to_the_counts() -> None:
    selections = [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]
    ballots = [_seal([PLURALITY], [s]) for s in selections]
    tally = B.encrypted_tally([b.answers[0] for b in ballots], PLURALITY)
    assert [_decrypt(c) for c in tally] == [2, 1, 0, 1]


# --- canonical JSON and tracking code -----------------------------------------------------------


def test_the_json_form_round_trips_and_has_only_strings_and_the_version() -> None:
    ballot = _seal([YES_NO, APPROVAL], [[0, 1], [1, 0, 1, 0, 0]])
    obj = B.ballot_to_json(ballot)
    assert B.ballot_from_json(json.loads(json.dumps(obj))) == ballot

    def leaves(o):  # type: ignore[no-untyped-def]
        if isinstance(o, dict):
            return [x for v in o.values() for x in leaves(v)]
        if isinstance(o, list):
            return [x for v in o for x in leaves(v)]
        return [o]

    assert obj["v"] == 1
    assert all(type(x) is str for x in leaves({k: v for k, v in obj.items() if k != "v"}))


def test_the_canonical_bytes_are_rfc_8785_and_independent_of_key_order() -> None:
    ballot = _seal([YES_NO], [[1, 0]])
    data = B.canonical_bytes(ballot)
    reordered = json.loads(data, object_pairs_hook=lambda kv: dict(reversed(kv)))
    assert B.canonical_bytes(B.ballot_from_json(reordered)) == data
    assert b" " not in data and data.startswith(b'{"answers":')


@pytest.mark.parametrize(
    "election",
    [
        ELECTION,
        "coop\u00e9rative/\u00e9lection/7",
        'quote " back \\ tab\t\u0001\u001f',
        "\U0001f5f3/x",
    ],
)
def test_the_fast_canonical_encoder_writes_exactly_rfc_8785(election: str) -> None:
    for questions, selections in [
        ([YES_NO], [[1, 0]]),
        ([YES_NO, APPROVAL], [[0, 0], [1, 0, 1, 0, 1]]),
    ]:
        ballot = _seal(questions, selections, election=election)
        assert B.canonical_bytes(ballot) == B.canonical_bytes_rfc8785(ballot)


def test_every_answer_of_a_question_gives_a_ballot_of_the_same_length() -> None:
    # Issue 18: a cast request's length told a network observer a recall vote's answer.
    for question, selections in [
        (YES_NO, [[1, 0], [0, 1], [0, 0]]),
        (APPROVAL, [[0, 0, 0, 0, 0], [1, 1, 1, 0, 0], [0, 0, 0, 0, 1]]),
    ]:
        lengths = {len(B.canonical_bytes(_seal([question], [s]))) for s in selections}
        assert len(lengths) == 1, lengths


def test_the_tracking_code_is_base64url_sha256_of_the_canonical_bytes() -> None:
    ballot = _seal([YES_NO], [[1, 0]])
    code = B.tracking_code(ballot)
    assert code == b64encode(hashlib.sha256(B.canonical_bytes(ballot)).digest())
    assert len(code) == 43
    assert code != B.tracking_code(_seal([YES_NO], [[1, 0]]))


def _mutations(obj):  # type: ignore[no-untyped-def]
    answer = obj["answers"][0]
    yield "extra key", {**obj, "extra": "x"}
    yield "missing key", {k: v for k, v in obj.items() if k != "election"}
    yield "float version", {**obj, "v": 1.0}
    yield "boolean version", {**obj, "v": True}
    yield "future version", {**obj, "v": 2}
    yield (
        "padded base64",
        _with_answer(
            obj,
            {
                **answer,
                "choices": [
                    [answer["choices"][0][0] + "=", answer["choices"][0][1]],
                    *answer["choices"][1:],
                ],
            },
        ),
    )
    yield (
        "hex point",
        _with_answer(
            obj,
            {
                **answer,
                "choices": [[bytes(32).hex(), answer["choices"][0][1]], *answer["choices"][1:]],
            },
        ),
    )
    invalid = b64encode(
        bytes.fromhex("00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")
    )
    yield (
        "invalid point",
        _with_answer(
            obj, {**answer, "choices": [[invalid, answer["choices"][0][1]], *answer["choices"][1:]]}
        ),
    )
    unreduced = b64encode(ORDER.to_bytes(32, "little"))
    yield (
        "unreduced scalar",
        _with_answer(
            obj, {**answer, "overall_proof": [[unreduced, unreduced], *answer["overall_proof"][1:]]}
        ),
    )
    yield "number for a string", _with_answer(obj, {**answer, "question": 7})
    yield (
        "three-part ciphertext",
        _with_answer(
            obj, {**answer, "choices": [answer["choices"][0] + ["x"], *answer["choices"][1:]]}
        ),
    )


def _with_answer(obj, answer):  # type: ignore[no-untyped-def]
    return {**obj, "answers": [answer, *obj["answers"][1:]]}


def test_parsing_refuses_every_deviation_from_the_canonical_form() -> None:
    obj = B.ballot_to_json(_seal([YES_NO], [[1, 0]]))
    B.ballot_from_json(obj)
    for name, bad in _mutations(obj):
        with pytest.raises(B.InvalidBallot):
            B.ballot_from_json(bad)
            pytest.fail(f"accepted: {name}")


# --- a golden v1 ballot keeps verifying -----------------------------------------------------------

GOLDEN = __import__("pathlib").Path(__file__).parent / "golden" / "sealed_ballot.v1.json"
GOLDEN_SECRET = int.from_bytes(hashlib.sha512(b"asamblea golden key").digest(), "little") % ORDER


def _deterministic_ballot(monkeypatch) -> B.SealedBallot:  # type: ignore[no-untyped-def]
    counter = itertools.count()

    def fake_random() -> int:
        seed = hashlib.sha512(b"asamblea golden randomness %d" % next(counter)).digest()
        return int.from_bytes(seed, "little") % ORDER

    for module in ("asamblea.crypto.elgamal", "asamblea.crypto.proofs"):
        monkeypatch.setattr(f"{module}.random_scalar", fake_random)
    return B.seal_ballot(
        base_mul(GOLDEN_SECRET), "golden-election", [YES_NO, APPROVAL], [[0, 1], [1, 0, 1, 0, 0]]
    )[0]


def test_the_v1_format_matches_its_golden_file(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = B.canonical_bytes(_deterministic_ballot(monkeypatch))
    # Written only on purpose (a new format is a new version, with a new file):
    # ASAMBLEA_WRITE_GOLDEN=1 .venv/bin/pytest tests/unit/crypto -k golden
    if os.environ.get("ASAMBLEA_WRITE_GOLDEN") == "1" and not GOLDEN.exists():
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(data + b"\n")
    assert GOLDEN.read_bytes().rstrip(b"\n") == data


def test_the_golden_v1_ballot_still_verifies() -> None:
    ballot = B.ballot_from_json(json.loads(GOLDEN.read_bytes()))
    B.verify_ballot(base_mul(GOLDEN_SECRET), "golden-election", [YES_NO, APPROVAL], ballot)
    assert B.tracking_code(ballot) == b64encode(
        hashlib.sha256(GOLDEN.read_bytes().rstrip(b"\n")).digest()
    )


# --- the identity where it must not be -----------------------------------------------------------


def test_sealing_refuses_the_identity_as_a_public_key() -> None:
    # Under the identity key, beta = g^m: the ballot would be readable by anyone.
    with pytest.raises(ValueError):
        B.seal_ballot(G.IDENTITY, ELECTION, [YES_NO], [[1, 0]])


def test_verification_refuses_a_ballot_under_the_identity_key() -> None:
    ballot = _seal([YES_NO], [[1, 0]])
    with pytest.raises(B.InvalidBallot, match="identity"):
        B.verify_ballot(G.IDENTITY, ELECTION, [YES_NO], ballot)


def test_a_ballot_built_in_memory_with_an_invalid_point_is_refused_not_crashed() -> None:
    ballot = _seal([YES_NO], [[1, 0]])
    a = ballot.answers[0]
    bad = G.Point(bytes.fromhex("00ff" + "ff" * 30))
    broken = dataclasses.replace(a, choices=(Ciphertext(a.choices[0].alpha, bad), a.choices[1]))
    with pytest.raises(B.InvalidBallot, match="valid encoding"):
        B.verify_ballot(KEY, ELECTION, [YES_NO], B.SealedBallot(ELECTION, (broken,)))
