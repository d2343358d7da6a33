"""Plurality (first past the post), one or more seats: each ballot gives one vote to the single
candidate marked first; the ``seats`` candidates with the most votes are elected.

Rules: single-member plurality as in most statutes (e.g. the UK Representation of the People
Act 1983, Schedule 1 rule 45 counting and rule 49 "equality of votes": the returning officer
decides between equal candidates by lot). With several seats each voter still has one vote
("single non-transferable vote").

Ballots: a ranked profile is read by its first rank only. A first rank with two or more names
(an overvote) is invalid; an empty first rank is blank; later ranks are ignored. Both are
reported (``inactive``: ``blank``, ``invalid``) and count for no one.

Ties for the last seat(s) are broken by lot from the seed (``asamblea.counting.tiebreak``, mode
``lot``); each draw is in the round. Arithmetic: exact sums of the ballots' integer or
fractional weights. Known deviation: no statute's rule for a tie is followed beyond a lot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

from asamblea.counting.ballots import OVERVOTE_LABEL, ChoiceBallot, Profile
from asamblea.counting.result import CountResult, Draw, Round
from asamblea.counting.result import Number as ResultNumber
from asamblea.counting.tiebreak import LOT, TieBreaker

# Votes are exact: whole numbers or fractions, never floats (nor Decimal, to keep one type).
Number = int | Fraction


def choices_from_profile(profile: Profile, *, first_rank_only: bool) -> list[ChoiceBallot]:
    """Ranked ballots as marks: the first rank (plurality) or every rank (approval)."""
    out = []
    for b in profile.ballots:
        if first_rank_only:
            marks = frozenset(b.ranking[0]) if b.ranking else frozenset()
        else:
            marks = frozenset(name for rank in b.ranking for name in rank)
        out.append(ChoiceBallot(marks, b.count))
    return out


def elect_top(
    tally: Mapping[str, Number], seats: int, lot: TieBreaker, order: list[str]
) -> tuple[list[str], list[Draw]]:
    """The ``seats`` highest tallies, in order of votes; ties across the last seat by lot."""
    remaining = [c for c in order if c in tally]
    winners: list[str] = []
    draws: list[Draw] = []
    while remaining and len(winners) < seats:
        top = max(tally[c] for c in remaining)
        group = [c for c in remaining if tally[c] == top]
        free = seats - len(winners)
        if len(group) <= free:
            winners.extend(group)
            remaining = [c for c in remaining if c not in group]
            continue
        while free > 0:
            draw = lot.choose(group, selecting_winner=True, purpose="election")
            draws.append(draw)
            winners.append(draw.chosen)
            group.remove(draw.chosen)
            free -= 1
        break
    return winners, draws


def tally_choices(
    ballots: Iterable[ChoiceBallot], candidates: list[str], *, max_marks: int | None
) -> tuple[dict[str, Number], dict[str, Number]]:
    """Votes per candidate, and ballots counted for no one (``blank``, ``invalid``).

    ``max_marks`` is 1 for plurality (more marks: invalid) and None for approval."""
    tally: dict[str, Number] = dict.fromkeys(candidates, 0)
    inactive: dict[str, Number] = {"blank": 0, "invalid": 0}
    for b in ballots:
        marks = b.marks
        if not marks:
            inactive["blank"] += b.count
            continue
        unknown = [m for m in marks if m not in tally]
        if OVERVOTE_LABEL in marks or unknown or (max_marks is not None and len(marks) > max_marks):
            inactive["invalid"] += b.count
            continue
        for m in marks:
            tally[m] += b.count
    return tally, inactive


def _places(values: Iterable[Number]) -> int:
    return 0 if all(isinstance(v, int) or Fraction(v).denominator == 1 for v in values) else 4


def count_choices(
    ballots: Iterable[ChoiceBallot],
    candidates: list[str],
    *,
    seats: int,
    seed: int | str | None,
    method: str,
    max_marks: int | None,
    withdrawn: Iterable[str] = (),
) -> CountResult:
    out = set(withdrawn)
    running = [c for c in candidates if c not in out]
    tally, inactive = tally_choices(ballots, running, max_marks=max_marks)
    # Without a published seed the lot uses seed 0; the result always states the seed used.
    seed = 0 if seed is None else seed
    lot = TieBreaker(LOT, seed=seed)
    winners, draws = elect_top(tally, seats, lot, running)
    exhausted = inactive["blank"] + inactive["invalid"]
    rnd = Round(
        round=1,
        tally=dict[str, ResultNumber](tally),
        elected=list(winners),
        exhausted=exhausted,
        inactive=dict[str, ResultNumber](inactive),
        draws=draws,
        action="count",
    )
    return CountResult(
        method=method,
        seats=seats,
        winners=winners,
        rounds=[rnd],
        places=_places([*tally.values(), exhausted]),
        seed=seed,
        candidates=list(candidates),
    )


def count(profile: Profile, *, seats: int = 1, seed: int | str | None = None) -> CountResult:
    """Plurality over the first preferences of a ranked profile."""
    return count_choices(
        choices_from_profile(profile, first_rank_only=True),
        profile.candidates,
        seats=seats,
        seed=seed,
        method="plurality",
        max_marks=1,
        withdrawn=profile.withdrawn,
    )
