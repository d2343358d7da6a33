"""The RCTab rule options of ``asamblea.counting.irv`` on small hand-checked profiles."""

from __future__ import annotations

from fractions import Fraction

import pytest

from asamblea.counting import irv
from asamblea.counting.ballots import OVERVOTE_LABEL, Profile, RankedBallot
from asamblea.counting.irv import IrvOptions, tabulate
from asamblea.counting.tiebreak import USE_CANDIDATE_ORDER


def profile(candidates: str, *rows: tuple[list[object], int]) -> Profile:
    return Profile(
        candidates=list(candidates),
        ballots=[RankedBallot.of(*ranks, count=n) for ranks, n in rows],  # type: ignore[arg-type]
    )


def opts(**kw: object) -> IrvOptions:
    base: dict[str, object] = {"tiebreak_mode": USE_CANDIDATE_ORDER}
    base.update(kw)
    return IrvOptions(**base)  # type: ignore[arg-type]


def test_majority_of_first_preferences_wins_in_round_one() -> None:
    result = tabulate(profile("ABC", (["A"], 6), (["B"], 3), (["C", "B"], 2)), opts())
    assert result.winners == ["A"]
    assert len(result.rounds) == 1
    assert result.rounds[0].threshold == 6


def test_lowest_candidate_is_eliminated_and_votes_transfer() -> None:
    p = profile("ABC", (["A"], 4), (["B"], 3), (["C", "B"], 2), (["C"], 1))
    result = tabulate(p, opts())
    first, second = result.rounds
    assert first.eliminated == ["C"]
    assert first.transfers[0].moved == {"B": 2, "exhausted": 1}
    assert second.tally == {"A": 4, "B": 5}
    assert second.inactive[irv.EXHAUSTED] == 1
    assert result.winners == ["B"]


def test_overvote_exhausts_immediately_or_skips_to_the_next_rank() -> None:
    rows = ([["A", "B"], "C"], 1), (["A"], 2), (["C"], 1)
    exhaust = tabulate(profile("ABC", *rows), opts(overvote_rule=irv.EXHAUST_IMMEDIATELY))
    skip = tabulate(profile("ABC", *rows), opts(overvote_rule=irv.ALWAYS_SKIP))
    assert exhaust.rounds[0].inactive[irv.OVERVOTE] == 1
    assert exhaust.rounds[0].tally["C"] == 1
    assert skip.rounds[0].inactive[irv.OVERVOTE] == 0
    assert skip.rounds[0].tally["C"] == 2


def test_overvote_label_without_names_counts_as_an_overvote() -> None:
    p = profile("AB", ([OVERVOTE_LABEL, "B"], 1), (["A"], 2))
    result = tabulate(p, opts(overvote_rule=irv.EXHAUST_IMMEDIATELY))
    assert result.rounds[0].inactive[irv.OVERVOTE] == 1


def test_exhaust_if_multiple_continuing_only_when_two_marks_are_still_running() -> None:
    p = profile("ABC", (["A"], 3), (["B"], 2), (["C"], 1), ([["B", "C"], "A"], 1))
    result = tabulate(p, opts(overvote_rule=irv.EXHAUST_IF_MULTIPLE))
    assert result.rounds[0].inactive[irv.OVERVOTE] == 1


def test_too_many_skipped_ranks_make_the_ballot_inactive() -> None:
    p = profile("AB", ([(), (), "A"], 1), (["B"], 1))
    strict = tabulate(p, opts(max_skipped_ranks=1))
    lenient = tabulate(p, opts(max_skipped_ranks=2))
    assert strict.rounds[0].inactive[irv.SKIPPED] == 1
    assert lenient.rounds[0].tally["A"] == 1


def test_a_repeated_candidate_exhausts_the_ballot_when_the_rule_says_so() -> None:
    p = profile("ABC", (["C", "C", "A"], 1), (["A"], 2), (["B"], 2))
    on = tabulate(p, opts(exhaust_on_duplicate=True))
    off = tabulate(p, opts())
    assert on.rounds[1].inactive[irv.REPEATED] == 1
    assert off.rounds[1].tally["A"] == 3


def test_batch_elimination_removes_everyone_who_cannot_catch_up() -> None:
    p = profile("ABCDE", (["A"], 10), (["B"], 8), (["C"], 3), (["D"], 2), (["E"], 1))
    result = tabulate(p, opts(batch_elimination=True))
    assert sorted(result.rounds[0].eliminated) == ["C", "D", "E"]


def test_continue_until_two_keeps_counting_after_a_majority() -> None:
    p = profile("ABC", (["A"], 6), (["B"], 3), (["C"], 2))
    result = tabulate(p, opts(continue_until_two=True))
    assert result.winners == ["A"]
    assert list(result.rounds[-1].tally) == ["A", "B"]


def test_minimum_vote_threshold_eliminates_all_below_it_at_once() -> None:
    p = profile("ABCD", (["A"], 5), (["B"], 4), (["C"], 1), (["D"], 1))
    result = tabulate(p, opts(minimum_vote_threshold=2))
    assert sorted(result.rounds[0].eliminated) == ["C", "D"]


def test_stop_after_round_ends_the_count_without_a_winner() -> None:
    p = profile("ABC", (["A"], 4), (["B"], 3), (["C"], 2))
    result = tabulate(p, opts(stop_after_round=1))
    assert len(result.rounds) == 1
    assert result.winners == []


def test_excluded_candidates_are_skipped_on_every_ballot() -> None:
    p = profile("ABC", (["C", "A"], 3), (["B"], 2))
    result = tabulate(p, opts(excluded=("C",)))
    assert "C" not in result.rounds[0].tally
    assert result.winners == ["A"]


def test_undeclared_write_ins_are_dropped_first_and_cannot_win() -> None:
    uwi = irv.UNDECLARED_WRITE_IN
    p = profile("AB", ([uwi], 5), (["A"], 3), (["B"], 2))
    result = tabulate(p, opts(undeclared_write_in=uwi))
    assert result.rounds[0].eliminated == [uwi]
    assert result.winners == ["A"]


def test_multi_seat_surplus_moves_at_a_truncated_fraction() -> None:
    # Threshold floor(10 / 3) + 1 = 4; A's surplus 3 of 7: fraction trunc(3/7, 4) = 0.4285.
    p = profile("ABC", (["A", "B"], 7), (["C"], 2), (["B"], 1))
    result = tabulate(p, opts(seats=2, mode=irv.STV_FRACTIONAL))
    assert result.rounds[0].elected == ["A"]
    moved = result.rounds[0].transfers[0].moved
    assert moved["B"] == Fraction(29995, 10000)  # 7 ballots x trunc(1 x 0.4285) = 2.9995
    assert moved["residual surplus"] == Fraction(5, 10000)
    assert result.rounds[1].tally["A"] == 4
    assert result.winners[0] == "A"
    assert len(result.winners) == 2


def test_hare_quota_rounds_up() -> None:
    p = profile("ABC", (["A"], 5), (["B"], 3), (["C"], 2))
    result = tabulate(p, opts(seats=3, mode=irv.STV_FRACTIONAL, hare_quota=True))
    assert result.rounds[0].threshold == 4  # ceil(10 / 3)


def test_bottoms_up_eliminates_until_the_seats_remain() -> None:
    p = profile("ABCD", (["A"], 5), (["B"], 4), (["C"], 3), (["D"], 1))
    result = tabulate(p, opts(seats=2, mode=irv.BOTTOMS_UP))
    assert result.winners == ["A", "B"]


def test_sequential_irv_removes_each_winner_for_the_next_pass() -> None:
    p = profile("ABC", (["A", "B"], 5), (["B"], 3), (["C", "B"], 2))
    result = tabulate(p, opts(seats=2, mode=irv.SEQUENTIAL_IRV))
    assert result.passes is not None
    assert [ps.winners for ps in result.passes] == [["A"], ["B"]]
    assert result.winners == ["A", "B"]
    assert "A" not in result.passes[1].rounds[0].tally


def test_unknown_method_is_refused() -> None:
    with pytest.raises(irv.CountError, match="unknown method"):
        tabulate(profile("A", (["A"], 1)), opts(mode="condorcet"))


def test_plain_irv_method_counts_whole_votes_with_a_seeded_lot() -> None:
    p = profile("ABC", (["A"], 2), (["B"], 2), (["C"], 1))
    result = irv.count(p, seats=1, seed="s")
    assert result.places == 0
    assert result.method == "irv"
    assert result.winners == irv.count(p, seats=1, seed="s").winners
