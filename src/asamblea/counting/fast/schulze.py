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
from asamblea.counting.result import CountResult, Round
from asamblea.counting.stv_common import Lot


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
    if seats < 1:
        raise ValueError("seats must be at least 1")
    withdrawn = set(meta.withdrawn)
    cands = [c for c in meta.candidates if c not in withdrawn]
    matrix = pairwise(rows, counts, len(cands))
    d = {a: {b: matrix[i][j] for j, b in enumerate(cands)} for i, a in enumerate(cands)}
    p = schulze.strongest_paths(cands, d)  # type: ignore[arg-type]
    lot = Lot(meta.candidates, seed)
    beats = {a: [b for b in cands if b != a and p[a][b] > p[b][a]] for a in cands}

    rnd = Round(round=1, tally={a: len(beats[a]) for a in cands}, action="strongest paths")
    order: list[str] = []
    rest = list(cands)
    while rest:
        top = [a for a in rest if not any(a in beats[b] for b in rest if b != a)]
        if len(top) > 1:
            chosen, draw = lot.choose(top, f"place {len(order) + 1}")
            rnd.draws.append(draw)
        else:
            chosen = top[0]
        order.append(chosen)
        rest.remove(chosen)
    winners = order[:seats]
    rnd.elected = list(winners)
    rnd.extra = {
        "ranking": order,
        "pairwise": {a: {b: schulze._text(d[a][b]) for b in cands if b != a} for a in cands},
        "strongest_paths": {a: {b: schulze._text(p[a][b]) for b in cands if b != a} for a in cands},
    }
    return CountResult(
        method="schulze",
        seats=seats,
        winners=winners,
        rounds=[rnd],
        places=0,
        seed=seed,
        rules={"rules": schulze.RULES},
        candidates=list(cands),
    )
