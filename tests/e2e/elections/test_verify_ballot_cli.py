"""``asamblea verify-ballot`` end to end, in a subprocess: the Benaloh check of a spoilt ballot.

Openings come from the browser's sealer run in node (the file the ballot page offers) and from
Python's sealer written in the same format; tampered ones must fail and say why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from asamblea.crypto import ballot, group

RUNNER = Path(__file__).resolve().parents[2] / "unit" / "elections" / "browser_sealer.mjs"
NODE = shutil.which("node")
SECRET = 987654321987654321
KEY = group.point_to_text(group.base_mul(SECRET))
OTHER_KEY = group.point_to_text(group.base_mul(SECRET + 1))
ELECTION = "federacion/41"
QUESTIONS = [{"id": "q1", "choices": 3, "min": 0, "max": 1, "labels": ["Ana", "Berta", "Ciro"]}]


def verify_ballot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "asamblea.cli", "verify-ballot", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def seal_in_node(request: dict[str, Any]) -> dict[str, Any]:
    if NODE is None:
        pytest.skip("node is not installed")
    done = subprocess.run(  # noqa: S603 - node and our own script
        [NODE, str(RUNNER)],
        input=json.dumps({"public_key": KEY, "election": ELECTION, **request}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def write_pair(tmp_path: Path, canonical: str, opening: dict[str, Any]) -> tuple[str, str]:
    (tmp_path / "ballot.json").write_text(canonical, encoding="utf-8")
    (tmp_path / "opening.json").write_text(json.dumps(opening), encoding="utf-8")
    return str(tmp_path / "ballot.json"), str(tmp_path / "opening.json")


def test_a_browser_opening_verifies_and_prints_the_choice(tmp_path: Path) -> None:
    js = seal_in_node({"questions": QUESTIONS, "selections": [[0, 1, 0]]})
    b, o = write_pair(tmp_path, js["canonical"], js["opening_file"])
    done = verify_ballot(b, o, "--public-key", KEY, "--election", ELECTION)
    assert done.returncode == 0, done.stderr
    assert "q1: Berta" in done.stdout
    assert f"tracking code: {js['tracking_code']}" in done.stdout
    assert "OK" in done.stdout
    # Shapes taken from the page's own file: said loudly.
    assert "pass --questions" in done.stderr


def test_questions_from_the_record_replace_the_pages_shapes(tmp_path: Path) -> None:
    js = seal_in_node({"questions": QUESTIONS, "selections": [[0, 0, 0]]})
    b, o = write_pair(tmp_path, js["canonical"], js["opening_file"])
    (tmp_path / "questions.json").write_text(
        json.dumps([{"id": "q1", "choices": 3, "min": 0, "max": 1}])
    )
    done = verify_ballot(
        b,
        o,
        "--public-key",
        KEY,
        "--election",
        ELECTION,
        "--questions",
        str(tmp_path / "questions.json"),
    )
    assert done.returncode == 0, done.stderr
    assert "q1: (blank)" in done.stdout
    assert done.stderr == ""
    # A record that says the question allows no blank: the overall proof does not hold.
    (tmp_path / "strict.json").write_text(
        json.dumps([{"id": "q1", "choices": 3, "min": 1, "max": 1}])
    )
    done = verify_ballot(
        b,
        o,
        "--public-key",
        KEY,
        "--election",
        ELECTION,
        "--questions",
        str(tmp_path / "strict.json"),
    )
    assert done.returncode == 1
    assert "overall proof has the wrong number of branches" in done.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("election", "sealed for election"),
        ("key", "not proved"),
        ("claim", "does not encrypt the choices the opening claims"),
        ("randomness", "does not encrypt the choices the opening claims"),
        ("tracking code", "tracking code it names is not this ballot's"),
    ],
)
def test_a_wrong_opening_or_context_fails_and_says_why(
    change: str, message: str, tmp_path: Path
) -> None:
    js = seal_in_node({"questions": QUESTIONS, "selections": [[1, 0, 0]]})
    opening = js["opening_file"]
    key, election = KEY, ELECTION
    if change == "election":
        election = "federacion/42"
    elif change == "key":
        key = OTHER_KEY
    elif change == "claim":
        opening["selections"] = [[0, 0, 1]]
    elif change == "randomness":
        opening["randomness"][0][0], opening["randomness"][0][1] = (
            opening["randomness"][0][1],
            opening["randomness"][0][0],
        )
    else:
        opening["tracking_code"] = "A" * 43
    b, o = write_pair(tmp_path, js["canonical"], opening)
    done = verify_ballot(b, o, "--public-key", key, "--election", election)
    assert done.returncode == 1
    assert "FAILED" in done.stderr
    assert message in done.stderr


def test_a_python_sealed_ballot_in_the_same_format_verifies(tmp_path: Path) -> None:
    question = ballot.Question.approval("q1", 3, 2)
    sealed, opening = ballot.seal_ballot(
        group.point_from_text(KEY), ELECTION, [question], [[1, 0, 1]]
    )
    file = {
        "v": 1,
        "kind": "ballot-opening",
        "election": ELECTION,
        "questions": [{"id": "q1", "choices": 3, "min": 0, "max": 2}],
        "selections": [[1, 0, 1]],
        "randomness": [[group.scalar_to_text(r) for r in opening.randomness[0]]],
    }
    b, o = write_pair(tmp_path, ballot.canonical_bytes(sealed).decode(), file)
    done = verify_ballot(b, o, "--public-key", KEY, "--election", ELECTION)
    assert done.returncode == 0, done.stderr
    assert "q1: answer 1, answer 3" in done.stdout


def test_a_ranked_browser_opening_verifies_and_prints_the_ranking(tmp_path: Path) -> None:
    shape = {"id": "q1", "candidates": 4, "ranks": 3, "labels": ["Ana", "Berta", "Ciro", "Dora"]}
    js = seal_in_node({"ranked": shape, "ranking": [3, 1]})
    b, o = write_pair(tmp_path, js["canonical"], js["opening_file"])
    done = verify_ballot(b, o, "--public-key", KEY, "--election", ELECTION)
    assert done.returncode == 0, done.stderr
    assert "q1: 1. Ciro\nq1: 2. Ana\n" in done.stdout
    opening = js["opening_file"]
    opening["values"] = [1, 3, 0]
    b, o = write_pair(tmp_path, js["canonical"], opening)
    done = verify_ballot(b, o, "--public-key", KEY, "--election", ELECTION)
    assert done.returncode == 1
    assert "does not encrypt the ranking the opening claims" in done.stderr


def test_bad_files_are_named_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "ballot.json").write_text('{"v": 1,\n "answers": [}', encoding="utf-8")
    (tmp_path / "opening.json").write_text("{}", encoding="utf-8")
    done = verify_ballot(
        str(tmp_path / "ballot.json"),
        str(tmp_path / "opening.json"),
        "--public-key",
        KEY,
        "--election",
        ELECTION,
    )
    assert done.returncode == 1
    assert f"{tmp_path / 'ballot.json'}:2: not JSON" in done.stderr
    done = verify_ballot(
        str(tmp_path / "missing.json"),
        str(tmp_path / "opening.json"),
        "--public-key",
        KEY,
        "--election",
        ELECTION,
    )
    assert done.returncode == 2
    done = verify_ballot(
        str(tmp_path / "opening.json"),
        str(tmp_path / "opening.json"),
        "--public-key",
        "nope",
        "--election",
        ELECTION,
    )
    assert done.returncode == 2
    assert "--public-key" in done.stderr


def test_the_records_sealing_entry_gives_the_questions(tmp_path: Path) -> None:
    js = seal_in_node({"questions": QUESTIONS, "selections": [[0, 0, 1]]})
    b, o = write_pair(tmp_path, js["canonical"], js["opening_file"])
    entry = {
        "type": "election_sealing",
        "election": 41,
        "board": "fed/trustees/1",
        "public_key": KEY,
        "seal_id": ELECTION,
        "questions": [{"id": "q1", "answers": ["ana", "berta", "ciro"], "min": 0, "max": 1}],
    }
    (tmp_path / "sealing.json").write_text(json.dumps(entry))
    args = [b, o, "--public-key", KEY, "--election", ELECTION]
    done = verify_ballot(*args, "--questions", str(tmp_path / "sealing.json"))
    assert done.returncode == 0, done.stderr
    assert "q1: Ciro" in done.stdout
    # An entry of another election is refused before anything is checked.
    entry["seal_id"] = "federacion/40"
    (tmp_path / "sealing.json").write_text(json.dumps(entry))
    done = verify_ballot(*args, "--questions", str(tmp_path / "sealing.json"))
    assert done.returncode == 1
    assert "seal_id is 'federacion/40'" in done.stderr
