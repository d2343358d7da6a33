"""Invariants of the RCTab-family counts, plurality and approval, checked by Hypothesis on
random small profiles (the CI profile in tests/conftest.py: no deadline, derandomized)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from asamblea.counting import approval, irv, plurality
from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.irv import IrvOptions, tabulate
from asamblea.counting.result import CountResult
from asamblea.counting.tiebreak import RANDOM

NAMES = ["A", "B", "C", "D", "E"]

rank = st.one_of(
    st.just(()),
    st.sampled_from(NAMES).map(lambda n: (n,)),
    st.lists(st.sampled_from(NAMES), min_size=2, max_size=2, unique=True).map(tuple),
)
ballot = st.builds(
    RankedBallot,
    st.lists(rank, max_size=4).map(tuple),
    st.integers(min_value=1, max_value=5),
)
profiles = st.builds(
    lambda n, ballots: Profile(
        candidates=NAMES[:n],
        ballots=[b for b in ballots if all(x in NAMES[:n] for rk in b.ranking for x in rk)],
    ),
    st.integers(min_value=2, max_value=5),
    st.lists(ballot, max_size=25),
)
options = st.builds(
    IrvOptions,
    overvote_rule=st.sampled_from(irv.OVERVOTE_RULES),
    max_skipped_ranks=st.sampled_from([None, 0, 1, 2]),
    exhaust_on_duplicate=st.booleans(),
    tiebreak_mode=st.just(RANDOM),
    seed=st.integers(min_value=-(2**40), max_value=2**40),
)


def _residual_before(result: CountResult, index: int) -> Fraction:
    return sum(
        (
            Fraction(t.moved.get("residual surplus", 0))
            for rnd in result.rounds[:index]
            for t in rnd.transfers
        ),
        Fraction(0),
    )


def _assert_votes_conserved(result: CountResult, total: int) -> None:
    for index, rnd in enumerate(result.rounds):
        counted = sum((Fraction(v) for v in rnd.tally.values()), Fraction(0))
        inactive = sum((Fraction(v) for v in rnd.inactive.values()), Fraction(0))
        assert counted + inactive + _residual_before(result, index) == total, rnd


@given(profiles, options)
def test_irv_conserves_votes_in_every_round(profile: Profile, opts: IrvOptions) -> None:
    result = tabulate(profile, opts)
    _assert_votes_conserved(result, profile.total)


@given(profiles, options, st.integers(min_value=2, max_value=4))
def test_fractional_stv_conserves_votes_and_fills_every_seat(
    profile: Profile, opts: IrvOptions, seats: int
) -> None:
    seats = min(seats, len(profile.candidates))
    opts.seats = seats
    opts.mode = irv.STV_FRACTIONAL
    result = tabulate(profile, opts)
    _assert_votes_conserved(result, profile.total)
    assert len(result.winners) == seats
    assert len(set(result.winners)) == seats


@given(profiles, options)
def test_irv_elects_exactly_one_candidate(profile: Profile, opts: IrvOptions) -> None:
    assert len(tabulate(profile, opts).winners) == 1


@given(profiles, options)
def test_a_majority_of_first_choices_wins_irv(profile: Profile, opts: IrvOptions) -> None:
    firsts: dict[str, int] = {}
    for b in profile.ballots:
        if b.ranking and len(b.ranking[0]) == 1:
            firsts[b.ranking[0][0]] = firsts.get(b.ranking[0][0], 0) + int(b.count)
    majority = [n for n, v in firsts.items() if 2 * v > profile.total]
    result = tabulate(profile, opts)
    if majority:
        assert result.winners == majority


@given(profiles, options)
def test_the_same_seed_gives_the_same_result(profile: Profile, opts: IrvOptions) -> None:
    first = tabulate(profile, opts).to_json()
    assert tabulate(profile, opts).to_json() == first


@given(profiles, st.integers(min_value=1, max_value=3), st.integers())
def test_plurality_and_approval_elect_the_highest_tallies(
    profile: Profile, seats: int, seed: int
) -> None:
    for method in (plurality, approval):
        result = method.count(profile, seats=seats, seed=seed)
        tally = result.rounds[0].tally
        assert len(result.winners) == min(seats, len(profile.candidates))
        losers = [n for n in tally if n not in result.winners]
        if losers:
            assert min(tally[w] for w in result.winners) >= max(tally[n] for n in losers)
        assert method.count(profile, seats=seats, seed=seed).winners == result.winners
