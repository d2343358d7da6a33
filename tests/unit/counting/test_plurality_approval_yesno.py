"""Plurality, approval and yes/no counts."""

from __future__ import annotations

from fractions import Fraction

import pytest

from asamblea.counting import approval, plurality
from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.yesno import YesNoCount, count_yes_no


def profile(candidates: str, *rows: tuple[list[object], int | Fraction]) -> Profile:
    return Profile(
        candidates=list(candidates),
        ballots=[RankedBallot.of(*ranks, count=n) for ranks, n in rows],  # type: ignore[arg-type]
    )


def test_plurality_elects_the_most_first_preferences() -> None:
    p = profile("ABC", (["A", "B"], 3), (["B"], 4), (["C"], 2))
    result = plurality.count(p, seats=1)
    assert result.winners == ["B"]
    assert result.rounds[0].tally == {"A": 3, "B": 4, "C": 2}


def test_plurality_sets_aside_blank_and_overvoted_ballots() -> None:
    p = profile("AB", (["A"], 2), ([["A", "B"]], 1), ([()], 1))
    p.ballots.append(RankedBallot((), 5))
    result = plurality.count(p, seats=1)
    assert result.rounds[0].inactive == {"blank": 6, "invalid": 1}
    assert result.rounds[0].exhausted == 7


def test_plurality_fills_several_seats_in_order_of_votes() -> None:
    p = profile("ABCD", (["A"], 5), (["B"], 4), (["C"], 3), (["D"], 1))
    assert plurality.count(p, seats=3).winners == ["A", "B", "C"]


def test_a_tie_for_the_last_seat_is_drawn_by_lot_and_recorded() -> None:
    p = profile("ABC", (["A"], 5), (["B"], 3), (["C"], 3))
    first = plurality.count(p, seats=2, seed="2026-05-01")
    again = plurality.count(p, seats=2, seed="2026-05-01")
    assert first.winners == again.winners
    assert first.winners[0] == "A"
    (draw,) = first.rounds[0].draws
    assert draw.tied == ["B", "C"]
    assert draw.chosen == first.winners[1]


def test_weighted_ballots_count_their_weight_exactly() -> None:
    p = profile("AB", (["A"], Fraction(7, 3)), (["B"], 2))
    result = plurality.count(p, seats=1)
    assert result.winners == ["A"]
    assert result.rounds[0].tally["A"] == Fraction(7, 3)
    assert result.places == 4


def test_approval_counts_every_mark() -> None:
    p = profile("ABC", ([["A", "B"]], 3), (["B", "C"], 2), (["C"], 4))
    result = approval.count(p, seats=2)
    assert result.rounds[0].tally == {"A": 3, "B": 5, "C": 6}
    assert result.winners == ["C", "B"]


def test_yes_no_counts_each_choice_with_weights() -> None:
    counted = count_yes_no(
        [("yes", 3), ("no", Fraction(1, 2)), ("abstain", 1), (None, 2), ("x", 1)]
    )
    assert counted == YesNoCount(yes=3, no=Fraction(1, 2), abstain=1, blank=2, spoilt=1, voters=5)
    assert counted.valid == Fraction(7, 2)
    assert counted.cast == Fraction(15, 2)


def test_yes_no_plain_choices_weigh_one() -> None:
    counted = count_yes_no(["yes", "yes", "no", ""])
    assert (counted.yes, counted.no, counted.blank, counted.voters) == (2, 1, 1, 4)
    result = counted.to_result()
    assert result.rounds[0].tally == {"yes": 2, "no": 1, "abstain": 0}
    assert result.to_json()["rounds"][0]["tally"]["yes"] == "2"


def test_yes_no_refuses_float_weights() -> None:
    with pytest.raises(TypeError, match="never float"):
        count_yes_no([("yes", 0.5)])  # type: ignore[list-item]
