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

__all__ = ["ArrayProfile", "NotSupported", "choose", "count_fast", "supports", "to_array"]

METHODS = ("irv", "stv-scottish", "stv-meek", "schulze")

# RCTab ballot values are int64 in units of 10^-places (``fast.irv``): value x surplus fraction,
# both at most 10^places, must fit.
MAX_PLACES = 9

# Below this many ballots the exact path is fast enough, and its code is the specification.
LARGE = 20_000


class NotSupported(ValueError):
    """The fast path does not count this method, these rules or these ballots."""


def supports(method: str, *, seats: int = 1, rules: Any = None) -> str | None:
    """``None`` when the fast path counts ``method`` with these seats and rules, else why not."""
    if rules is not None:
        from asamblea.counting import irv

        options = getattr(rules, "options", rules)
        if not isinstance(options, irv.IrvOptions):
            return "rules: only RCTab options (IrvOptions) are taken"
        if options.mode not in irv.MODES:
            return f"unknown RCTab mode {options.mode!r}"
        if options.places > MAX_PLACES:
            # Ballot values are int64 in units of 10^-places; value x fraction must fit.
            return f"more than {MAX_PLACES} decimal places run on the exact path"
        return None
    if method not in METHODS:
        return f"method {method!r} runs on the exact path"
    return None


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
        from asamblea.counting.fast import arrays

        return getattr(arrays, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
