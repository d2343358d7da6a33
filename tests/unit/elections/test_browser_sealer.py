"""The browser's sealer (static/elections/sealing.js) against Python's crypto/ballot.py.

Runs the JavaScript in node (on the machine and in CI) through browser_sealer.mjs:
- with the same injected randomness, JavaScript and Python produce the same bytes;
- with fresh randomness, Python's verifier accepts what JavaScript seals, and the opening it
  reveals passes check_opened_ballot;
- a JavaScript sealer whose transcript leaves something out is refused by Python's verifier;
- a sealed ballot of one election has the same length whatever its choices.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from asamblea.crypto import ballot, elgamal, group, proofs, ranked

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "browser_sealer.mjs"
STATIC = HERE.parents[2] / "src" / "asamblea" / "elections" / "static" / "elections"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

SECRET = 0x1234567890ABCDEF1234567890ABCDEF
KEY = group.base_mul(SECRET)

SHAPES: dict[str, tuple[list[ballot.Question], list[list[int]]]] = {
    "yes": ([ballot.Question.yes_no("q1")], [[1, 0]]),
    "no": ([ballot.Question.yes_no("q1")], [[0, 1]]),
    "abstain": ([ballot.Question.yes_no("q1")], [[0, 0]]),
    "plurality": ([ballot.Question.plurality("q1", 5)], [[0, 0, 0, 1, 0]]),
    "plurality blank": ([ballot.Question.plurality("q1", 4)], [[0, 0, 0, 0]]),
    "plurality without blank": ([ballot.Question.plurality("q1", 3, False)], [[0, 1, 0]]),
    "approval": ([ballot.Question.approval("q1", 5, 3)], [[1, 0, 1, 0, 1]]),
    "two questions": (
        [ballot.Question.yes_no("q1"), ballot.Question.approval("q2", 3, 2)],
        [[0, 1], [1, 1, 0]],
    ),
}


def _questions_json(questions: list[ballot.Question]) -> list[dict[str, Any]]:
    # The shape of the page's seal-params block.
    return [
        {"id": q.question_id, "choices": q.choices, "min": q.min_selected, "max": q.max_selected}
        for q in questions
    ]


def run_js(
    election: str,
    questions: list[ballot.Question],
    selections: list[list[int]],
    randomness: list[int] | None = None,
    sealer: Path | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "public_key": group.point_to_text(KEY),
        "election": election,
        "questions": _questions_json(questions),
        "selections": selections,
    }
    if randomness is not None:
        request["randomness"] = [group.scalar_to_text(r) for r in randomness]
    if sealer is not None:
        request["sealer"] = str(sealer)
    done = subprocess.run(  # noqa: S603 - node and our own script
        [str(NODE), str(RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _fixed_randomness(count: int, seed: int) -> list[int]:
    # Deterministic scalars spread over the whole range (not small ones, which would hide a
    # byte-order mistake).
    import hashlib

    return [
        group.scalar_from_hash(hashlib.sha512(f"{seed}:{i}".encode()).digest())
        for i in range(count)
    ]


@pytest.fixture
def injected(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Python's sealer draws from this list, in order, instead of libsodium."""
    queue: list[int] = []

    def draw() -> int:
        return queue.pop(0)

    monkeypatch.setattr(elgamal, "random_scalar", draw)
    monkeypatch.setattr(proofs, "random_scalar", draw)
    yield queue


def _draws(questions: list[ballot.Question]) -> int:
    # r per answer; per proof one w and two per simulated branch.
    total = 0
    for q in questions:
        total += q.choices + q.choices * (1 + 2) + 1 + 2 * (len(q.allowed_totals()) - 1)
    return total


@pytest.mark.parametrize("shape", list(SHAPES))
def test_javascript_and_python_seal_the_same_bytes_with_the_same_randomness(
    shape: str, injected: list[int]
) -> None:
    questions, selections = SHAPES[shape]
    election = "asamblea-test/7"
    randomness = _fixed_randomness(_draws(questions), seed=len(shape))
    injected.extend(randomness)
    sealed, opening = ballot.seal_ballot(KEY, election, questions, selections)
    assert injected == [], "the draw count in this test is wrong"
    js = run_js(election, questions, selections, randomness)
    assert js["canonical"].encode() == ballot.canonical_bytes(sealed)
    assert js["tracking_code"] == ballot.tracking_code(sealed)
    assert js["opening"] == [[group.scalar_to_text(r) for r in q] for q in opening.randomness]


def test_the_same_bytes_for_an_election_id_outside_ascii(injected: list[int]) -> None:
    # Context fields are UTF-8 in both (str.encode, TextEncoder), and RFC 8785 writes non-ASCII
    # characters as themselves.
    questions, selections = SHAPES["plurality"]
    election = "sindicato-ñandú/12 «Año»"
    randomness = _fixed_randomness(_draws(questions), seed=99)
    injected.extend(randomness)
    sealed, _ = ballot.seal_ballot(KEY, election, questions, selections)
    js = run_js(election, questions, selections, randomness)
    assert js["canonical"].encode() == ballot.canonical_bytes(sealed)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_python_verifies_what_javascript_seals_with_fresh_randomness(shape: str) -> None:
    questions, selections = SHAPES[shape]
    election = "asamblea-test/8"
    js = run_js(election, questions, selections)
    sealed = ballot.ballot_from_json(json.loads(js["canonical"]))
    ballot.verify_ballot(KEY, election, questions, sealed)
    assert ballot.canonical_bytes(sealed) == js["canonical"].encode()
    opening = ballot.BallotOpening(
        tuple(tuple(group.scalar_from_text(t) for t in q) for q in js["opening"])
    )
    assert ballot.check_opened_ballot(KEY, sealed, selections, opening)
    other = [[1 - m for m in s] for s in selections]
    assert not ballot.check_opened_ballot(KEY, sealed, other, opening)
    # Decrypting with the election's secret gives back the selection.
    for answer, selection in zip(sealed.answers, selections, strict=True):
        for c, m in zip(answer.choices, selection, strict=True):
            assert elgamal.decrypt_to_point(SECRET, c) == group.base_mul(m)


def test_fresh_randomness_differs_between_two_seals() -> None:
    questions, selections = SHAPES["yes"]
    first = run_js("e/1", questions, selections)
    second = run_js("e/1", questions, selections)
    assert first["canonical"] != second["canonical"]
    assert set(first["opening"][0]).isdisjoint(second["opening"][0])


TAMPERS = {
    "a challenge that leaves out the election id": (
        "    utf8.encode(context.electionId),\n",
        "",
    ),
    "a challenge that leaves out the question id": (
        "    utf8.encode(context.questionId),\n",
        "",
    ),
    "a challenge that leaves out the joint key": (
        "    context.publicKey.toBytes(),\n",
        "",
    ),
    "choice proofs not bound to their index": (
        "CHOICE_VALUES, [indexBytes(i), ...everything]",
        "CHOICE_VALUES, everything",
    ),
    "a challenge that leaves out the ciphertext": (
        "    c.alpha.toBytes(),\n    c.beta.toBytes(),\n    ...commitments,",
        "    ...commitments,",
    ),
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_python_refuses_a_ballot_from_a_tampered_javascript_transcript(
    tamper: str, tmp_path: Path
) -> None:
    old, new = TAMPERS[tamper]
    source = (STATIC / "sealing.js").read_text(encoding="utf-8")
    assert source.count(old) == 1, "the tamper no longer matches sealing.js"
    (tmp_path / "sealing.js").write_text(source.replace(old, new), encoding="utf-8")
    (tmp_path / "vendor").symlink_to(STATIC / "vendor")
    questions, selections = SHAPES["two questions"]
    js = run_js("asamblea-test/9", questions, selections, sealer=tmp_path / "sealing.js")
    sealed = ballot.ballot_from_json(json.loads(js["canonical"]))
    with pytest.raises(ballot.InvalidBallot, match="not proved"):
        ballot.verify_ballot(KEY, "asamblea-test/9", questions, sealed)


def test_a_ballot_sealed_for_another_election_is_refused() -> None:
    questions, selections = SHAPES["yes"]
    js = run_js("asamblea-test/10", questions, selections)
    sealed = ballot.ballot_from_json(json.loads(js["canonical"]))
    with pytest.raises(ballot.InvalidBallot, match="another election"):
        ballot.verify_ballot(KEY, "asamblea-test/11", questions, sealed)
    relabelled = ballot.SealedBallot("asamblea-test/11", sealed.answers)
    with pytest.raises(ballot.InvalidBallot, match="not proved"):
        ballot.verify_ballot(KEY, "asamblea-test/11", questions, relabelled)


@pytest.mark.parametrize(
    ("questions", "universe"),
    [
        ([ballot.Question.yes_no("q1")], [[1, 0], [0, 1], [0, 0]]),
        (
            [ballot.Question.approval("q1", 3, 2)],
            [list(v) for v in itertools.product((0, 1), repeat=3) if sum(v) <= 2],
        ),
    ],
)
def test_a_sealed_ballot_has_one_length_whatever_the_choice(
    questions: list[ballot.Question], universe: list[list[int]]
) -> None:
    # What makes the browser's cast request the same length for every answer: every point and
    # scalar is 43 characters and the shape depends on the questions only.
    lengths = {len(run_js("asamblea-test/12", questions, [v])["canonical"]) for v in universe}
    assert len(lengths) == 1


# --- ranked ballots (crypto/ranked.py) -----------------------------------------------------------


def run_js_ranked(
    election: str,
    question: ranked.RankedQuestion,
    ranking: list[int],
    randomness: list[int] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "public_key": group.point_to_text(KEY),
        "election": election,
        "ranked": {
            "id": question.question_id,
            "candidates": question.candidates,
            "ranks": question.ranks,
        },
        "ranking": ranking,
    }
    if randomness is not None:
        request["randomness"] = [group.scalar_to_text(r) for r in randomness]
    done = subprocess.run(  # noqa: S603 - node and our own script
        [str(NODE), str(RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


RANKINGS = {
    "full": (ranked.RankedQuestion("q1", 4, 4), [3, 1, 4, 2]),
    "partial": (ranked.RankedQuestion("q1", 5, 3), [5]),
    "blank": (ranked.RankedQuestion("q1", 3, 3), []),
}


@pytest.mark.parametrize("case", list(RANKINGS))
def test_javascript_and_python_seal_the_same_ranked_bytes(case: str, injected: list[int]) -> None:
    question, ranking = RANKINGS[case]
    # r per rank; per proof one w and two per simulated branch (c of them).
    randomness = _fixed_randomness(question.ranks * (2 + 2 * question.candidates), seed=7)
    injected.extend(randomness)
    sealed, opening = ranked.seal_ranking(KEY, "asamblea-test/20", question, ranking)
    assert injected == [], "the draw count in this test is wrong"
    js = run_js_ranked("asamblea-test/20", question, ranking, randomness)
    assert js["canonical"].encode() == ranked.canonical_bytes(sealed)
    assert js["tracking_code"] == ranked.tracking_code(sealed)
    assert js["opening"] == [group.scalar_to_text(r) for r in opening.randomness]


@pytest.mark.parametrize("case", list(RANKINGS))
def test_python_verifies_rankings_javascript_seals(case: str) -> None:
    question, ranking = RANKINGS[case]
    js = run_js_ranked("asamblea-test/21", question, ranking)
    sealed = ranked.ranking_from_json(json.loads(js["canonical"]))
    ranked.verify_ranking(KEY, "asamblea-test/21", question, sealed)
    opening = ranked.RankingOpening(tuple(group.scalar_from_text(t) for t in js["opening"]))
    values = ranked.padded_values(question, ranking)
    assert ranked.check_opened_ranking(KEY, sealed, values, opening)
    with pytest.raises(ranked.InvalidRanking, match="another election"):
        ranked.verify_ranking(KEY, "asamblea-test/22", question, sealed)
