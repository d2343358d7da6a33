"""Instant runoff on grouped ballot arrays, inside RCTab's own round loop.

:class:`FastTabulation` is the exact path's :class:`asamblea.counting.irv._Tabulation` with one
method replaced: :meth:`compute_tally`, the only part that visits every ballot. Thresholds, the
choice of winners and of candidates to eliminate, batch elimination, tie-breaks, stopping rules and
the explanation are the exact path's own code, so the two paths cannot drift apart on them.

The replacement walks the grouped array: each candidate holds blocks of groups (rows, counts, and
the rank at which the candidate stands on each row); when a candidate leaves the count, only its
blocks are walked on to the next continuing candidate (or exhausted) and split among the new
holders, so a round costs what moves, not the whole array. With simple ballots (see ``arrays``) RCTab's
overvote, skipped-rank and duplicate rules never apply, and each group's value stays 1, so the
tally is a bincount of current candidates weighted by group counts: whole numbers, exact.

Supported: single-seat modes (``irv``), any tie-break, threshold, batch elimination, continue until
two, minimum threshold, stop-early and excluded candidates. Multi-seat RCTab modes (fractional
surplus) run on the exact path.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from asamblea.counting import irv
from asamblea.counting.ballots import Profile
from asamblea.counting.fast.arrays import IntArray, bincount_int
from asamblea.counting.fast.kernels import pad, split_by, walk_block
from asamblea.counting.result import CountResult, Number
from asamblea.counting.tiebreak import LOT

_UNDERVOTE, _EXHAUSTED = 1, 2


def supports(options: irv.IrvOptions) -> bool:
    return options.mode == irv.IRV and options.seats == 1


class FastTabulation(irv._Tabulation):
    def __init__(
        self,
        meta: Profile,
        options: irv.IrvOptions,
        excluded: set[str],
        rows: npt.NDArray[np.int16],
        counts: IntArray,
    ) -> None:
        # The exact path's constructor runs on a profile without ballots: it sets up names,
        # tie-breaker and bookkeeping; the ballots live in the arrays below.
        super().__init__(meta, options, excluded)
        if options.max_rankings is not None:
            rows = rows[:, : options.max_rankings]
        self._rows = pad(rows)
        self._counts = counts
        # Groups held by each candidate; None until the first round.
        self._held: dict[int, list[tuple[npt.NDArray[np.int16], IntArray, IntArray]]] | None = None
        # Running sums, updated by the groups that move (a round touches only those).
        self._per_candidate = np.zeros(len(meta.candidates), dtype=np.int64)
        self._per_status = np.zeros(3, dtype=np.int64)  # by _UNDERVOTE, _EXHAUSTED
        # Row indices refer to the paper's candidates; names may add the write-in label after.
        self._row_names = list(meta.candidates)

    def _first_round_by_slices(self, continuing: npt.NDArray[np.bool_]) -> bool:
        """Round 1 without a walk: when the rows are sorted by first preference (``group``
        sorts them so) and every first preference is continuing, each candidate's first
        holding is a slice of the rows (views, no copy). False: take the general walk."""
        first = self._rows[:, 0]
        if len(first) > 1 and not bool(np.all(first[1:] >= first[:-1])):
            return False
        c = len(self._row_names)
        bounds = np.searchsorted(first, np.arange(-1, c + 1))
        present = [i for i in range(c) if bounds[i + 2] > bounds[i + 1]]
        if not all(continuing[i] for i in present):
            return False
        self._per_status[_UNDERVOTE] += int(self._counts[: bounds[1]].sum())
        self._held = {}
        for i in present:
            lo, hi = int(bounds[i + 1]), int(bounds[i + 2])
            weights = self._counts[lo:hi]
            self._per_candidate[i] += int(weights.sum())
            self._held[i] = [(self._rows[lo:hi], weights, np.zeros(hi - lo, dtype=np.int64))]
        return True

    def compute_tally(self, final_round: bool) -> tuple[dict[str, Number], dict[str, Number]]:
        if final_round:
            raise irv.CountError("the fast path counts single-seat contests only")
        names = self._row_names
        c = len(names)
        continuing = np.array([self.continuing(n) for n in names] + [False])
        tally: dict[str, Number] = {n: 0 for n in self.names if self.continuing(n)}
        inactive: dict[str, Number] = {
            irv.UNDERVOTE: 0,
            irv.EXHAUSTED: 0,
            irv.OVERVOTE: 0,
            irv.SKIPPED: 0,
        }
        inactive[irv.REPEATED] = 0

        # The groups to walk, gathered into one block: (holder or -1, rows, counts, rank of the
        # holder on each row).
        if self._held is None and self._first_round_by_slices(continuing):
            rows = self._rows[:0]
            weights = self._counts[:0]
            start = holder = np.zeros(0, np.int64)
        elif self._held is None:
            # First round: empty ballots are undervotes; every other group looks from rank 1.
            empty = self._rows[:, 0] < 0
            self._per_status[_UNDERVOTE] += int(self._counts[empty].sum())
            keep = ~empty
            rows = self._rows[keep]
            weights = self._counts[keep]
            start = np.zeros(len(rows), dtype=np.int64)
            holder = np.full(len(rows), -1, dtype=np.int64)
            self._held = {}
        else:
            # Later rounds: only the groups held by candidates who left the count move.
            leaving = [i for i in self._held if not continuing[i]]
            parts = [(i, part) for i in leaving for part in self._held.pop(i)]
            rows = np.concatenate([p[0] for _, p in parts]) if parts else self._rows[:0]
            weights = np.concatenate([p[1] for _, p in parts]) if parts else self._counts[:0]
            start = np.concatenate([p[2] for _, p in parts]) if parts else np.zeros(0, np.int64)
            holder = (
                np.concatenate([np.full(len(p[1]), i, dtype=np.int64) for i, p in parts])
                if parts
                else np.zeros(0, np.int64)
            )
        if len(rows):
            target, rank = walk_block(rows, start, continuing)
            gone = target < 0
            was_held = holder >= 0
            if was_held.any():
                self._per_candidate -= bincount_int(holder[was_held], weights[was_held], c)
                # Transfers (holder, to): "exhausted" as slot c.
                pair = holder[was_held] * (c + 1) + np.where(gone, c, target)[was_held]
                sums = bincount_int(pair, weights[was_held], c * (c + 1))
                for p in np.flatnonzero(sums):
                    src, dst = divmod(int(p), c + 1)
                    self._move(names[src], "exhausted" if dst == c else names[dst], int(sums[p]))
            live = ~gone
            self._per_candidate += bincount_int(target[live], weights[live], c)
            self._per_status[_EXHAUSTED] += int(weights[gone].sum())
            split = split_by(target[live], c, rows[live], weights[live], rank[live])
            held = self._held
            assert held is not None
            for i, part in enumerate(split):
                if part is not None:
                    held.setdefault(i, []).append(part)  # type: ignore[arg-type]

        for i, n in enumerate(names):
            if n in tally:
                tally[n] = int(self._per_candidate[i])
        inactive[irv.UNDERVOTE] = int(self._per_status[_UNDERVOTE])
        inactive[irv.EXHAUSTED] = int(self._per_status[_EXHAUSTED])
        return tally, inactive


def tabulate(
    meta: Profile, rows: npt.NDArray[np.int16], counts: IntArray, options: irv.IrvOptions
) -> CountResult:
    """``irv.tabulate`` for a single-seat contest, on grouped arrays."""
    if not supports(options):
        raise irv.CountError("the fast path counts single-seat instant runoff only")
    excluded = set(options.excluded) | set(meta.withdrawn)
    tab = FastTabulation(meta, options, excluded, rows, counts)
    tab.run()
    return irv._result(tab, options, meta)


def count(
    meta: Profile, rows: npt.NDArray[np.int16], counts: IntArray, *, seed: int | str | None
) -> CountResult:
    """``irv.count`` (our own elections, one seat) on grouped arrays: whole votes, seeded lot."""
    options = irv.IrvOptions(
        seats=1, mode=irv.IRV, places=0, tiebreak_mode=LOT, seed=0 if seed is None else seed
    )
    result = tabulate(meta, rows, counts, options)
    result.method = "irv"
    return result
