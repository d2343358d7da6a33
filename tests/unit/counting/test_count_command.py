"""``asamblea count``: inputs, outputs and exit statuses (0 counted, 1 bad input, 2 bad usage)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asamblea.cli import main

RCTAB = Path(__file__).resolve().parents[2] / "conformance" / "rctab"
WARD = (
    Path(__file__).resolve().parents[2]
    / "conformance"
    / "scottish-stv"
    / "edinburgh-2017-ward03-drum-braegyle"
    / "ballots.blt"
)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["count", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_csv_is_counted_by_irv_and_printed_as_a_round_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.csv"
    path.write_text("rank1,rank2,count\nA,B,4\nB,,3\nC,B,2\n")
    status, out, err = run([str(path)], capsys)
    assert status == 0
    assert out.splitlines()[0].split() == ["candidate", "round", "1", "round", "2"]
    assert out.rstrip().endswith("winners: B")
    assert "counting by irv" in err


def test_json_output_is_exactly_one_object_with_rounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"ranking": [["A"], ["B"]], "count": 4}\n{"ranking": [["B"]], "count": 5}\n')
    status, out, _ = run([str(path), "--method", "plurality", "--json"], capsys)
    assert status == 0
    (line,) = out.splitlines()
    data = json.loads(line)
    assert data["winners"] == ["B"]
    assert data["rounds"][0] == {
        "round": 1,
        "tally": {"A": "4", "B": "5"},
        "elected": ["B"],
        "eliminated": [],
        "exhausted": "0",
        "action": "count",
        "inactive": {"blank": "0", "invalid": "0"},
    }
    assert data["ballots"] == {"lines": 2, "total": "9"}


def test_blt_file_carries_its_seats(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run([str(WARD), "--method", "stv-scottish", "--json"], capsys)
    assert status == 0
    assert json.loads(out)["seats"] == 3


def test_blt_without_method_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run([str(WARD)], capsys)
    assert status == 2
    assert out == ""
    assert "a BLT file needs --method" in err


def test_rules_and_method_together_are_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    case = RCTAB / "tiebreak_seed_test"
    argv = [str(case / "ballots.jsonl"), "--rules", str(case / "rules.json"), "--method", "irv"]
    assert run(argv, capsys)[0] == 2


def test_unknown_file_type_and_bad_seats_are_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(tmp_path / "ballots.txt")], capsys)[0] == 2
    assert run([str(tmp_path / "b.csv"), "--seats", "0"], capsys)[0] == 2


def test_unknown_method_is_rejected_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["count", "b.csv", "--method", "borda"])
    assert exc.value.code == 2


def test_bad_ballot_line_is_bad_input_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"ranking": [["A"]], "count": 1}\n{"ranking": [["A"]], "count": -1}\n')
    status, out, err = run([str(path), "--json"], capsys)
    assert status == 1
    assert out == ""
    assert f"{path}:2: count: must be positive" in err


def test_missing_ballot_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run([str(tmp_path / "none.jsonl")], capsys)
    assert status == 1
    assert "none.jsonl:0: no such file" in err


def test_a_ballot_naming_an_unknown_candidate_is_bad_input_under_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = RCTAB / "tiebreak_seed_test"
    ballots = tmp_path / "b.jsonl"
    ballots.write_text('{"ranking": [["Nobody"]], "count": 1}\n')
    status, _, err = run([str(ballots), "--rules", str(case / "rules.json")], capsys)
    assert status == 1
    assert f"{ballots}:1: ranking: unknown candidate 'Nobody'" in err


def test_tie_left_to_an_operator_stops_the_count_as_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = RCTAB / "2024_alaska_dominion"
    rules = json.loads((case / "rules.json").read_text())
    assert rules["rctab_rules"]["tiebreakMode"] == "stopCountingAndAsk"
    names = [c["name"] for c in rules["rctab_candidates"]]
    ballots = tmp_path / "b.jsonl"
    ballots.write_text(
        "".join(json.dumps({"ranking": [[n]], "count": 2}) + "\n" for n in names[:3])
    )
    shutil.copy(case / "rules.json", tmp_path / "rules.json")
    status, out, err = run([str(ballots), "--rules", str(tmp_path / "rules.json")], capsys)
    assert status == 1
    assert out == ""
    assert "the count cannot finish" in err


def test_seed_option_overrides_the_rule_file_seed(capsys: pytest.CaptureFixture[str]) -> None:
    case = RCTAB / "tiebreak_seed_test"
    argv = [str(case / "ballots.jsonl"), "--rules", str(case / "rules.json"), "--json"]
    winners = set()
    for seed in ("1", "2", "3", "4", "5"):
        status, out, _ = run([*argv, "--seed", seed], capsys)
        assert status == 0
        data = json.loads(out)
        assert data["seed"] == int(seed)
        winners.add(data["winners"][0])
    assert len(winners) > 1


def test_round_table_shows_thresholds_and_every_draw(capsys: pytest.CaptureFixture[str]) -> None:
    case = RCTAB / "tiebreak_seed_test"
    status, out, _ = run([str(case / "ballots.jsonl"), "--rules", str(case / "rules.json")], capsys)
    assert status == 0
    assert "threshold        5.0000      4.0000" in out
    assert (
        "round 1: tie for elimination between George Gervin, Mookie Blaylock, Yinka Dare;"
        " random(seed=1) chose Yinka Dare"
    ) in out
    assert out.rstrip().endswith("winners: George Gervin")


def test_sequential_irv_prints_one_table_per_pass(capsys: pytest.CaptureFixture[str]) -> None:
    case = RCTAB / "sequential_with_batch"
    status, out, _ = run([str(case / "ballots.jsonl"), "--rules", str(case / "rules.json")], capsys)
    assert status == 0
    assert [line for line in out.splitlines() if line.startswith("pass ")] == [
        "pass 1",
        "pass 2",
        "pass 3",
    ]
    assert out.rstrip().endswith("winners: A, B, C")
