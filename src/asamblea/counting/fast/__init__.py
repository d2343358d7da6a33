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

from typing import Any

import numpy as np

from asamblea.counting.ballots import Profile
from asamblea.counting.fast.arrays import ArrayProfile, group, is_simple, strike, to_array
from asamblea.counting.result import CountResult

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
        from asamblea.counting.fast import irv as fast_irv

        options = getattr(rules, "options", rules)
        if not isinstance(options, irv.IrvOptions):
            return "rules: only RCTab options (IrvOptions) are taken"
        if not fast_irv.supports(options):
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


def count_fast(
    method: str,
    profile_or_array: Profile | ArrayProfile,
    *,
    seats: int = 1,
    seed: int | str | None = None,
    rules: Any = None,
) -> CountResult:
    """Count on the fast path; equal to ``methods.count(method, profile, ...)`` (or, with RCTab
    ``rules``, to ``irv.tabulate(profile, rules)``). Raises :class:`NotSupported`."""
    reason = supports(method, seats=seats, rules=rules)
    if reason is not None:
        raise NotSupported(reason)
    if isinstance(profile_or_array, Profile):
        array = to_array(profile_or_array)
        if array is None:
            raise NotSupported(
                "a ballot has a skipped rank, an overvote, a repeated candidate "
                "or a fractional weight"
            )
    else:
        array = profile_or_array
    names = list(array.candidates)
    rankings = np.asarray(array.rankings)
    if array.counts is not None and np.any(np.asarray(array.counts) < 0):
        raise NotSupported("negative ballot counts")
    meta = Profile(candidates=names, withdrawn=list(array.withdrawn), title=array.title)

    if rules is not None or method == "irv":
        from asamblea.counting.fast import irv as fast_irv

        rows, counts = group(rankings, array.counts, len(names))
        if not is_simple(rows, len(names)):
            raise NotSupported("rows are not simple rankings (see asamblea.counting.fast.arrays)")
        if rules is not None:
            return fast_irv.tabulate(meta, rows, counts, getattr(rules, "options", rules))
        return fast_irv.count(meta, rows, counts, seed=seed)

    # STV and Schulze take the standing candidates only: strike the withdrawn and renumber.
    withdrawn = set(array.withdrawn)
    struck = [i for i, c in enumerate(names) if c in withdrawn]
    standing = [i for i, c in enumerate(names) if c not in withdrawn]
    first_seen = method == "stv-scottish"
    rows, counts = group(rankings, array.counts, len(names), first_seen=first_seen)
    if not is_simple(rows, len(names)):
        raise NotSupported("rows are not simple rankings (see asamblea.counting.fast.arrays)")
    if struck:
        renumber = np.full(len(names) + 1, -1, dtype=np.int16)
        renumber[standing] = np.arange(len(standing), dtype=np.int16)
        rows = strike(rows, struck)
        rows = np.where(rows >= 0, renumber[rows], -1).astype(np.int16)
        # Striking can make rows equal or empty: regroup (first-seen order is kept).
        rows, counts = group(rows, counts, len(standing), first_seen=first_seen)
    if method == "schulze":
        from asamblea.counting.fast import schulze

        return schulze.count(meta, rows, counts, seats=seats, seed=seed)
    # STV: a paper with no usable first preference is not in the valid poll.
    usable = rows[:, 0] >= 0
    rows, counts = rows[usable], counts[usable]
    if method == "stv-scottish":
        from asamblea.counting.fast import gregory

        return gregory.count(meta, rows, counts, seats=seats, seed=seed)
    from asamblea.counting.fast import meek

    return meek.count(meta, rows, counts, seats=seats, seed=seed)
