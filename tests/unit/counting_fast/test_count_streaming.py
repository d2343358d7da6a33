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


@pytest.mark.parametrize(
    ("argv", "streams"),
    [
        # Overvotes and skipped ranks: the streaming reader declines, the exact reader counts.
        ([str(RCTAB / "ballots.jsonl"), "--rules", str(RCTAB / "rules.json")], False),
        ([str(WARD), "--method", "stv-scottish"], True),
        ([str(MEEK), "--method", "stv-meek"], True),
    ],
    ids=["rctab-irv", "scottish", "meek"],
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
