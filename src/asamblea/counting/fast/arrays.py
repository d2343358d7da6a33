"""Ballots as NumPy arrays: the input of every fast kernel.

An :class:`ArrayProfile` holds one row per ballot (or per group of identical ballots) and one
column per rank: ``rankings[i, r]`` is the index, in ``candidates`` (ballot-paper order), of the
candidate marked at rank ``r + 1``; ``-1`` fills the ranks after the last mark. ``counts[i]`` is the
number of ballots of row ``i`` (whole numbers only: the fast path refuses fractional weights).

Only *simple* ballots have an array form: one candidate per rank, no skipped rank, no overvote, no
candidate ranked twice. Every rule the exact path applies to other marks (RCTab's overvote and
skip rules, the STV "next available preference") is then moot, and a simple ballot means the same
under every method. :func:`to_array` returns ``None`` for a profile with any other ballot, and the
caller counts it on the exact path.

Grouping (:func:`group`) packs each row into one ``int64`` key (one bit field per rank) when it
fits, sorts the keys with ``np.unique`` and keeps, for each distinct row, its total count and
the position of its first occurrence: the exact path groups in first-seen order, and where that
order shows in an explanation (the order of ``moved`` in a Scottish transfer), the fast path
restores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from asamblea.counting.ballots import Profile

IntArray = npt.NDArray[np.int64]

# Largest total of ballots for which float64 sums (np.bincount) of whole counts stay exact.
EXACT_FLOAT_LIMIT = 2**53


@dataclass(slots=True)
class ArrayProfile:
    candidates: list[str]
    rankings: npt.NDArray[np.integer]
    counts: IntArray | None = None  # None: one ballot per row
    withdrawn: list[str] = field(default_factory=list)
    title: str = ""
    seats: int | None = None  # from a BLT file's header
    lines: int | None = None  # ballot lines read from a file (stream.read_array)

    def __post_init__(self) -> None:
        if self.rankings.ndim != 2:
            raise ValueError("rankings must be a 2-D array (ballots x ranks)")
        if self.counts is not None and len(self.counts) != len(self.rankings):
            raise ValueError("counts must have one entry per row of rankings")

    @property
    def total(self) -> int:
        if self.counts is None:
            return int(len(self.rankings))
        return int(self.counts.sum())


@dataclass(slots=True)
class Grouped:
    """Distinct rows (in first-seen order), their counts, and the candidates they index."""

    candidates: list[str]
    rows: npt.NDArray[np.int16]  # K x R, -1 padded
    counts: IntArray  # K, each > 0


def is_simple(rankings: npt.NDArray[np.integer], n_candidates: int) -> bool:
    """One candidate per rank, marks contiguous from rank 1, no candidate twice, indices valid."""
    if rankings.size == 0:
        return True
    if rankings.min() < -1 or rankings.max() >= n_candidates:
        return False
    marked = rankings >= 0
    # No mark after the padding starts.
    if rankings.shape[1] > 1 and np.any(~marked[:, :-1] & marked[:, 1:]):
        return False
    if n_candidates <= 63:
        # A candidate twice on a row sets one bit for two marks.
        word = np.uint16 if n_candidates <= 16 else np.uint32 if n_candidates <= 32 else np.uint64
        bits = np.left_shift(word(1), np.maximum(rankings, 0).astype(word))
        bits[~marked] = 0
        seen = np.bitwise_or.reduce(bits, axis=1)
        return bool(np.all(np.bitwise_count(seen) == marked.sum(axis=1)))
    ordered = np.sort(rankings, axis=1)
    dup = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
    return not bool(dup.any())


def to_array(profile: Profile) -> ArrayProfile | None:
    """The array form of ``profile``, or ``None`` when a ballot is not simple or not whole.

    Withdrawn candidates stay in ``candidates`` and on the rows; each kernel strikes them as its
    exact counterpart does."""
    index = {c: i for i, c in enumerate(profile.candidates)}
    width = max((len(b.ranking) for b in profile.ballots), default=0)
    rows = np.full((len(profile.ballots), max(width, 1)), -1, dtype=np.int16)
    counts = np.empty(len(profile.ballots), dtype=np.int64)
    for i, b in enumerate(profile.ballots):
        if not isinstance(b.count, int) or b.count < 0:
            return None
        counts[i] = b.count
        seen: set[int] = set()
        for r, rank in enumerate(b.ranking):
            if len(rank) != 1 or rank[0] not in index:
                return None
            c = index[rank[0]]
            if c in seen:
                return None
            seen.add(c)
            rows[i, r] = c
    return ArrayProfile(
        candidates=list(profile.candidates),
        rankings=rows,
        counts=counts,
        withdrawn=list(profile.withdrawn),
        title=profile.title,
    )


def strike(rows: npt.NDArray[np.integer], struck: list[int]) -> npt.NDArray[np.int16]:
    """Remove the struck candidates' marks and close the gaps (later marks move up a rank)."""
    out = np.asarray(rows, dtype=np.int16)
    if not struck:
        return out
    out = out.copy()
    out[np.isin(out, struck)] = -1
    # Stable sort of "is padding" moves every mark ahead of the padding, keeping rank order.
    order = np.argsort(out < 0, axis=1, kind="stable")
    return np.take_along_axis(out, order, axis=1)


def group(
    rows: npt.NDArray[np.integer],
    counts: IntArray | None,
    n_candidates: int,
    *,
    first_seen: bool = False,
) -> tuple[npt.NDArray[np.int16], IntArray]:
    """Distinct rows with their summed counts (rows of count 0 dropped).

    Rows come in key order, or in first-seen order with ``first_seen`` (a stable sort, slower)."""
    rows = np.asarray(rows)
    n, width = rows.shape
    if n == 0:
        return rows.astype(np.int16), np.zeros(0, dtype=np.int64)
    bits = max(1, int(n_candidates).bit_length())  # digit: candidate index + 1, 0 for padding
    mask = (1 << bits) - 1
    weights = None if counts is None else np.asarray(counts, dtype=np.int64)
    nibbles = n_candidates < 16 and width <= 16
    keys: npt.NDArray[Any]
    if nibbles:
        # Two ranks per byte (4-bit digits), up to 8 bytes viewed as one int64 key: byte-wide
        # operations on the whole array, no per-column int64 arithmetic.
        buf = np.zeros((n, 8), dtype=np.uint8)
        half = (width + 1) // 2
        # Packed in slices of rows, so the byte-wide temporaries stay small.
        for lo in range(0, n, 1 << 18):
            part = rows[lo : lo + (1 << 18)]
            digits = np.zeros((len(part), 2 * half), dtype=np.uint8)
            np.add(part, 1, out=digits[:, :width], casting="unsafe")
            # Rank 1 in the most significant used byte (little-endian int64): keys, and so the
            # grouped rows, sort by first preference.
            buf[lo : lo + len(part), half - 1 :: -1] = (digits[:, 0::2] << 4) | digits[:, 1::2]
        keys = buf.view(np.int64).ravel()
    elif width * bits <= 63:
        # One int64 key per row, digits packed in bit fields (np.unique on int64 is a fast sort).
        keys = np.zeros(n, dtype=np.int64)
        for r in range(width):
            digit = rows[:, r].astype(np.int64)
            digit += 1
            digit <<= bits * (width - 1 - r)
            keys |= digit
    else:
        contiguous = np.ascontiguousarray(rows.astype(np.int16))
        keys = contiguous.view(np.dtype((np.void, 2 * width))).ravel()
    if not first_seen and weights is None and keys.dtype == np.int64:
        uniq, summed = np.unique(keys, return_counts=True)
        out = np.empty((len(uniq), width), dtype=np.int16)
        if nibbles:
            packed = uniq.view(np.uint8).reshape(-1, 8)
            for r in range(width):
                byte = packed[:, half - 1 - r // 2]
                out[:, r] = (byte >> 4) if r % 2 == 0 else (byte & 15)
        else:
            for r in range(width):
                out[:, r] = ((uniq >> (bits * (width - 1 - r))) & mask).astype(np.int16)
        out -= 1
        return out, summed.astype(np.int64)
    index_bits = int(n).bit_length()
    if (
        keys.dtype == np.int64
        and int(keys.min()) >= 0
        and int(keys.max()).bit_length() + index_bits <= 63
    ):
        # Key and position in one int64: a plain (unstable, vectorised) sort then orders every
        # row's copies by position, so the first of each run is its first occurrence.
        # In place where possible: this runs on the largest arrays (memory, not only time).
        # ``keys`` is this function's own array: shifted and filled in place, positions added in
        # slices (no full-length temporary).
        combined: IntArray = keys  # type: ignore[assignment]
        combined <<= index_bits
        for lo in range(0, n, 1 << 18):
            combined[lo : lo + (1 << 18)] |= np.arange(lo, min(n, lo + (1 << 18)), dtype=np.int64)
        combined.sort()
        change = np.empty(n, dtype=np.bool_)
        change[0] = True
        np.not_equal(combined[1:] >> index_bits, combined[:-1] >> index_bits, out=change[1:])
        starts = np.flatnonzero(change)
        del change
        first = combined[starts] & ((1 << index_bits) - 1)
        if weights is None:
            summed = np.diff(np.r_[starts, n])
        else:
            summed = np.add.reduceat(weights[combined & ((1 << index_bits) - 1)], starts)
    elif weights is None:
        _, first, summed = np.unique(keys, return_index=True, return_counts=True)
    else:
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        summed = bincount_int(inverse.ravel(), weights, len(first))
    if first_seen:
        # First positions are distinct row numbers: placing them is a linear sort.
        slot: npt.NDArray[np.signedinteger[Any]] = np.full(
            n, -1, dtype=np.int32 if n < 2**31 else np.int64
        )
        slot[first] = np.arange(len(first))
        order = slot[slot >= 0]
    else:
        order = np.arange(len(first))
    out_rows = rows[first[order]].astype(np.int16)
    out_counts = summed[order].astype(np.int64)
    keep = out_counts > 0
    return out_rows[keep], out_counts[keep]


def bincount_int(index: npt.NDArray[np.integer], weights: IntArray, length: int) -> IntArray:
    """``np.bincount`` with whole-number weights, summed exactly in int64.

    NumPy sums weights in float64; splitting each weight into a high and a low 26-bit part keeps
    every partial sum below 2^53, so the float sums are exact and recombine into exact integers."""
    weights = np.asarray(weights, dtype=np.int64)
    if weights.size == 0:
        return np.zeros(length, dtype=np.int64)
    if int(weights.max()) < 2**26 and weights.size < 2**27:
        return np.bincount(index, weights, minlength=length).astype(np.int64)
    low = weights & (2**26 - 1)
    high = weights >> 26
    lo = np.bincount(index, low, minlength=length).astype(np.int64)
    hi = np.bincount(index, high, minlength=length).astype(np.int64)
    return hi * 2**26 + lo
