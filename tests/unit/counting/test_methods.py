"""The registry of counting methods."""

from __future__ import annotations

from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.methods import METHODS, count


def test_registry_names_the_seven_methods() -> None:
    assert set(METHODS) == {
        "plurality",
        "approval",
        "irv",
        "stv-scottish",
        "stv-wigm",
        "stv-meek",
        "schulze",
    }


def test_every_method_elects_the_only_choice_of_a_majority() -> None:
    profile = Profile(
        candidates=["A", "B", "C"],
        ballots=[RankedBallot.of("A", count=5), RankedBallot.of("B", "C", count=2)],
    )
    for name in METHODS:
        result = count(name, profile, seats=1, seed=1)
        assert result.winners == ["A"], name
