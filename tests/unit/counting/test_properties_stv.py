"""Invariants of the STV methods and Schulze, on random profiles (Hypothesis; the ``ci`` profile
of tests/conftest.py makes the runs derandomized and without deadline)."""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import permutations

from hypothesis import given
from hypothesis import strategies as st

from asamblea.counting import schulze, stv_meek, stv_scottish, stv_wigm
from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.blt import read_blt, write_blt
from asamblea.counting.schulze import Num, pairwise, strongest_paths

NAMES = ["Ana", "Beto", "Ceci", "Dani", "Eva", "Fito"]
GREGORY = [stv_scottish, stv_wigm]
ALL = [stv_scottish, stv_wigm, stv_meek, schulze]


@st.composite
def elections(draw: st.DrawFn) -> tuple[Profile, int]:
    n = draw(st.integers(min_value=2, max_value=6))
    cands = NAMES[:n]
    seats = draw(st.integers(min_value=1, max_value=n - 1))
    ballots = []
    for _ in range(draw(st.integers(min_value=1, max_value=14))):
        order = draw(st.permutations(cands))
        length = draw(st.integers(min_value=1, max_value=n))
        ballots.append(
            RankedBallot.of(*order[:length], count=draw(st.integers(min_value=1, max_value=40)))
        )
    return Profile(candidates=cands, ballots=ballots), seats


@given(elections(), st.sampled_from(ALL))
def test_every_method_fills_exactly_the_seats_with_distinct_candidates(
    case: tuple[Profile, int], method: object
) -> None:
    profile, seats = case
    result = method.count(profile, seats=seats, seed=7)  # type: ignore[attr-defined]
    assert len(result.winners) == seats
    assert len(set(result.winners)) == seats
    assert set(result.winners) <= set(profile.candidates)


@given(elections(), st.sampled_from(GREGORY))
def test_gregory_counts_conserve_votes_stage_by_stage(
    case: tuple[Profile, int], method: object
) -> None:
    """Every stage: candidates' totals + non-transferable papers + truncation loss = valid poll,
    each part tracked separately; the loss stays under 10^-5 per paper per surplus transfer
    (Scottish) and is exactly 0 in exact WIGM."""
    profile, seats = case
    result = method.count(profile, seats=seats, seed=1)  # type: ignore[attr-defined]
    valid = Fraction(profile.total)
    papers = sum(b.count for b in profile.ballots)
    surpluses = 0
    for rnd in result.rounds:
        surpluses += sum(1 for t in rnd.transfers if t.kind == "surplus")
        tracked = rnd.inactive["non_transferable"] + rnd.inactive["rounding"]
        assert sum(rnd.tally.values()) + tracked == valid
        assert rnd.exhausted == tracked
        assert 0 <= rnd.inactive["rounding"] <= Fraction(papers * surpluses, 10**5)
        if method is stv_wigm:
            assert rnd.inactive["rounding"] == 0
        for t in rnd.transfers:
            if t.kind == "exclusion":
                assert sum(t.moved.values()) == result.rounds[rnd.round - 2].tally[t.source]


@given(elections(), st.sampled_from(GREGORY))
def test_gregory_winners_reach_the_quota_or_fill_the_last_vacancies(
    case: tuple[Profile, int], method: object
) -> None:
    profile, seats = case
    result = method.count(profile, seats=seats)  # type: ignore[attr-defined]
    for rnd in result.rounds:
        for c in rnd.elected:
            assert rnd.tally[c] >= result.quota or rnd.extra.get("filled_last_vacancies")


@given(elections())
def test_meek_never_creates_votes(case: tuple[Profile, int]) -> None:
    profile, seats = case
    result = stv_meek.count(profile, seats=seats)
    for rnd in result.rounds:
        assert all(v >= 0 for v in rnd.tally.values())
        assert 0 <= rnd.exhausted <= profile.total
        assert sum(rnd.tally.values()) + rnd.exhausted == profile.total


@given(elections(), st.sampled_from(ALL), st.integers(min_value=0, max_value=2**32), st.randoms())
def test_the_same_seed_gives_the_same_result_whatever_the_ballot_order(
    case: tuple[Profile, int], method: object, seed: int, rnd: random.Random
) -> None:
    profile, seats = case
    first = method.count(profile, seats=seats, seed=seed)  # type: ignore[attr-defined]
    shuffled = list(profile.ballots)
    rnd.shuffle(shuffled)
    again = method.count(  # type: ignore[attr-defined]
        Profile(candidates=list(profile.candidates), ballots=shuffled), seats=seats, seed=seed
    )
    assert again.to_json() == first.to_json()
    assert first.seed == seed


@given(elections(), st.data())
def test_the_condorcet_winner_wins_schulze(case: tuple[Profile, int], data: st.DataObject) -> None:
    profile, _ = case
    # A block of ballots ranking one candidate first, larger than all other ballots together,
    # makes that candidate beat every other one head to head.
    favourite = data.draw(st.sampled_from(profile.candidates))
    rest = [c for c in profile.candidates if c != favourite]
    block = RankedBallot.of(favourite, *rest, count=profile.total + 1)
    with_winner = Profile(list(profile.candidates), [*profile.ballots, block])
    cands, d = pairwise(with_winner)
    assert all(d[favourite][c] > d[c][favourite] for c in cands if c != favourite)
    assert schulze.count(with_winner, seats=1, seed=3).winners == [favourite]


@given(elections())
def test_any_condorcet_winner_of_a_random_profile_wins_schulze(case: tuple[Profile, int]) -> None:
    profile, _ = case
    cands, d = pairwise(profile)
    winners = [a for a in cands if all(d[a][b] > d[b][a] for b in cands if b != a)]
    result = schulze.count(profile, seats=1)
    if winners:
        assert result.winners == winners


def _widest_path_by_enumeration(
    cands: list[str], d: dict[str, dict[str, Num]], a: str, b: str
) -> Num:
    """Independent of ``strongest_paths``: the best weakest link over every simple path a->b."""
    best: Num = 0
    inner = [c for c in cands if c not in (a, b)]
    for k in range(len(inner) + 1):
        for middle in permutations(inner, k):
            path = [a, *middle, b]
            links = [
                d[x][y] if d[x][y] > d[y][x] else 0 for x, y in zip(path, path[1:], strict=False)
            ]
            best = max(best, min(links))
    return best


@given(elections())
def test_schulze_strongest_paths_agree_with_enumerating_every_path(
    case: tuple[Profile, int],
) -> None:
    profile, _ = case
    cands, d = pairwise(profile)
    p = strongest_paths(cands, d)
    for a in cands:
        for b in cands:
            if a != b:
                assert p[a][b] == _widest_path_by_enumeration(cands, d, a, b)


@given(elections(), st.booleans())
def test_a_profile_written_as_blt_reads_back_the_same(
    case: tuple[Profile, int], withdraw: bool
) -> None:
    profile, seats = case
    profile.seats = seats
    profile.title = "Elección de delegados"
    if withdraw:
        profile.withdrawn = [profile.candidates[-1]]
    assert read_blt(write_blt(profile).splitlines()) == profile
