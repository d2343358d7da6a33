"""Schulze on grouped arrays: the pairwise counts d are computed from the rows in NumPy; the
strongest paths, the beat relation and the ranking order are the exact path's
(``asamblea.counting.schulze``) own code and steps.

With simple ballots (one candidate per rank) a ballot prefers a to b when it ranks a and ranks b
lower or not at all (unranked candidates are below every ranked one). So
d[a][b] = (ballots ranking a) - (ballots ranking b above a). The second term is counted rank by
rank, by the set of candidates ranked before (see ``_above_by_sets``). Whole numbers throughout.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from asamblea.counting import schulze
from asamblea.counting.ballots import Profile
from asamblea.counting.fast.arrays import IntArray, bincount_int
from asamblea.counting.fast.kernels import standing
from asamblea.counting.result import CountResult


def pairwise(rows: npt.NDArray[np.int16], counts: IntArray, n: int) -> list[list[int]]:
    """d[a][b] for candidates 0..n-1 (exact whole numbers)."""
    if n <= 16:
        above, ranked = _above_by_sets(rows, counts, n)
    else:
        above, ranked = _above_by_pairs(rows, counts, n)
    return [[0 if a == b else int(ranked[a] - above[b, a]) for b in range(n)] for a in range(n)]


def _by_length(rows: npt.NDArray[np.int16], counts: IntArray) -> tuple:  # type: ignore[type-arg]
    # int16 lengths: the stable sort is a radix sort. Rows stay int16 (columns widen one by one).
    lengths = (rows >= 0).sum(axis=1, dtype=np.int16)
    order = np.argsort(-lengths, kind="stable")
    reach = [int((lengths >= r + 1).sum()) for r in range(rows.shape[1])]
    return rows[order], counts[order], reach


def _above_by_sets(rows: npt.NDArray[np.int16], counts: IntArray, n: int) -> tuple:  # type: ignore[type-arg]
    """above[b][a] (b ranked above a) through the set of candidates ranked before each mark.

    For each rank s, the ballots are counted by (set of candidates at ranks before s, candidate
    at s): at most 2^n x n bins, one bincount per rank. Every candidate of the set is above the
    candidate at s; a small integer matrix product then spreads the counts over pairs."""
    rows, counts, reach = _by_length(rows, counts)
    sets = np.zeros(len(rows), dtype=np.int64)
    per_set = np.zeros((1 << n) * n, dtype=np.int64)
    for s in range(rows.shape[1]):
        m = reach[s]
        if not m:
            break
        lower = rows[:m, s].astype(np.int64)
        per_set += bincount_int(sets[:m] * n + lower, counts[:m], (1 << n) * n)
        sets[:m] |= np.left_shift(1, lower)
    table = per_set.reshape(1 << n, n)  # [set, a]
    members = (np.arange(1 << n)[:, None] >> np.arange(n)[None, :]) & 1  # [set, b]
    above = members.T.astype(np.int64) @ table  # [b, a]
    return above, table.sum(axis=0)


def _above_by_pairs(rows: npt.NDArray[np.int16], counts: IntArray, n: int) -> tuple:  # type: ignore[type-arg]
    """above[b][a] by one bincount per pair of ranks r < s (many candidates)."""
    rows, counts, reach = _by_length(rows, counts)
    ranked = np.zeros(n, dtype=np.int64)
    above = np.zeros(n * n, dtype=np.int64)
    for s in range(rows.shape[1]):
        m = reach[s]
        if not m:
            break
        lower = rows[:m, s].astype(np.int64)
        ranked += bincount_int(lower, counts[:m], n)
        for r in range(s):
            above += bincount_int(rows[:m, r].astype(np.int64) * n + lower, counts[:m], n * n)
    return above.reshape(n, n), ranked


def count(
    meta: Profile,
    rows: npt.NDArray[np.int16],
    counts: IntArray,
    *,
    seats: int,
    seed: int | str | None,
) -> CountResult:
    """``schulze.count`` on rows of standing candidates' indices."""
    cands = standing(meta, seats)
    matrix = pairwise(rows, counts, len(cands))
    d: dict[str, dict[str, schulze.Num]] = {
        a: {b: int(matrix[i][j]) for j, b in enumerate(cands)} for i, a in enumerate(cands)
    }
    return schulze.count_pairwise(meta.candidates, cands, d, seats=seats, seed=seed)
