"""Reading and writing BLT ballot files."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.blt import BallotFileError, read_blt, write_blt

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"

SMALL = """\
4 2
-3
3 1 2 0
2 2=4 1 0
1 4 - 2 0
(7) 1 1 3 0
0
"Ann Smith"
"Bo"
"Cy"
"Di"
"A small election"
"""


def test_reads_seats_withdrawn_weights_equal_and_skipped_ranks() -> None:
    p = read_blt(SMALL.splitlines())
    assert p.candidates == ["Ann Smith", "Bo", "Cy", "Di"]
    assert p.seats == 2
    assert p.withdrawn == ["Cy"]
    assert p.title == "A small election"
    assert p.ballots == [
        RankedBallot.of("Ann Smith", "Bo", count=3),
        RankedBallot.of(["Bo", "Di"], "Ann Smith", count=2),
        RankedBallot.of("Di", (), "Bo", count=1),
        RankedBallot.of("Ann Smith", "Cy", count=1),
    ]


def test_writing_then_reading_gives_the_same_profile() -> None:
    p = read_blt(SMALL.splitlines())
    assert read_blt(write_blt(p).splitlines()) == p


def test_decimal_weights_are_read_exactly_and_written_back() -> None:
    p = read_blt(["2 1", "1.25 1 2 0", "0", '"A"', '"B"'])
    assert p.ballots[0].count == Fraction(5, 4)
    assert "1.25 1 2 0" in write_blt(p)


def test_a_weight_without_a_decimal_form_is_refused_when_writing() -> None:
    p = Profile(["A"], [RankedBallot.of("A", count=Fraction(1, 3))], seats=1)
    with pytest.raises(ValueError, match="no exact decimal form"):
        write_blt(p)


def test_unquoted_names_keep_their_inner_spacing_and_party_code() -> None:
    case = CONFORMANCE / "scottish-stv" / "glasgow-2017-ward07-langside"
    p = read_blt(case / "ballots.blt")
    expected = json.loads((case / "expected.json").read_text())
    assert p.candidates == expected["candidates"]
    assert p.candidates[0] == "Susan AITKEN        SNP"
    assert p.title == "Ward 7 Langside"
    assert p.total == expected["valid_poll"]


def test_every_conformance_file_reads_with_the_expected_candidates() -> None:
    files = sorted(CONFORMANCE.glob("*/*/ballots.blt"))
    assert len(files) == 13
    for f in files:
        expected = json.loads((f.parent / "expected.json").read_text())
        p = read_blt(f)
        assert p.candidates == expected["candidates"], f
        assert p.seats == expected["seats"], f


def test_notes_after_the_title_are_ignored() -> None:
    p = read_blt(["1 1", "1 1 0", "0", '"A"', '"Title"', '"a note"', "First Prefs 1"])
    assert p.title == "Title"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ([], 1, "empty file"),
        (["2"], 1, "CANDIDATES SEATS"),
        (["2 0"], 1, "seats must be at least 1"),
        (["2 1", "1 1 2", "0"], 2, "must end with 0"),
        (["2 1", "1 1 3 0", "0"], 2, "not a candidate number 1 to 2"),
        (["2 1", "1 1 1 0", "0"], 2, "ranked twice"),
        (["2 1", "x 1 0", "0"], 2, "weight 'x'"),
        (["2 1", "-5", "0"], 2, "withdrawn candidate"),
        (["2 1", "1 1 0"], 2, "before the '0' line"),
        (["2 1", "1 1 0", "0", '"A"'], 4, "expected 2 candidate names, found 1"),
        (["2 1", "1 1 0", "0", '"A"', '"A"'], 5, "candidate name repeated"),
    ],
)
def test_bad_files_are_refused_with_file_and_line(text: list[str], line: int, message: str) -> None:
    with pytest.raises(BallotFileError, match=message) as info:
        read_blt(text, name="in.blt")
    assert info.value.line == line
    assert info.value.path == "in.blt"
    assert str(info.value).startswith(f"in.blt:{line}: ")


def test_a_file_error_names_the_path(tmp_path: Path) -> None:
    f = tmp_path / "ward.blt"
    f.write_text("3 1\n1 1 9 0\n0\n")
    with pytest.raises(BallotFileError) as info:
        read_blt(f)
    assert str(info.value) == f"{f}:2: preference '9' is not a candidate number 1 to 3"
    assert isinstance(info.value, ValueError)
