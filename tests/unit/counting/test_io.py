"""Ballot files: JSON lines and CSV read and write, with FILE:LINE errors."""

from __future__ import annotations

import io as stdio
from fractions import Fraction
from pathlib import Path

import pytest

from asamblea.counting import io
from asamblea.counting.ballots import Profile, RankedBallot


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_keeps_skips_overvotes_and_counts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "b.jsonl",
        '{"ranking": [["A"], [], ["B", "C"]], "count": 3}\n\n{"ranking": [], "count": 1}\n',
    )
    profile = io.read_jsonl(path)
    assert profile.candidates == ["A", "B", "C"]
    assert profile.ballots[0] == RankedBallot((("A",), (), ("B", "C")), 3)
    assert profile.ballots[1].ranking == ()
    assert profile.total == 4


def test_jsonl_round_trips(tmp_path: Path) -> None:
    original = Profile(
        candidates=["A", "B"],
        ballots=[
            RankedBallot.of("A", (), "B", count=2),
            RankedBallot.of("B", count=Fraction(3, 2)),
        ],
    )
    out = stdio.StringIO()
    io.write_jsonl(original, out)
    path = write(tmp_path, "rt.jsonl", out.getvalue())
    again = io.read_jsonl(path, ["A", "B"])
    assert again.ballots == original.ballots


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"ranking": [["A"]]}\nnot json\n', "b.jsonl:2: not JSON"),
        ('{"ranking": [["A"]], "count": 0}\n', "b.jsonl:1: count: must be positive"),
        ('{"ranking": [["A"]], "count": 1.5}\n', "b.jsonl:1: count: must be an integer"),
        ('{"ranking": ["A"]}\n', "b.jsonl:1: ranking: each rank must be a list"),
        ('{"count": 1}\n', "b.jsonl:1: ranking: missing"),
    ],
)
def test_jsonl_errors_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "b.jsonl", text)
    with pytest.raises(io.BallotFileError) as err:
        io.read_jsonl(path)
    assert str(err.value).startswith(f"{tmp_path / 'b.jsonl'}{message.removeprefix('b.jsonl')}")


def test_unknown_candidate_is_refused_when_candidates_are_given(tmp_path: Path) -> None:
    path = write(tmp_path, "b.jsonl", '{"ranking": [["A"]]}\n{"ranking": [["Z"]]}\n')
    with pytest.raises(io.BallotFileError, match=r"b.jsonl:2: ranking: unknown candidate 'Z'"):
        io.read_jsonl(path, ["A"])


def test_csv_reads_equal_ranks_skips_and_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "rank1,rank2,rank3,count\nA,,B=C,2\nB,,,1\n")
    profile = io.read_csv(path)
    assert profile.ballots == [
        RankedBallot((("A",), (), ("B", "C")), 2),
        RankedBallot((("B",),), 1),
    ]


def test_csv_without_count_column_is_one_ballot_per_row(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "rank1,rank2\nA,B\nA,B\n")
    assert io.read_csv(path).total == 2


def test_csv_round_trips(tmp_path: Path) -> None:
    original = Profile(
        candidates=["A", "B", "C"],
        ballots=[RankedBallot.of(["A", "B"], (), "C", count=4), RankedBallot.of("C")],
    )
    out = stdio.StringIO()
    io.write_csv(original, out)
    again = io.read_csv(write(tmp_path, "rt.csv", out.getvalue()))
    assert again.ballots == original.ballots


def test_csv_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "rank1,count\nA,1\nB,x\n")
    with pytest.raises(io.BallotFileError, match=r"b.csv:3: count: not a number"):
        io.read_csv(path)
    bad_header = write(tmp_path, "h.csv", "first,second\nA,B\n")
    with pytest.raises(io.BallotFileError, match=r"h.csv:1: header"):
        io.read_csv(bad_header)


def test_ballot_format_follows_the_file_name() -> None:
    assert io.ballot_format("x.JSONL") == "jsonl"
    assert io.ballot_format("x.csv") == "csv"
    assert io.ballot_format("x.blt") == "blt"
    with pytest.raises(ValueError, match="unknown ballot file type"):
        io.ballot_format("x.txt")
