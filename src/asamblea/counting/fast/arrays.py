"""Ballots as NumPy arrays: the input of every fast kernel.

An :class:`ArrayProfile` holds one row per ballot (or per group of identical ballots) in one of two
layouts, and ``counts[i]``, the number of ballots of row ``i`` (whole numbers only: the fast path
refuses fractional weights).

- The *simple* layout (2-D, ``rankings[i, r]``): one column per rank, the index in ``candidates``
  (ballot-paper order) of the candidate marked at rank ``r + 1``; ``-1`` fills the ranks after the
  last mark. A simple ballot has one candidate per rank, no skipped rank, no overvote, no
  candidate ranked twice: every rule the exact path applies to other marks (RCTab's overvote and
  skip rules, the STV "next available preference") is then moot, and a simple ballot means the
  same under every method. Every fast method takes it.
- The *mark* layout (3-D, ``rankings[i, r, m]``): the ``m``-th name marked at rank ``r + 1``
  (several names: an overvote), ``-1`` for no more marks; a rank of ``-1`` only is a skipped rank.
  Indices past the candidates name ``labels``: marks that are not a paper candidate, such as the
  undeclared write-in (``Undeclared Write-ins``) or the overvote label (``#overvote``). Any ranked
  ballot the exact path's readers accept has this form; RCTab counts (``fast.irv``) take it and
  apply RCTab's overvote, skip and duplicate rules per group of identical ballots. The other
  methods refuse it.

:func:`to_array` gives the simple layout when every ballot is simple, else the mark layout, and
``None`` for a fractional or negative weight (the caller counts it on the exact path).

Grouping (:func:`group`) packs each row into one ``int64`` key (one bit field per rank) when it
fits, sorts the keys with ``np.unique`` and keeps, for each distinct row, its total count and
the position of its first occurrence: the exact path groups in first-seen order, and where that
order shows in an explanation (the order of ``moved`` in a Scottish transfer), the fast path
restores it. :func:`group_marks` groups the mark layout the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from asamblea.counting.ballots import Profile, Rank
from asamblea.counting.fast.support import MAX_TOTAL

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
    # Names that marks of the mark layout index after the candidates (write-in, overvote labels).
    labels: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.rankings.ndim not in (2, 3):
            raise ValueError(
                "rankings must be a 2-D array (ballots x ranks) or 3-D (ballots x ranks x marks)"
            )
        if self.labels and self.rankings.ndim != 3:
            raise ValueError("labels are marks of the 3-D mark layout only")
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
    """The array form of ``profile``: the simple layout when every ballot is simple, else the
    mark layout; ``None`` when a weight is fractional, negative or over ``MAX_TOTAL``.

    Withdrawn candidates stay in ``candidates`` and on the rows; each kernel strikes them as its
    exact counterpart does."""
    index = {c: i for i, c in enumerate(profile.candidates)}
    counts = np.empty(len(profile.ballots), dtype=np.int64)
    simple = True
    for i, b in enumerate(profile.ballots):
        if not isinstance(b.count, int) or not 0 <= b.count <= MAX_TOTAL:
            return None
        counts[i] = b.count
        if simple:
            names = [rank[0] for rank in b.ranking if len(rank) == 1 and rank[0] in index]
            simple = len(names) == len(b.ranking) and len(set(names)) == len(names)
    width = max((len(b.ranking) for b in profile.ballots), default=0)
    common = {
        "candidates": list(profile.candidates),
        "counts": counts,
        "withdrawn": list(profile.withdrawn),
        "title": profile.title,
    }
    if simple:
        rows = np.full((len(profile.ballots), max(width, 1)), -1, dtype=np.int16)
        for i, b in enumerate(profile.ballots):
            for r, rank in enumerate(b.ranking):
                rows[i, r] = index[rank[0]]
        return ArrayProfile(rankings=rows, **common)  # type: ignore[arg-type]
    cells, labels = _marks([b.ranking for b in profile.ballots], index)
    return ArrayProfile(rankings=cells, labels=labels, **common)  # type: ignore[arg-type]


def _marks(
    rankings: list[tuple[Rank, ...]], index: dict[str, int]
) -> tuple[npt.NDArray[np.int16], list[str]]:
    """The mark layout of ``rankings`` and its labels (names not in ``index``, first seen)."""
    width = max((len(r) for r in rankings), default=0)
    depth = max((len(rank) for r in rankings for rank in r), default=0)
    cells = np.full((len(rankings), max(width, 1), max(depth, 1)), -1, dtype=np.int16)
    codes = dict(index)
    labels: list[str] = []
    for i, ranking in enumerate(rankings):
        for r, rank in enumerate(ranking):
            for m, name in enumerate(rank):
                code = codes.get(name)
                if code is None:
                    code = codes[name] = len(index) + len(labels)
                    labels.append(name)
                cells[i, r, m] = code
    return cells, labels


def as_marks(rows: npt.NDArray[np.integer]) -> npt.NDArray[np.int16]:
    """A 2-D array of rankings in the mark layout (one mark per rank; ``-1`` a skipped rank)."""
    return np.asarray(rows, dtype=np.int16)[:, :, None]


def group_marks(
    cells: npt.NDArray[np.integer], counts: IntArray | None, n_names: int
) -> tuple[npt.NDArray[np.int16], IntArray]:
    """:func:`group` for the mark layout (``n_names``: candidates and labels)."""
    cells = np.asarray(cells)
    k, width, depth = cells.shape
    rows, summed = group(cells.reshape(k, width * depth), counts, n_names)
    return rows.reshape(len(rows), width, depth), summed


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
    high = weights >> 26
    if int(high.max()) * weights.size >= 2**53:
        # Partial sums of the high parts could pass 2^53: add in int64 (exact, slower).
        out = np.zeros(length, dtype=np.int64)
        np.add.at(out, index, weights)
        return out
    low = weights & (2**26 - 1)
    lo = np.bincount(index, low, minlength=length).astype(np.int64)
    hi = np.bincount(index, high, minlength=length).astype(np.int64)
    return hi * 2**26 + lo
