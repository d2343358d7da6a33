"""Synthetic ranked profiles as arrays, for the benchmark and the tests.

A profile array has one row per ballot and one column per rank: ``array[i, r]`` is the index (in
paper order) of the candidate ballot ``i`` marks at rank ``r + 1``, and ``-1`` fills the ranks after
the last mark (a truncated ranking). Generation is seeded, so a benchmark child process and its
parent, or a test and its rerun, see the same ballots.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int8Array = npt.NDArray[np.int8]


def _truncate(rankings: npt.NDArray[np.int64], rng: np.random.Generator, min_len: int) -> Int8Array:
    """Cut each ranking at a length drawn uniformly from ``min_len`` to the number of candidates."""
    n, c = rankings.shape
    lengths = rng.integers(min_len, c + 1, size=n)
    out = rankings.astype(np.int8)
    out[np.arange(c)[None, :] >= lengths[:, None]] = -1
    return out


def impartial(n: int, c: int, seed: int, *, min_len: int = 1) -> Int8Array:
    """Impartial culture: every full ranking equally likely, then truncated."""
    rng = np.random.default_rng(seed)
    # argsort of uniform keys is a uniformly random permutation per row.
    rankings = np.argsort(rng.random((n, c)), axis=1)
    return _truncate(rankings, rng, min_len)


def mallows(n: int, c: int, seed: int, *, phi: float = 0.8, min_len: int = 1) -> Int8Array:
    """Mallows model around a random reference order (dispersion ``phi``), then truncated.

    Drawn by repeated insertion: the reference's i-th candidate is inserted at position j of the
    partial ranking with probability proportional to ``phi ** (i - j)``.
    """
    rng = np.random.default_rng(seed)
    reference = rng.permutation(c)
    out = np.zeros((n, c), dtype=np.int64)
    rows = np.arange(n)
    for i in range(c):
        weights = phi ** (i - np.arange(i + 1, dtype=np.float64))
        pos = rng.choice(i + 1, size=n, p=weights / weights.sum())
        # Shift the tail right by one where it lies at or after the insertion point.
        for j in range(i, 0, -1):
            move = pos < j
            out[move, j] = out[move, j - 1]
        out[rows, pos] = reference[i]
    return _truncate(out, rng, min_len)


def generate(kind: str, n: int, c: int, seed: int, *, min_len: int = 1) -> Int8Array:
    if kind == "impartial":
        return impartial(n, c, seed, min_len=min_len)
    if kind == "mallows":
        return mallows(n, c, seed, min_len=min_len)
    raise ValueError(f"unknown profile kind {kind!r} (impartial, mallows)")
