"""Sealed ranked ballots: every valid ranking seals and verifies, every tamper and replay is
refused, the canonical JSON is strict and pinned, an opened ballot checks, a decrypted ranking is
read (or spoilt) exactly, and the stopgap shuffle keeps the multiset of rankings."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asamblea.crypto import group as G
from asamblea.crypto import ranked as R
from asamblea.crypto.elgamal import Ciphertext, DiscreteLog, decrypt_to_point
from asamblea.crypto.group import ORDER, b64encode, base_mul, random_scalar
from asamblea.crypto.proofs import prove_interval
from asamblea.crypto.transcript import Context, index_bytes

SECRET = random_scalar()
KEY = base_mul(SECRET)
ELECTION = "federacion/42"
FOUR = R.RankedQuestion("q1", candidates=4, ranks=4)
THREE_OF_FIVE = R.RankedQuestion("q1", candidates=5, ranks=3)


def _seal(question: R.RankedQuestion, ranking, election: str = ELECTION) -> R.SealedRanking:  # type: ignore[no-untyped-def]
    return R.seal_ranking(KEY, election, question, ranking)[0]


def _decrypt(ballot: R.SealedRanking, candidates: int) -> list[int]:
    log = DiscreteLog(candidates)
    return [log.solve(decrypt_to_point(SECRET, c)) for c in ballot.ranks]


def _rankings(question: R.RankedQuestion):  # type: ignore[no-untyped-def]
    return st.permutations(range(1, question.candidates + 1)).flatmap(
        lambda p: st.integers(0, question.ranks).map(lambda n: list(p[:n]))
    )


# --- valid rankings seal and verify -------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_any_valid_ranking_seals_verifies_and_decrypts_to_itself(data) -> None:  # type: ignore[no-untyped-def]
    question = data.draw(st.sampled_from([FOUR, THREE_OF_FIVE]))
    ranking = data.draw(_rankings(question))
    ballot = _seal(question, ranking)
    R.verify_ranking(KEY, ELECTION, question, ballot)
    values = _decrypt(ballot, question.candidates)
    assert values == ranking + [0] * (question.ranks - len(ranking))
    assert R.ranking_from_values(values, question.candidates) == tuple(ranking)


@pytest.mark.parametrize(
    "ranking",
    [[1, 1], [0], [5], [1, 2, 3, 4, 5], [-1], [True]],
    ids=["twice", "zero", "unknown", "too-long", "negative", "boolean"],
)
def test_sealing_refuses_a_ranking_the_question_does_not_allow(ranking) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        _seal(FOUR, ranking)


def test_sealing_refuses_the_identity_as_a_public_key() -> None:
    with pytest.raises(ValueError):
        R.seal_ranking(G.IDENTITY, ELECTION, FOUR, [1])


def test_a_question_has_at_most_as_many_ranks_as_candidates() -> None:
    with pytest.raises(ValueError):
        R.RankedQuestion("q1", candidates=3, ranks=4)
    with pytest.raises(ValueError):
        R.RankedQuestion("q1", candidates=3, ranks=0)


# --- tampering and replay -----------------------------------------------------------------------

BASE_BALLOT = None


def _base() -> tuple[R.SealedRanking, bytes]:
    global BASE_BALLOT
    if BASE_BALLOT is None:
        ballot = _seal(FOUR, [3, 1])
        BASE_BALLOT = (ballot, R.canonical_bytes(ballot))
    return BASE_BALLOT


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_every_single_bit_tamper_of_the_canonical_bytes_fails(data) -> None:  # type: ignore[no-untyped-def]
    ballot, raw = _base()
    # Flip one bit anywhere in the bytes that carry a point or a scalar (the base64url strings),
    # or in the election or question names: parse or verification must refuse it.
    position = data.draw(st.integers(0, len(raw) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(raw)
    tampered[position] ^= 1 << bit
    try:
        obj = json.loads(bytes(tampered))
        changed = R.ranking_from_json(obj)
    except (ValueError, UnicodeDecodeError):
        return  # not JSON, or refused by the strict parser
    if changed == ballot:
        # A flip that decodes to the same ballot (e.g. base64url's unused low bits are refused by
        # the decoder, so this means a JSON-insignificant byte): nothing was tampered with.
        assert R.canonical_bytes(changed) == raw
        return
    with pytest.raises(R.InvalidRanking):
        R.verify_ranking(KEY, ELECTION, FOUR, changed)


def test_a_ballot_replayed_into_another_election_or_question_or_key_is_refused() -> None:
    ballot = _seal(FOUR, [2, 4, 1])
    with pytest.raises(R.InvalidRanking, match="another election"):
        R.verify_ranking(KEY, "federacion/43", FOUR, ballot)
    relabelled = dataclasses.replace(ballot, election_id="federacion/43")
    with pytest.raises(R.InvalidRanking, match="not proved"):
        R.verify_ranking(KEY, "federacion/43", FOUR, relabelled)
    requestioned = dataclasses.replace(ballot, question_id="q2")
    with pytest.raises(R.InvalidRanking, match="not proved"):
        R.verify_ranking(KEY, ELECTION, dataclasses.replace(FOUR, question_id="q2"), requestioned)
    with pytest.raises(R.InvalidRanking):
        R.verify_ranking(base_mul(random_scalar()), ELECTION, FOUR, ballot)


def test_a_proof_whose_context_omits_the_election_id_fails() -> None:
    # A ballot whose proofs were made under a context without the election id (as weak
    # Fiat-Shamir would) is refused, though every ciphertext is honest.
    values = [1, 2, 0, 0]
    sealed = [R.encrypt(KEY, m) for m in values]
    ranks = tuple(c for c, _ in sealed)
    everything = tuple(part for c in ranks for part in c.parts())
    no_election = Context(election_id="", question_id="q1", public_key=KEY)
    proofs = tuple(
        prove_interval(
            no_election, "rank", c, r, m, FOUR.values(), bound=(index_bytes(i), *everything)
        )
        for i, ((c, r), m) in enumerate(zip(sealed, values, strict=True))
    )
    ballot = R.SealedRanking(ELECTION, "q1", ranks, proofs)
    with pytest.raises(R.InvalidRanking, match="not proved"):
        R.verify_ranking(KEY, ELECTION, FOUR, ballot)
    # The same construction with the election id verifies: the test can fail only on the id.
    with_election = Context(election_id=ELECTION, question_id="q1", public_key=KEY)
    good = tuple(
        prove_interval(
            with_election, "rank", c, r, m, FOUR.values(), bound=(index_bytes(i), *everything)
        )
        for i, ((c, r), m) in enumerate(zip(sealed, values, strict=True))
    )
    R.verify_ranking(KEY, ELECTION, FOUR, R.SealedRanking(ELECTION, "q1", ranks, good))


def test_a_proof_moved_between_positions_fails() -> None:
    ballot = _seal(FOUR, [1, 2, 3, 4])
    swapped = (ballot.proofs[1], ballot.proofs[0], *ballot.proofs[2:])
    with pytest.raises(R.InvalidRanking, match="rank 1"):
        R.verify_ranking(KEY, ELECTION, FOUR, dataclasses.replace(ballot, proofs=swapped))
    # Swapping ciphertexts and proofs together changes every proof's statement too.
    both = dataclasses.replace(
        ballot,
        ranks=(ballot.ranks[1], ballot.ranks[0], *ballot.ranks[2:]),
        proofs=swapped,
    )
    with pytest.raises(R.InvalidRanking):
        R.verify_ranking(KEY, ELECTION, FOUR, both)


def test_a_rank_and_its_proof_moved_from_another_ballot_fail() -> None:
    a, b = _seal(FOUR, [1, 2]), _seal(FOUR, [1, 2])
    mixed = dataclasses.replace(
        a, ranks=(b.ranks[0], *a.ranks[1:]), proofs=(b.proofs[0], *a.proofs[1:])
    )
    with pytest.raises(R.InvalidRanking):
        R.verify_ranking(KEY, ELECTION, FOUR, mixed)


def test_a_ciphertext_out_of_range_cannot_be_proved() -> None:
    # Candidate 9 of 4: an honest-looking proof over 0..4 is impossible to make; one over 0..9
    # has the wrong number of branches.
    sealed = [R.encrypt(KEY, m) for m in (9, 0, 0, 0)]
    ranks = tuple(c for c, _ in sealed)
    everything = tuple(part for c in ranks for part in c.parts())
    context = Context(ELECTION, "q1", KEY)
    proofs = tuple(
        prove_interval(context, "rank", c, r, m, range(10), bound=(index_bytes(i), *everything))
        for i, ((c, r), m) in enumerate(zip(sealed, (9, 0, 0, 0), strict=True))
    )
    with pytest.raises(R.InvalidRanking, match="branches"):
        R.verify_ranking(KEY, ELECTION, FOUR, R.SealedRanking(ELECTION, "q1", ranks, proofs))
    with pytest.raises(ValueError):
        prove_interval(context, "rank", ranks[0], sealed[0][1], 9, FOUR.values())


def test_the_wrong_number_of_ranks_is_refused() -> None:
    ballot = _seal(FOUR, [1])
    short = dataclasses.replace(ballot, ranks=ballot.ranks[:3], proofs=ballot.proofs[:3])
    with pytest.raises(R.InvalidRanking, match="4 rank ciphertexts"):
        R.verify_ranking(KEY, ELECTION, FOUR, short)


def test_a_ciphertext_without_randomness_or_repeated_is_refused() -> None:
    ballot = _seal(FOUR, [1])
    plain = Ciphertext(G.IDENTITY, base_mul(1))
    with pytest.raises(R.InvalidRanking, match="without randomness"):
        R.verify_ranking(
            KEY, ELECTION, FOUR, dataclasses.replace(ballot, ranks=(plain, *ballot.ranks[1:]))
        )
    again = (ballot.ranks[0], ballot.ranks[0], *ballot.ranks[2:])
    with pytest.raises(R.InvalidRanking, match="twice"):
        R.verify_ranking(KEY, ELECTION, FOUR, dataclasses.replace(ballot, ranks=again))


def test_an_invalid_point_built_in_memory_is_refused_not_crashed() -> None:
    ballot = _seal(FOUR, [1])
    bad = G.Point(bytes.fromhex("00ff" + "ff" * 30))
    broken = (Ciphertext(ballot.ranks[0].alpha, bad), *ballot.ranks[1:])
    with pytest.raises(R.InvalidRanking, match="valid encoding"):
        R.verify_ranking(KEY, ELECTION, FOUR, dataclasses.replace(ballot, ranks=broken))


def test_a_copied_rank_ciphertext_is_found() -> None:
    cast = _seal(FOUR, [2])
    seen = set(R.cast_fingerprints(cast))
    assert R.find_copied_rank(cast, seen) == bytes(cast.ranks[0].alpha)
    assert R.find_copied_rank(_seal(FOUR, [2]), seen) is None


# --- Benaloh ------------------------------------------------------------------------------------


def test_an_opened_ballot_checks_against_its_ranking_and_no_other() -> None:
    ballot, opening = R.seal_ranking(KEY, ELECTION, FOUR, [4, 2])
    assert R.check_opened_ranking(KEY, ballot, [4, 2, 0, 0], opening)
    assert not R.check_opened_ranking(KEY, ballot, [2, 4, 0, 0], opening)
    assert not R.check_opened_ranking(KEY, ballot, [4, 2, 0], opening)
    assert not R.check_opened_ranking(KEY, ballot, [4, 2, 0, -1], opening)
    wrong = R.RankingOpening((opening.randomness[0] + 1, *opening.randomness[1:]))
    assert not R.check_opened_ranking(KEY, ballot, [4, 2, 0, 0], wrong)


# --- reading decrypted rankings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 0, 0], ()),
        ([2, 0, 0], (2,)),
        ([3, 1, 2], (3, 1, 2)),
        ([1, 1, 0], None),
        ([0, 1, 0], None),
        ([1, 0, 2], None),
        ([4, 0, 0], None),
    ],
    ids=["blank", "one", "full", "twice", "gap-first", "gap", "unknown"],
)
def test_a_decrypted_ranking_is_read_or_spoilt(values, expected) -> None:  # type: ignore[no-untyped-def]
    assert R.ranking_from_values(values, 3) == expected


# --- canonical JSON, tracking code, golden file -------------------------------------------------


def test_the_json_form_round_trips_and_every_ranking_has_the_same_length() -> None:
    ballot = _seal(FOUR, [1, 3])
    obj = R.ranking_to_json(ballot)
    assert obj["kind"] == "ranked" and obj["v"] == 1
    assert R.ranking_from_json(json.loads(json.dumps(obj))) == ballot
    lengths = {len(R.canonical_bytes(_seal(FOUR, r))) for r in ([], [1], [4, 3, 2, 1])}
    assert len(lengths) == 1


def test_the_tracking_code_is_base64url_sha256_of_the_canonical_bytes() -> None:
    ballot = _seal(FOUR, [1])
    assert R.tracking_code(ballot) == b64encode(hashlib.sha256(R.canonical_bytes(ballot)).digest())
    assert len(R.tracking_code(ballot)) == 43


def _mutations(obj):  # type: ignore[no-untyped-def]
    yield "extra key", {**obj, "extra": "x"}
    yield "missing key", {k: v for k, v in obj.items() if k != "question"}
    yield "float version", {**obj, "v": 1.0}
    yield "boolean version", {**obj, "v": True}
    yield "future version", {**obj, "v": 2}
    yield "homomorphic kind", {**obj, "kind": "homomorphic"}
    yield "padded base64", {**obj, "ranks": [[obj["ranks"][0][0] + "=", obj["ranks"][0][1]]]}
    yield "hex point", {**obj, "ranks": [[bytes(32).hex(), obj["ranks"][0][1]]]}
    unreduced = b64encode(ORDER.to_bytes(32, "little"))
    yield "unreduced scalar", {**obj, "proofs": [[[unreduced, unreduced]], *obj["proofs"][1:]]}
    yield "number for a string", {**obj, "election": 7}
    yield "number for a point", {**obj, "ranks": [[7, obj["ranks"][0][1]], *obj["ranks"][1:]]}
    yield "three-part ciphertext", {**obj, "ranks": [obj["ranks"][0] + ["x"], *obj["ranks"][1:]]}
    yield "dict for a list", {**obj, "proofs": {}}
    yield "not an object", [obj]


def test_parsing_refuses_every_deviation_from_the_canonical_form() -> None:
    obj = R.ranking_to_json(_seal(FOUR, [1]))
    R.ranking_from_json(obj)
    for name, bad in _mutations(obj):
        with pytest.raises(R.InvalidRanking):
            R.ranking_from_json(bad)
            pytest.fail(f"accepted: {name}")


GOLDEN = Path(__file__).parent / "golden" / "sealed_ranking.v1.json"
GOLDEN_SECRET = int.from_bytes(hashlib.sha512(b"asamblea golden key").digest(), "little") % ORDER
GOLDEN_QUESTION = R.RankedQuestion("q1", candidates=4, ranks=3)


def _deterministic(monkeypatch) -> R.SealedRanking:  # type: ignore[no-untyped-def]
    counter = itertools.count()

    def fake_random() -> int:
        seed = hashlib.sha512(b"asamblea golden randomness %d" % next(counter)).digest()
        return int.from_bytes(seed, "little") % ORDER

    for module in ("asamblea.crypto.elgamal", "asamblea.crypto.proofs"):
        monkeypatch.setattr(f"{module}.random_scalar", fake_random)
    return R.seal_ranking(base_mul(GOLDEN_SECRET), "golden-election", GOLDEN_QUESTION, [3, 1])[0]


def test_the_v1_ranked_format_matches_its_golden_file(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = R.canonical_bytes(_deterministic(monkeypatch))
    # Written only on purpose (a new format is a new version, with a new file):
    # ASAMBLEA_WRITE_GOLDEN=1 .venv/bin/pytest tests/unit/crypto -k golden
    if os.environ.get("ASAMBLEA_WRITE_GOLDEN") == "1" and not GOLDEN.exists():
        GOLDEN.write_bytes(data + b"\n")
    assert GOLDEN.read_bytes().rstrip(b"\n") == data


def test_the_golden_v1_ranked_ballot_still_verifies_and_opens_to_its_ranking() -> None:
    ballot = R.ranking_from_json(json.loads(GOLDEN.read_bytes()))
    R.verify_ranking(base_mul(GOLDEN_SECRET), "golden-election", GOLDEN_QUESTION, ballot)
    log = DiscreteLog(4)
    values = [log.solve(decrypt_to_point(GOLDEN_SECRET, c)) for c in ballot.ranks]
    assert values == [3, 1, 0]
    assert R.tracking_code(ballot) == b64encode(
        hashlib.sha256(GOLDEN.read_bytes().rstrip(b"\n")).digest()
    )
