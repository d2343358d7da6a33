"""Approval voting, one or more seats: each ballot gives one vote to every candidate it marks;
the ``seats`` candidates with the most approvals are elected.

Rules: approval voting as defined by Brams and Fishburn ("Approval Voting", 1978/1983), with
multi-winner "top-k" selection (sometimes called block approval). Ties for the last seat(s) are
broken by lot from the seed; each draw is in the round.

Ballots: from a ranked profile every marked name at any rank is an approval (the ranks carry no
meaning); a ballot with no marks is blank; a mark for an unknown name or the overvote label makes
the ballot invalid. Arithmetic: exact sums of integer or fractional weights.
Known deviations: none known; proportional approval methods (PAV, SPAV) are not provided.
"""

from __future__ import annotations

from asamblea.counting.ballots import Profile
from asamblea.counting.plurality import choices_from_profile, count_choices
from asamblea.counting.result import CountResult


def count(profile: Profile, *, seats: int = 1, seed: int | str | None = None) -> CountResult:
    return count_choices(
        choices_from_profile(profile, first_rank_only=False),
        profile.candidates,
        seats=seats,
        seed=seed,
        method="approval",
        max_marks=None,
        withdrawn=profile.withdrawn,
    )
