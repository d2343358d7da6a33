"""Meek STV (PR Foundation reference rule) on small profiles."""

from __future__ import annotations

from fractions import Fraction

import pytest

from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.stv_meek import count


def test_first_iteration_elects_candidates_over_the_quota_in_ballot_order() -> None:
    p = Profile(
        list("ABC"),
        [RankedBallot.of("B", count=5), RankedBallot.of("A", count=5), RankedBallot.of("C")],
    )
    result = count(p, seats=2)
    # Quota 11/3 truncated to 9 places plus 10^-9.
    assert result.rounds[0].threshold == Fraction(3666666667, 10**9)
    assert result.rounds[0].elected == ["A", "B"]
    assert result.winners == ["A", "B"]
    assert result.rounds[0].eliminated == ["C"]


def test_a_surplus_flows_through_keep_factors_until_below_omega() -> None:
    # Quota 14/3: A's keep factor falls to 7/9 (rounded up), B gains the surplus; the surplus left
    # is below omega, so the lowest (C, tied with D within the surplus) is defeated.
    p = Profile(
        list("ABCD"),
        [
            RankedBallot.of("A", "B", count=6),
            RankedBallot.of("B", count=2),
            RankedBallot.of("C", count=3),
            RankedBallot.of("D", count=3),
        ],
    )
    out = count(p, seats=2).to_json()
    second = out["rounds"][1]
    assert second["iterations"] == 2
    assert second["keep_factors"]["A"] == "0.777777778"
    assert second["tally"] == {
        "A": "4.666666668",
        "B": "3.333333332",
        "C": "3.000000000",
        "D": "3.000000000",
    }
    assert Fraction(second["surplus"]) < Fraction(1, 10**6)
    assert second["eliminated"] == ["C"]
    assert second["draws"][0]["tied"] == ["C", "D"]
    votes = sum(Fraction(v) for v in second["tally"].values())
    assert votes + Fraction(second["exhausted"]) == 14
    assert out["winners"] == ["A", "B"]
    assert out["rounds"][2]["eliminated"] == ["D"]


def test_a_ballot_weight_with_more_than_nine_places_is_refused() -> None:
    p = Profile(["A"], [RankedBallot.of("A", count=Fraction(1, 3))])
    with pytest.raises(ValueError, match="more than 9 decimal places"):
        count(p, seats=1)


def test_the_lot_from_a_seed_decides_a_tie_for_defeat_and_is_recorded() -> None:
    p = Profile(
        list("ABC"),
        [
            RankedBallot.of("A", count=2),
            RankedBallot.of("B", count=2),
            RankedBallot.of("C", count=5),
        ],
    )
    seen = set()
    for seed in range(12):
        result = count(p, seats=2, seed=seed)
        assert result.to_json() == count(p, seats=2, seed=seed).to_json()
        draws = [d for r in result.rounds for d in r.draws]
        assert len(draws) == 1
        assert draws[0].tied == ["A", "B"]
        assert result.winners[0] == "C"
        seen.add(draws[0].chosen)
    assert seen == {"A", "B"}
