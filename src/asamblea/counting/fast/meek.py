"""Meek STV (the Proportional Representation Foundation's reference rule) on grouped arrays.

The rule states its precision: 9 decimal places, keep values and keep factors rounded up, the
quota truncated. Everything is an integer scaled by 10^9, exactly as in ``stv_meek``; the round
loop below is that module's step for step, and only B.2.a (distributing every ballot's weight down
its ranking) is vectorised: one pass per rank over the rows whose weight is not yet spent.

Bounds: a weight and a keep factor are at most 10^9, so their product fits in int64; votes are
summed exactly (``bincount_int``). Only whole ballot counts reach this path.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt

from asamblea.counting import stv_meek
from asamblea.counting.ballots import Profile
from asamblea.counting.fast.arrays import IntArray, bincount_int, group
from asamblea.counting.fast.kernels import standing
from asamblea.counting.result import CountResult
from asamblea.counting.stv_common import Lot

PLACES = stv_meek.PLACES
SCALE = stv_meek.SCALE
OMEGA = stv_meek.OMEGA


_CODES = {"hopeful": 0, "elected": 1, "defeated": 2}


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _v(x: int) -> Fraction:
    return Fraction(x, SCALE)


class _Distributor:
    """B.2.a on the rows, through a per-round reduction of the rows.

    Between two changes of state (a candidate elected or defeated) only the elected candidates'
    keep factors change. A defeated candidate (kf = 0) takes nothing and passes the weight on; a
    hopeful one (kf = 1) keeps all of it. So a row's distribution depends only on its *path*: the
    ranking with defeated candidates struck, cut after its first hopeful candidate. Rows are
    regrouped by path whenever the states change; the iterations then run on the few distinct
    paths, with exactly the integer operations of the reference rule (striking a kf = 0 candidate
    and stopping at a kf = 1 candidate change no vote)."""

    def __init__(self, rows: npt.NDArray[np.int16], counts: IntArray, n_cand: int) -> None:
        self.rows = rows
        self.counts = counts
        self.n_cand = n_cand
        self._key: tuple[int, ...] | None = None
        self.columns = [np.ascontiguousarray(rows[:, r]) for r in range(rows.shape[1])]
        self._paths: npt.NDArray[np.int16] = rows
        self._weights: IntArray = counts

    def _regroup(self, codes: tuple[int, ...]) -> None:
        # codes: 0 hopeful, 1 elected, 2 defeated (and one more entry, 2, for the padding).
        code = np.array(codes + (2,), dtype=np.int8)
        base = self.n_cand + 1
        longest = codes.count(1) + 1  # elected candidates, then one hopeful
        if base**longest < 1 << 22:
            self._paths, self._weights = self._paths_by_key(code, base, longest)
        else:
            self._paths, self._weights = self._paths_by_rows(code)
        self._key = codes

    def _paths_by_key(
        self, code: npt.NDArray[np.int8], base: int, longest: int
    ) -> tuple[npt.NDArray[np.int16], IntArray]:
        """Each row's path as one small integer (digits: candidate + 1), counted by bincount."""
        key = np.zeros(len(self.rows), dtype=np.int64)
        # Rows still being read: not past a hopeful candidate, not past the last mark.
        active = np.arange(len(self.rows))
        for column in self.columns:
            if not active.size:
                break
            cand = column[active].astype(np.int64)
            marks = code[cand]
            take = marks != 2
            at = active[take]
            key[at] = key[at] * base + cand[take] + 1
            active = active[(marks != 0) & (cand >= 0)]
        totals = bincount_int(key, self.counts, base**longest)
        found = np.flatnonzero(totals)
        paths = np.full((len(found), longest), -1, dtype=np.int16)
        rest = found.copy()
        length = np.zeros(len(found), dtype=np.int64)
        probe = rest.copy()
        while probe.any():
            length += probe > 0
            probe //= base
        # Digits come out last first: fill each path from its end.
        for j in range(longest - 1, -1, -1):
            here = length > j
            paths[here, j] = (rest[here] % base - 1).astype(np.int16)
            rest[here] //= base
        return paths, totals[found]

    def _paths_by_rows(self, code: npt.NDArray[np.int8]) -> tuple[npt.NDArray[np.int16], IntArray]:
        """The same paths as rows with holes (-1 where a mark is struck), grouped."""
        paths = np.full(self.rows.shape, -1, dtype=np.int16)
        ended = np.zeros(len(self.rows), dtype=np.bool_)
        for r in range(self.rows.shape[1]):
            column = self.rows[:, r]
            marks = code[column]
            take = (marks != 2) & ~ended
            paths[take, r] = column[take]
            ended |= marks == 0
        used = np.flatnonzero((paths >= 0).any(axis=0))
        width = int(used[-1]) + 1 if used.size else 1
        return group(paths[:, :width], self.counts, self.n_cand)

    def __call__(self, kf: list[int], codes: tuple[int, ...]) -> IntArray:
        if codes != self._key:
            self._regroup(codes)
        paths, counts = self._paths, self._weights
        n = self.n_cand
        keep_factor = np.array(kf + [0], dtype=np.int64)
        vote = np.zeros(n + 1, dtype=np.int64)  # last slot: holes, always 0
        weight = np.full(len(counts), SCALE, dtype=np.int64)
        live = np.arange(len(counts))  # paths whose weight is not spent
        for r in range(paths.shape[1]):
            if not live.size:
                break
            cand = paths[live, r].astype(np.int64)
            cand[cand < 0] = n
            w = weight[live]
            # keep = ceil(w x kf / 10^9); w x kf <= 10^18 fits in int64.
            keep = -((-w * keep_factor[cand]) // SCALE)
            vote += bincount_int(cand, keep * counts[live], n + 1)
            left = w - keep
            weight[live] = left
            live = live[left > 0]
        return vote[:n]


def count(
    meta: Profile,
    rows: npt.NDArray[np.int16],
    counts: IntArray,
    *,
    seats: int,
    seed: int | str | None,
) -> CountResult:
    """``stv_meek.count`` on usable rows (standing candidates' indices)."""
    candidates = standing(meta, seats)
    index = {c: i for i, c in enumerate(candidates)}
    lot = Lot(meta.candidates, seed)
    total_s = int(counts.sum()) * SCALE
    distributor = _Distributor(rows, counts, len(candidates))

    firsts = bincount_int(rows[:, 0].astype(np.int64), counts * SCALE, len(candidates))
    first: dict[str, int] = {c: int(firsts[i]) for c, i in index.items()}

    def distribute(vote: dict[str, int], kf: dict[str, int], state: dict[str, str]) -> None:
        codes = tuple(_CODES[state[c]] for c in candidates)
        result = distributor([kf[c] for c in candidates], codes)
        for c, i in index.items():
            vote[c] = int(result[i])

    return stv_meek.count_rounds(
        candidates, first, total_s, distribute, seats=seats, lot=lot, seed=seed
    )
