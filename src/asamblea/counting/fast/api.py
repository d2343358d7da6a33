"""``count_fast``: the fast path's entry (see the package docstring)."""

from __future__ import annotations

from typing import Any

import numpy as np

from asamblea.counting.ballots import Profile
from asamblea.counting.fast.arrays import (
    ArrayProfile,
    as_marks,
    group,
    group_marks,
    is_simple,
    strike,
    to_array,
)
from asamblea.counting.fast.support import NotSupported, supports
from asamblea.counting.result import CountResult


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
            raise NotSupported("a ballot has a fractional or negative weight")
    else:
        array = profile_or_array
    names = list(array.candidates)
    rankings = np.asarray(array.rankings)
    if array.counts is not None and np.any(np.asarray(array.counts) < 0):
        raise NotSupported("negative ballot counts")
    meta = Profile(candidates=names, withdrawn=list(array.withdrawn), title=array.title)

    if rules is not None or method == "irv":
        from asamblea.counting.fast import irv as fast_irv

        labels = list(array.labels)
        if rankings.ndim == 3:
            rows, counts = group_marks(rankings, array.counts, len(names) + len(labels))
        else:
            rows, counts = group(rankings, array.counts, len(names))
            if not is_simple(rows, len(names)):
                # Gaps and repeats of a 2-D array are skipped ranks and repeated candidates.
                if rows.size and (rows.min() < -1 or rows.max() >= len(names)):
                    raise NotSupported("a mark is not a candidate's index")
                rows = as_marks(rows)
        if rules is not None:
            return fast_irv.tabulate(meta, rows, counts, getattr(rules, "options", rules), labels)
        return fast_irv.count(meta, rows, counts, seats=seats, seed=seed, labels=labels)

    if rankings.ndim != 2:
        raise NotSupported(
            f"{method} on the fast path takes simple rankings; skipped ranks, overvotes, "
            "repeated candidates and labels run on the exact path"
        )
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
