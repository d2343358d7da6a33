"""The fast path: the same counts as the exact path, on NumPy arrays, for large inputs.

Entry points:

- :func:`count_fast` ``(method, profile_or_array, *, seats, seed, rules=None) -> CountResult``:
  the result is equal, ``to_json()`` byte for byte, to the exact path's for the same ballots.
- :func:`to_array` ``(profile) -> ArrayProfile | None``: the array form (None when a ballot has a
  mark the fast path does not take: see ``arrays``).
- :func:`choose` ``(method, profile, *, seats=1, rules=None) -> bool``: whether
  ``asamblea.counting.methods`` should count this profile here (large, and supported).

Methods and their arithmetic (docs/adr/0004-fast-counting.md):

- ``irv`` (one seat) and RCTab single-seat contests (``rules=IrvOptions``): whole votes, inside
  the exact path's own RCTab round loop (``fast.irv``).
- ``stv-scottish``: fixed point in units of 10^-5, the statute's precision (``fast.gregory``).
- ``stv-meek``: fixed point in units of 10^-9, the reference rule's precision (``fast.meek``).
- ``schulze``: whole numbers (``fast.schulze``).

Everything else (plurality, approval, ``stv-wigm``'s unbounded fractions, multi-seat RCTab
modes, weighted or non-simple ballots) is counted by the exact path; :class:`NotSupported` says
why when it is asked for here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asamblea.counting.ballots import Profile
    from asamblea.counting.fast.api import count_fast
    from asamblea.counting.fast.arrays import ArrayProfile, to_array

__all__ = ["ArrayProfile", "NotSupported", "choose", "count_fast", "supports", "to_array"]

METHODS = ("irv", "stv-scottish", "stv-meek", "schulze")

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
        if not (options.mode == irv.IRV and options.seats == 1):  # fast.irv.supports
            return f"RCTab mode {options.mode} with {options.seats} seats runs on the exact path"
        return None
    if method not in METHODS:
        return f"method {method!r} runs on the exact path"
    if method == "irv" and seats != 1:
        return "multi-seat irv (RCTab fractional STV) runs on the exact path"
    return None


def choose(method: str, profile: Profile, *, seats: int = 1, rules: Any = None) -> bool:
    """True when the profile is large and the fast path counts it (method, rules, ballots).

    Cheap checks first: a small profile or an unsupported method never builds an array."""
    if supports(method, seats=seats, rules=rules) is not None:
        return False
    if not isinstance(profile.total, int) or profile.total < LARGE:
        return False
    return all(
        isinstance(b.count, int) and all(len(rank) == 1 for rank in b.ranking)
        for b in profile.ballots
    )


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
