"""`asamblea count` reads large files through the streaming reader and gives the same output."""

from __future__ import annotations

from pathlib import Path

import pytest

from asamblea.cli import main
from asamblea.commands import count

CASES = Path(__file__).resolve().parents[2] / "conformance"


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[str, str]:
    capsys.readouterr()
    assert main(argv) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


RCTAB = CASES / "rctab/2013_minneapolis_mayor"
WARD = CASES / "scottish-stv/edinburgh-2017-ward01-almond/ballots.blt"
MEEK = CASES / "meek-reference/m135/ballots.blt"
# Multi-seat RCTab modes with simple ballots stream too (the fast path counts every mode).
SEQUENTIAL = CASES / "rctab/sequential_with_batch"
ONE_PER_ROUND = CASES / "rctab/test_set_allow_only_one_winner_per_round"


@pytest.mark.parametrize(
    ("argv", "streams"),
    [
        # Overvotes and skipped ranks: the streaming reader declines, the exact reader counts.
        ([str(RCTAB / "ballots.jsonl"), "--rules", str(RCTAB / "rules.json")], False),
        ([str(WARD), "--method", "stv-scottish"], True),
        ([str(MEEK), "--method", "stv-meek"], True),
        ([str(SEQUENTIAL / "ballots.jsonl"), "--rules", str(SEQUENTIAL / "rules.json")], True),
        (
            [str(ONE_PER_ROUND / "ballots.jsonl"), "--rules", str(ONE_PER_ROUND / "rules.json")],
            True,
        ),
        ([str(WARD), "--method", "irv", "--seats", "3"], True),
    ],
    ids=["rctab-irv", "scottish", "meek", "rctab-sequential", "rctab-one-per-round", "irv-3-seats"],
)
def test_a_streamed_file_counts_exactly_as_the_exact_reader(capsys, monkeypatch, argv, streams):
    monkeypatch.setattr(count, "STREAM_BYTES", 10**12)
    exact, exact_err = _run(capsys, ["count", *argv, "--json"])
    assert "ballot lines into" not in exact_err
    monkeypatch.setattr(count, "STREAM_BYTES", 0)
    streamed, streamed_err = _run(capsys, ["count", *argv, "--json"])
    # The streaming reader's progress line shows which reader counted.
    assert ("ballot lines into" in streamed_err) is streams
    assert streamed == exact
