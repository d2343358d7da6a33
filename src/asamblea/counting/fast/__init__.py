"""The fast path: the same counts as the exact path, on NumPy arrays, for large inputs.

Entry points:

- :func:`count_fast` ``(method, profile_or_array, *, seats, seed, rules=None) -> CountResult``:
  the result is equal, ``to_json()`` byte for byte, to the exact path's for the same ballots.
- :func:`to_array` ``(profile) -> ArrayProfile | None``: the array form, in the simple layout or
  the mark layout (overvotes, skipped ranks, repeated candidates, write-in and overvote labels);
  None for a fractional weight (see ``arrays``).
- :func:`choose` ``(method, profile, *, seats=1, rules=None) -> bool``: whether
  ``asamblea.counting.methods`` should count this profile here (large, and supported).

Methods and their arithmetic (docs/adr/0004-fast-counting.md):

- ``irv`` (any seats) and every RCTab mode (``rules=IrvOptions``: single-seat IRV, multi-seat
  fractional STV, one winner per round, bottoms-up, bottoms-up with a percentage, sequential
  IRV), with every overvote, skipped-rank, duplicate, maximum-rankings and write-in rule: the
  exact path's own RCTab round loop with array tally and surplus steps, whole votes or fixed
  point in units of 10^-places (``fast.irv``).
- ``stv-scottish``: fixed point in units of 10^-5, the statute's precision (``fast.gregory``).
- ``stv-meek``: fixed point in units of 10^-9, the reference rule's precision (``fast.meek``).
- ``schulze``: whole numbers (``fast.schulze``).

Counted by the exact path, and refused here with :class:`NotSupported` saying why: plurality,
approval, ``stv-wigm`` (unbounded fractions); fractional ballot weights (the fast arithmetic is
whole counts times fixed-point values); RCTab rules with more than ``MAX_PLACES`` decimal places
(int64 fixed point); STV and Schulze on ballots that are not simple (their rules for equal or
skipped ranks stay on the exact path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asamblea.counting.ballots import Profile
    from asamblea.counting.fast.api import count_fast
    from asamblea.counting.fast.arrays import ArrayProfile, to_array

from asamblea.counting.fast.support import (
    FEW_DISTINCT,
    LARGE,
    MAX_PLACES,
    MAX_TOTAL,
    METHODS,
    NotSupported,
    supports,
)

__all__ = [
    "FEW_DISTINCT",
    "LARGE",
    "MAX_TOTAL",
    "MAX_PLACES",
    "METHODS",
    "ArrayProfile",
    "NotSupported",
    "choose",
    "count_fast",
    "supports",
    "takes",
    "to_array",
]


def choose(method: str, profile: Profile, *, seats: int = 1, rules: Any = None) -> bool:
    """True when the profile is large, has many distinct rankings, and the fast path counts it
    (method, rules, ballots).

    Cheap checks first: a small profile or an unsupported method never builds an array. At
    least ``LARGE`` ballots and ``FEW_DISTINCT`` distinct rankings: the exact path's work
    follows the distinct rankings, so many ballots of few rankings count faster there. A total
    over ``MAX_TOTAL`` goes to the exact path too (int64 arithmetic). RCTab counts (``rules``,
    or ``irv``) take any ranked ballot with a whole count; the other methods take simple
    ballots only (see ``arrays``)."""
    if not takes(method, profile, seats=seats, rules=rules):
        return False
    return len(profile.ballots) >= FEW_DISTINCT and _many_distinct(profile)


def takes(method: str, profile: Profile, *, seats: int = 1, rules: Any = None) -> bool:
    """True when the profile is large and the fast path counts it, however many distinct
    rankings it has (``choose`` also asks for many)."""
    if supports(method, seats=seats, rules=rules) is not None:
        return False
    total = profile.total
    if not isinstance(total, int) or not LARGE <= total <= MAX_TOTAL:
        return False
    if not all(isinstance(b.count, int) for b in profile.ballots):
        return False
    if rules is not None or method == "irv":
        return True
    names = set(profile.candidates)
    return all(len(rank) == 1 and rank[0] in names for b in profile.ballots for rank in b.ranking)


def _many_distinct(profile: Profile) -> bool:
    """At least ``FEW_DISTINCT`` distinct rankings; stops as soon as that many are seen."""
    seen: set[tuple[tuple[str, ...], ...]] = set()
    for b in profile.ballots:
        seen.add(b.ranking)
        if len(seen) >= FEW_DISTINCT:
            return True
    return False


def __getattr__(name: str) -> Any:
    # NumPy is imported only when the fast path is used: ``choose`` stays cheap for the command
    # line, which asks it on every count.
    if name == "count_fast":
        from asamblea.counting.fast.api import count_fast

        return count_fast
    if name in ("ArrayProfile", "to_array"):
        from asamblea.counting.fast.arrays import ArrayProfile, to_array

        return {"ArrayProfile": ArrayProfile, "to_array": to_array}[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
