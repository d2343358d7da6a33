"""``asamblea.counting.methods`` counts large profiles on the fast path, with the same result."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from asamblea.counting import fast, io, irv, methods, rctab, schulze
from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.fast import synth


def _large_profile() -> Profile:
    # Many distinct rankings: with few, the exact path counts faster and is chosen (ADR 0011).
    names = [f"C{i}" for i in range(10)]
    array = synth.impartial(fast.LARGE, 10, 9)
    ballots = [RankedBallot(tuple((names[c],) for c in row if c >= 0)) for row in array.tolist()]
    return Profile(names, ballots).grouped()


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The methods counted on the fast path during the test (``fast.count_fast`` still counts)."""
    used: list[str] = []
    real = fast.count_fast

    def spy(method: str, *args: object, **kwargs: object) -> object:
        used.append(method)
        return real(method, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fast, "count_fast", spy)
    return used


def test_methods_count_a_large_profile_on_the_fast_path_with_the_exact_result(
    fast_calls: list[str],
) -> None:
    profile = _large_profile()
    result = methods.count("schulze", profile, seats=2, seed=4)
    assert fast_calls == ["schulze"]
    assert result.to_json() == schulze.count(profile, seats=2, seed=4).to_json()


def test_methods_count_a_small_profile_on_the_exact_path(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = Profile(["A", "B"], [RankedBallot.of("A", "B", count=3)])
    monkeypatch.setattr(fast, "count_fast", lambda *a, **k: pytest.fail("fast path used"))
    assert methods.count("irv", profile, seats=1, seed=0).winners == ["A"]


def test_a_large_multi_seat_rctab_count_with_overvotes_and_skips_takes_the_fast_path(
    fast_calls: list[str],
) -> None:
    # 2013 Minneapolis park board: 3 seats, fractional STV, overvote labels, skipped ranks and
    # write-ins; every ballot counted 20 times to pass the fast path's size.
    case = Path(__file__).resolve().parents[2] / "conformance/rctab/2013_minneapolis_park"
    rules = rctab.load_rules(case / "rules.json")
    small = io.read_jsonl(
        case / "ballots.jsonl", rules.candidates, extra_names=[irv.UNDECLARED_WRITE_IN]
    ).grouped()
    profile = Profile(small.candidates, [replace(b, count=20 * b.count) for b in small.ballots])
    assert profile.total >= fast.LARGE
    # 1,238 distinct rankings: counted on the exact path (ADR 0011); the fast path, asked
    # directly, gives the same result.
    assert fast.takes("irv", profile, rules=rules.options)
    assert not fast.choose("irv", profile, rules=rules.options)
    exact = irv.tabulate(profile, rules.options)
    assert methods.tabulate_rctab(profile, rules.options).to_json() == exact.to_json()
    assert fast_calls == []
    assert fast.count_fast("irv", profile, rules=rules.options).to_json() == exact.to_json()
    assert len(exact.winners) == 3
