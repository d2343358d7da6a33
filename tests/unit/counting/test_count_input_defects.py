"""Malformed ballot files through ``asamblea count``: each is counted as stated or refused with
``FILE:LINE: message`` and exit status 1, never a traceback or a silent result.

Regression tests for the input defects of issue 15 ("National scale", item 5), each named in its
test's comment; docs/adr/0011-reading-ballot-files.md states the choices.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from asamblea.cli import main
from asamblea.counting import fast
from asamblea.counting.ballots import Profile, RankedBallot


def count(
    path: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, object] | None, str]:
    status = main(["count", str(path), "--json", *args])
    out = capsys.readouterr()
    data = json.loads(out.out) if status == 0 else None
    return status, data, out.err


def refused(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one error line, after checking the exit status is 1 and there is no traceback."""
    status, _, err = count(path, capsys, *args)
    assert status == 1, err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_a_count_beyond_int64_is_counted_exactly_on_the_exact_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: a weight of 10^30 (or any count >= 2^63) ended in an OverflowError traceback in
    # the fast path. The fast path now declines totals its int64 arithmetic cannot hold.
    path = tmp_path / "big.jsonl"
    path.write_text(
        f'{{"ranking": [["A"], ["B"]], "count": {10**30}}}\n{{"ranking": [["B"]], "count": 1}}\n'
    )
    for method in ("irv", "schulze", "stv-meek"):
        status, data, err = count(path, capsys, "--method", method)
        assert status == 0, err
        assert data is not None and data["winners"] == ["A"]
        assert data["ballots"] == {"lines": 2, "total": str(10**30 + 1)}


def test_a_count_of_two_to_the_63_in_a_csv_is_counted_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: any count >= 2^63 (here in a CSV, counted by Schulze) was an OverflowError.
    path = tmp_path / "big.csv"
    path.write_text(f"rank1,rank2,count\nA,B,{2**63}\nB,A,1\n")
    status, data, err = count(path, capsys, "--method", "schulze")
    assert status == 0, err
    assert data is not None and data["winners"] == ["A"]


def test_an_empty_jsonl_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 15: an empty .jsonl exited 0 with no winners (plurality, Schulze, Meek).
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    for method in ("plurality", "schulze", "stv-meek", "irv"):
        assert refused(path, capsys, "--method", method) == (
            f"{path}:1: no ballots: the file holds no ballot line"
        )


def test_a_header_only_csv_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 15: a CSV with a header and no row exited 0 with no winners.
    path = tmp_path / "header.csv"
    path.write_text("rank1,rank2\n")
    assert refused(path, capsys, "--method", "plurality") == (
        f"{path}:1: no ballots: the file holds no ballot line"
    )


def test_a_csv_row_with_more_cells_than_the_header_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: the cell past the header was silently dropped (C's third preference was lost).
    path = tmp_path / "extra.csv"
    path.write_text("rank1,rank2\nB,A\nA,B,C\n")
    assert refused(path, capsys) == (f"{path}:3: row has 3 cells but the header names 2 columns")


def test_a_csv_header_naming_a_column_twice_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Same family: with two count columns the second was silently ignored.
    path = tmp_path / "twice.csv"
    path.write_text("rank1,rank2,count,count\nA,B,1,2\n")
    assert refused(path, capsys) == f"{path}:1: header: column 'count' appears twice"


def test_a_csv_header_with_an_unknown_column_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Same family: a column that is neither rankN nor count was silently dropped.
    path = tmp_path / "unknown.csv"
    path.write_text("rank1,weight\nA,5\n")
    assert refused(path, capsys) == (
        f"{path}:1: header: unknown column 'weight' (expected rank1,rank2,... and count)"
    )


def test_a_non_utf8_jsonl_line_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: the UnicodeDecodeError named no file or line.
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"ranking": [["A"]]}\n{"ranking": [["\xe9"]]}\n')
    assert refused(path, capsys) == (
        f"{path}:2: not UTF-8 text (byte 0xe9 at column 16): save the file as UTF-8"
    )


def test_a_non_utf8_csv_row_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: the UnicodeDecodeError named no file or line.
    path = tmp_path / "latin.csv"
    path.write_bytes(b"rank1,rank2\nA,B\nB,\xe9\n")
    line = refused(path, capsys)
    assert line.startswith(f"{path}:3: not UTF-8 text")


def test_a_leading_byte_order_mark_is_accepted_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: a UTF-8 BOM (as spreadsheets write) was refused in .csv and .jsonl but accepted
    # in .blt. It is now accepted at the start of every format, and nowhere else.
    files = {
        "bom.csv": "\ufeffrank1,rank2\nA,B\nA,\n",
        "bom.jsonl": '\ufeff{"ranking": [["A"], ["B"]]}\n{"ranking": [["A"]]}\n',
        "bom.blt": '\ufeff2 1\n2 1 2 0\n0\n"A"\n"B"\n',
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        status, data, err = count(path, capsys, "--method", "irv")
        assert status == 0, err
        assert data is not None and data["winners"] == ["A"]


def test_a_byte_order_mark_after_the_first_line_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The stated behaviour's other half: a BOM is a file's first character or an error.
    path = tmp_path / "bom2.jsonl"
    path.write_text('{"ranking": [["A"]]}\n\ufeff{"ranking": [["A"]]}\n', encoding="utf-8")
    assert refused(path, capsys).startswith(f"{path}:2: not JSON")


def test_a_negative_blt_weight_is_reported_as_a_weight(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: "-1 1 2 0" was read as a withdrawn-candidates line and reported as
    # "withdrawn candidate '1' is not -1 to -2".
    path = tmp_path / "neg.blt"
    path.write_text('2 1\n-1 1 2 0\n0\n"A"\n"B"\n')
    assert refused(path, capsys, "--method", "irv") == (
        f"{path}:2: ballot weight '-1' is negative: a weight is a number of ballots, 0 or more"
    )


def test_an_empty_candidate_name_in_jsonl_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: a candidate named "" could win.
    path = tmp_path / "empty-name.jsonl"
    path.write_text('{"ranking": [["A"]]}\n{"ranking": [["   "], ["A"]], "count": 3}\n')
    assert refused(path, capsys) == f"{path}:2: ranking: empty candidate name"


def test_an_empty_candidate_name_in_blt_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: a candidate named "" could win.
    path = tmp_path / "empty-name.blt"
    path.write_text('2 1\n3 1 2 0\n1 2 0\n0\n""\n"A"\n')
    assert refused(path, capsys, "--method", "irv") == (f"{path}:5: candidate 1 has an empty name")


def test_a_contest_with_no_valid_paper_is_refused_not_drawn_by_lot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: with no valid paper every candidate had zero votes and one was elected by lot.
    zero = tmp_path / "zero-weight.blt"
    zero.write_text('2 1\n0 1 0\n0 2 1 0\n0\n"A"\n"B"\n')
    withdrawn = tmp_path / "withdrawn.blt"
    withdrawn.write_text('2 1\n-1\n4 1 0\n0\n"A"\n"B"\n')
    for path in (zero, withdrawn):
        for method in ("irv", "plurality", "schulze", "stv-meek"):
            assert refused(path, capsys, "--method", method) == (
                f"{path}:0: no valid paper: every ballot has weight 0, is blank or marks only"
                " withdrawn candidates"
            )


def test_a_blt_file_with_no_ballot_line_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Same family: a BLT file whose ballots section is empty elected a zero-vote candidate.
    path = tmp_path / "none.blt"
    path.write_text('2 1\n0\n"A"\n"B"\n')
    assert refused(path, capsys, "--method", "plurality") == (
        f"{path}:1: no ballots: the file holds no ballot line"
    )


def test_deeply_nested_json_is_refused_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Same family: 100,000 nested brackets ended in a RecursionError traceback.
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "\n")
    assert refused(path, capsys) == f"{path}:1: not JSON: nested too deeply"


def few_distinct(total: int) -> Profile:
    rankings = [("A", "B", "C"), ("B", "C", "A"), ("C", "A")]
    ballots = [RankedBallot.of(*rankings[i % 3]) for i in range(total)]
    return Profile(candidates=["A", "B", "C"], ballots=ballots)


def test_the_fast_path_is_not_chosen_for_many_ballots_of_few_distinct_rankings() -> None:
    # Issue 15: the fast path was chosen by ballot count alone, and on a large profile of few
    # distinct rankings it is slower than the exact path (0.32 s against 0.08 s).
    profile = few_distinct(30_000)
    assert not fast.choose("irv", profile)
    assert not fast.choose("schulze", profile)
    assert not fast.choose("irv", profile.grouped())


def test_the_fast_path_is_chosen_for_many_ballots_of_many_distinct_rankings() -> None:
    names = [chr(ord("A") + i) for i in range(8)]
    rng = random.Random(15)
    ballots = []
    for i in range(fast.LARGE):
        order = rng.sample(names, 8)
        ballots.append(RankedBallot.of(*order[: 1 + i % 8]))
    profile = Profile(candidates=names, ballots=ballots)
    assert fast.choose("irv", profile)
    assert fast.choose("schulze", profile)


def test_the_fast_path_declines_a_total_beyond_its_integer_arithmetic() -> None:
    profile = Profile(
        candidates=["A", "B"],
        ballots=[RankedBallot.of("A", "B", count=2**62), RankedBallot.of("B", count=2**62)],
    )
    assert fast.supports("irv") is None
    assert not fast.choose("irv", profile)


def test_many_ballots_of_few_rankings_count_grouped_on_the_exact_path_with_the_same_result() -> (
    None
):
    # The exact path visits every ballot entry each round: an ungrouped profile of few
    # distinct rankings is counted grouped, and gives exactly the fast path's result.
    from asamblea.counting.fast import count_fast
    from asamblea.counting.methods import METHODS

    profile = few_distinct(30_000)
    for method in ("irv", "schulze", "stv-meek"):
        ours = METHODS[method](profile, seats=1, seed=3).to_json()
        assert ours == count_fast(method, profile, seats=1, seed=3).to_json()


def test_a_streamed_file_of_few_rankings_is_counted_on_the_exact_path_with_the_same_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A large JSON-lines file is streamed into arrays; when it holds few distinct rankings the
    # exact path counts them (faster), with the output the exact reader's count gives.
    from asamblea.commands import count as command

    rankings = [["A", "B", "C"], ["B", "C", "A"], ["C", "A"], ["B"]]
    path = tmp_path / "few.jsonl"
    path.write_text(
        "".join(
            json.dumps({"ranking": [[n] for n in rankings[i % 4 if i % 7 else 0]]}) + "\n"
            for i in range(fast.LARGE + 5)
        )
    )
    monkeypatch.setattr(command, "STREAM_BYTES", 10**12)
    exact = main(["count", str(path), "--json", "--method", "irv"]), capsys.readouterr()
    monkeypatch.setattr(command, "STREAM_BYTES", 0)
    monkeypatch.setattr(fast, "count_fast", lambda *a, **k: pytest.fail("fast path used"))
    streamed = main(["count", str(path), "--json", "--method", "irv"]), capsys.readouterr()
    assert "ballot lines into 4 distinct rankings" in streamed[1].err
    assert streamed[0] == exact[0] == 0
    assert streamed[1].out == exact[1].out


def test_the_streaming_reader_takes_each_line_as_one_json_value(tmp_path: Path) -> None:
    # Two broken lines could make one valid object if lines were parsed joined; the exact
    # reader refuses line 1, so the streaming reader must give up and let it say so.
    from asamblea.counting.fast.stream import read_array

    path = tmp_path / "broken.jsonl"
    path.write_text(
        '{"ranking": [["A"]], "x": [{}\n{}]}\n{"ranking": [["B"]]},{"ranking": [["C"]]}\n'
    )
    assert read_array(path, "jsonl") is None


def test_the_streaming_reader_reads_lines_across_block_boundaries_as_the_exact_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asamblea.counting import io
    from asamblea.counting.fast import stream

    rng = random.Random(4)
    names = ["Ann", "Bo", "Cy", "Dee"]
    lines = [
        json.dumps({"ranking": [[n] for n in rng.sample(names, rng.randint(1, 4))]})
        + ("\n\n" if i % 17 == 0 else "\n")
        for i in range(300)
    ]
    path = tmp_path / "blocks.jsonl"
    path.write_text("\ufeff" + "".join(lines).rstrip("\n"), encoding="utf-8")
    monkeypatch.setattr(stream, "CHUNK_BYTES", 64)
    array = stream.read_array(path, "jsonl")
    assert array is not None and array.counts is not None
    exact = io.read_jsonl(path).grouped()
    streamed = [
        (tuple((array.candidates[c],) for c in row if c >= 0), count)
        for row, count in zip(array.rankings.tolist(), array.counts.tolist(), strict=True)
    ]
    assert streamed == [(b.ranking, b.count) for b in exact.ballots]
    assert array.lines == 300
