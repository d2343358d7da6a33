"""Weighted inclusive Gregory STV in exact arithmetic."""

from __future__ import annotations

from fractions import Fraction

from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.stv_wigm import count


def test_surplus_moves_exactly_so_no_vote_is_lost_to_rounding() -> None:
    # The Scottish count of the same profile loses 0.00001 here and leaves B short of the quota.
    p = Profile(
        list("ABC"),
        [RankedBallot.of("A", "B", count=7), RankedBallot.of("B"), RankedBallot.of("C", count=2)],
    )
    result = count(p, seats=2)
    stage2 = result.rounds[1]
    assert stage2.tally == {"A": 4, "B": 4, "C": 2}
    assert stage2.inactive == {"non_transferable": 0, "rounding": 0}
    assert stage2.elected == ["B"]
    assert result.winners == ["A", "B"]
    assert result.method == "stv-wigm"


def test_transfer_values_compound_exactly_across_surpluses() -> None:
    # Quota floor(15/4)+1 = 4. A's surplus 5 of 9 gives B 5 (B: 6); B's surplus 2 of 6 moves
    # A's papers at 5/9 x 1/3 = 5/27 each to C (C: 2 + 5/3) and B's own paper exhausts at 1/3.
    p = Profile(
        list("ABCD"),
        [
            RankedBallot.of("A", "B", "C", count=9),
            RankedBallot.of("B"),
            RankedBallot.of("C", count=2),
            RankedBallot.of("D", count=3),
        ],
    )
    result = count(p, seats=3)
    assert result.rounds[1].tally["B"] == 6
    third = result.rounds[2]
    assert third.action == "surplus of B"
    assert third.transfers[0].value == Fraction(1, 3)
    assert third.tally["C"] == Fraction(11, 3)
    assert third.inactive["non_transferable"] == Fraction(1, 3)
    assert third.eliminated == ["D"]
    assert result.winners == ["A", "B", "C"]


def test_fractional_ballot_weights_are_counted_exactly() -> None:
    p = Profile(
        list("AB"),
        [RankedBallot.of("A", count=Fraction(5, 2)), RankedBallot.of("B", count=Fraction(3, 2))],
    )
    result = count(p, seats=1)
    assert result.rounds[0].tally == {"A": Fraction(5, 2), "B": Fraction(3, 2)}
    assert result.quota == 3
    assert result.winners == ["A"]
