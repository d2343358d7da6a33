"""Vectorised building blocks shared by the fast methods."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from asamblea.counting.ballots import Profile
from asamblea.counting.fast.arrays import IntArray


def pad(rows: npt.NDArray[np.integer]) -> npt.NDArray[np.int16]:
    """Rows with one more column of padding, so that a walk always ends on a ``-1``."""
    out = np.full((rows.shape[0], rows.shape[1] + 1), -1, dtype=np.int16)
    out[:, : rows.shape[1]] = rows
    return out


def next_continuing(
    rows: npt.NDArray[np.int16],
    index: IntArray,
    start: IntArray,
    continuing: npt.NDArray[np.bool_],
) -> tuple[IntArray, IntArray]:
    """For each row ``index[i]``, the first rank at or after ``start[i]`` whose candidate is
    continuing: ``(candidate or -1, rank)``. ``continuing`` has one extra last entry, ``False``,
    which the padding ``-1`` indexes; ``rows`` must be padded (see :func:`pad`)."""
    width = rows.shape[1]
    flat = rows.ravel()
    target = np.full(len(index), -1, dtype=np.int64)
    # Flat positions into ``rows``: one gather per step instead of a two-axis fancy index.
    at = np.asarray(index, dtype=np.int64) * width + np.asarray(start, dtype=np.int64)
    pending = np.arange(len(index))
    while pending.size:
        cand = flat[at[pending]].astype(np.int64)
        ok = continuing[cand]
        stop = ok | (cand < 0)
        done = pending[stop]
        target[done] = np.where(ok[stop], cand[stop], -1)
        pending = pending[~stop]
        at[pending] += 1
    return target, at - np.asarray(index, dtype=np.int64) * width


def walk_block(
    rows: npt.NDArray[np.int16], start: IntArray, continuing: npt.NDArray[np.bool_]
) -> tuple[IntArray, IntArray]:
    """:func:`next_continuing` for every row of a block (rows carried along, not indexed)."""
    return next_continuing(rows, np.arange(rows.shape[0], dtype=np.int64), start, continuing)


def split_by(
    key: IntArray, n_keys: int, *arrays: npt.NDArray[np.generic]
) -> list[tuple[npt.NDArray[np.generic], ...] | None]:
    """The rows of ``arrays`` grouped by ``key`` (0 to ``n_keys - 1``), order kept within a key.

    A stable argsort of small integers is a radix sort: linear in the rows."""
    small = key.astype(np.int16)
    order = np.argsort(small, kind="stable")
    bounds = np.searchsorted(small[order], np.arange(n_keys + 1))
    out: list[tuple[npt.NDArray[np.generic], ...] | None] = []
    for i in range(n_keys):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        if hi > lo:
            pick = order[lo:hi]
            out.append(tuple(a[pick] for a in arrays))
        else:
            out.append(None)
    return out


def standing(meta: Profile, seats: int) -> list[str]:
    """The candidates not withdrawn, in ballot-paper order (the rows' indices), after the seats
    check every exact method makes first."""
    if seats < 1:
        raise ValueError("seats must be at least 1")
    withdrawn = set(meta.withdrawn)
    return [c for c in meta.candidates if c not in withdrawn]
