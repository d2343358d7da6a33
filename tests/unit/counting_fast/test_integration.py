"""``asamblea.counting.methods`` counts large profiles on the fast path, with the same result."""

from __future__ import annotations

import pytest

from asamblea.counting import fast, methods, schulze
from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.fast import synth


def _large_profile() -> Profile:
    names = [f"C{i}" for i in range(6)]
    array = synth.mallows(fast.LARGE, 6, 9)
    ballots = [RankedBallot(tuple((names[c],) for c in row if c >= 0)) for row in array.tolist()]
    return Profile(names, ballots).grouped()


def test_methods_count_a_large_profile_on_the_fast_path_with_the_exact_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile = _large_profile()
    used: list[str] = []
    real = fast.count_fast

    def spy(method: str, *args: object, **kwargs: object) -> object:
        used.append(method)
        return real(method, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fast, "count_fast", spy)
    result = methods.count("schulze", profile, seats=2, seed=4)
    assert used == ["schulze"]
    assert result.to_json() == schulze.count(profile, seats=2, seed=4).to_json()


def test_methods_count_a_small_profile_on_the_exact_path(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = Profile(["A", "B"], [RankedBallot.of("A", "B", count=3)])
    monkeypatch.setattr(fast, "count_fast", lambda *a, **k: pytest.fail("fast path used"))
    assert methods.count("irv", profile, seats=1, seed=0).winners == ["A"]
