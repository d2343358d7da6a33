"""The streaming reader: the same ballots as the exact path's readers, in arrays, one line at a time."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from asamblea.counting import io, irv, methods, rctab
from asamblea.counting.blt import read_blt
from asamblea.counting.fast import count_fast, synth, to_array
from asamblea.counting.fast.stream import read_array

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"
BLT_CASES = sorted(CONFORMANCE.glob("*/*/ballots.blt"))


@pytest.mark.parametrize("path", BLT_CASES, ids=lambda p: p.parent.name)
def test_streamed_blt_equals_the_exact_reader_and_counts_the_same(path: Path) -> None:
    exact = read_blt(path)
    streamed = read_array(path, "blt")
    assert streamed is not None
    expected = to_array(exact.grouped())
    assert expected is not None
    assert streamed.candidates == exact.candidates
    assert (streamed.title, streamed.seats, streamed.withdrawn) == (
        exact.title,
        exact.seats,
        exact.withdrawn,
    )
    width = expected.rankings.shape[1]
    assert np.array_equal(streamed.rankings[:, :width], expected.rankings)
    assert np.array_equal(streamed.counts, expected.counts)
    method = "stv-meek" if "meek" in str(path) else "stv-scottish"
    seats = exact.seats or 1
    ours = count_fast(method, streamed, seats=seats).to_json()
    assert ours == methods.count(method, exact, seats=seats, seed=None).to_json()


def test_streamed_jsonl_with_rule_candidates_counts_as_the_command_line_does() -> None:
    case = CONFORMANCE / "rctab" / "dominion_multi_file"
    rules = rctab.load_rules(case / "rules.json")
    profile = io.read_jsonl(
        case / "ballots.jsonl", rules.candidates, extra_names=[irv.UNDECLARED_WRITE_IN]
    ).grouped()
    streamed = read_array(case / "ballots.jsonl", "jsonl", candidates=rules.candidates)
    assert streamed is not None
    assert len(streamed.rankings) == len(profile.ballots)
    exact = irv.tabulate(profile, rules.options)
    assert count_fast("irv", streamed, rules=rules.options).to_json() == exact.to_json()


def test_streamed_reader_gives_up_on_a_ballot_it_does_not_take(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(
        '{"ranking": [["A"], ["B"]], "count": 2}\n{"ranking": [["A", "B"]], "count": 1}\n'
    )
    assert read_array(path, "jsonl") is None
    path.write_text('{"ranking": [["A"], [], ["B"]]}\n')
    assert read_array(path, "jsonl") is None
    path.write_text('{"ranking": [["A"], ["B"]], "count": "1.5"}\n')
    assert read_array(path, "jsonl") is None
    blt = tmp_path / "b.blt"
    blt.write_text('2 1\n1 1=2 0\n0\n"A"\n"B"\n"T"\n')
    assert read_array(blt, "blt") is None


def test_a_large_file_is_read_in_less_memory_than_its_text_with_progress(tmp_path: Path) -> None:
    # A reader that builds a Python object per ballot needs several times the file's size (about
    # eight times here); the streaming reader holds the rankings once, as int16, while it reads,
    # and groups them: its peak stays below one copy of the file.
    n = 100_000
    names = [f"Candidate {i}" for i in range(10)]
    array = synth.impartial(n, 10, 11)
    path = tmp_path / "big.jsonl"
    with open(path, "w") as fh:
        for row in array.tolist():
            fh.write(json.dumps({"ranking": [[names[c]] for c in row if c >= 0]}) + "\n")
    size = path.stat().st_size
    messages: list[str] = []
    tracemalloc.start()
    try:
        streamed = read_array(
            path, "jsonl", candidates=names, progress=messages.append, every=50_000
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert streamed is not None and int(streamed.counts.sum()) == n
    assert peak < size, (peak, size)
    assert messages[0] in ("read 50,000 lines (49%)", "read 50,000 lines (50%)")
    assert messages[-1].startswith(f"read {n:,} ballot lines into ")
