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

from asamblea.counting.fast.support import LARGE, MAX_PLACES, METHODS, NotSupported, supports

__all__ = [
    "LARGE",
    "MAX_PLACES",
    "METHODS",
    "ArrayProfile",
    "NotSupported",
    "choose",
    "count_fast",
    "supports",
    "to_array",
]


def choose(method: str, profile: Profile, *, seats: int = 1, rules: Any = None) -> bool:
    """True when the profile is large and the fast path counts it (method, rules, ballots).

    Cheap checks first: a small profile or an unsupported method never builds an array. RCTab
    counts (``rules``, or ``irv``) take any ranked ballot with a whole count; the other methods
    take simple ballots only (see ``arrays``)."""
    if supports(method, seats=seats, rules=rules) is not None:
        return False
    if not isinstance(profile.total, int) or profile.total < LARGE:
        return False
    if not all(isinstance(b.count, int) for b in profile.ballots):
        return False
    if rules is not None or method == "irv":
        return True
    names = set(profile.candidates)
    return all(len(rank) == 1 and rank[0] in names for b in profile.ballots for rank in b.ranking)


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
