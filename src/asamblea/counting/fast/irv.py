"""Instant runoff and the RCTab family on grouped ballot arrays, inside RCTab's own round loop.

Both tabulations here are the exact path's :class:`asamblea.counting.irv._Tabulation` with only
the steps that visit ballots replaced: :meth:`compute_tally` (every round) and, for multi-seat
modes, :meth:`transfer_surplus` and :meth:`kept_sums`. Thresholds, the choice of winners and of
candidates to eliminate, batch elimination, tie-breaks, stopping rules, sequential passes
(``irv.tabulate_with``) and the explanation are the exact path's own code, so the two paths
cannot drift apart on them.

- :class:`FastTabulation`: single-seat ``irv`` on the simple layout (see ``arrays``). Each
  candidate holds blocks of groups (rows, counts, and the rank at which the candidate stands on
  each row); when a candidate leaves the count, only its blocks are walked on to the next
  continuing candidate (or exhausted) and split among the new holders, so a round costs what
  moves, not the whole array. With simple ballots RCTab's overvote, skipped-rank and duplicate
  rules never apply, and each group's value stays 1, so the tally is a bincount of current
  candidates weighted by group counts: whole numbers, exact.
- :class:`MarkTabulation`: every RCTab mode (single-seat, multi-seat fractional STV, one winner
  per round, bottoms-up, bottoms-up with a percentage) on the mark layout, so overvotes, skipped
  ranks, repeated candidates and write-in labels count as the exact path counts them. What the exact path decides per ballot by looking at its marks
  alone (a skip longer than ``max_skipped_ranks``, a repeated candidate, an overvote under
  ``exhaustImmediately``, an overvote label) is found once per group before the count, as the
  first rank where it stops the ballot. Each round, the groups whose holder left the count are
  walked again from their first rank, all at once: a rank stops a group when it holds that
  static stop, when under ``exhaustIfMultipleContinuing`` two or more of its marks are
  continuing, or when one of its marks is continuing (the first one takes the ballot), unless
  the rank is an overvote under ``alwaysSkipToNextRank``. Ballot values are integers in units of
  10^-places, RCTab's ``decimalPlacesForVoteArithmetic``: a surplus keeps ``value - value * f //
  10^places`` with the winner, which is the exact path's ``trunc(value * f)`` on that grid. No
  floats.

Sequential IRV is the exact path's pass loop (``irv.tabulate_with``) with one of these per pass:
the block walk when the ballots are simple, else the mark walk.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from asamblea.counting import irv
from asamblea.counting.ballots import OVERVOTE_LABEL, Profile
from asamblea.counting.fast.arrays import IntArray, as_marks, bincount_int
from asamblea.counting.fast.kernels import pad, split_by, walk_block
from asamblea.counting.fast.support import MAX_PLACES, NotSupported
from asamblea.counting.result import CountResult, Number
from asamblea.counting.tiebreak import LOT

_UNDERVOTE, _EXHAUSTED = 1, 2


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
        tally, inactive = self.empty_tally(final_round)

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
        return dict[str, Number](tally), dict[str, Number](inactive)


# Group states: active (0) or the reason it became inactive; two more codes only mark where a
# group's walk stops with the exact path's CountError.
_ACTIVE, _ERROR_LABEL_WITH_NAMES, _ERROR_LABEL_RULE = 0, 7, 8
_REASONS = (
    None,
    irv.UNDERVOTE,
    irv.EXHAUSTED,
    irv.OVERVOTE,
    irv.SKIPPED,
    irv.REPEATED,
    irv.FINAL_SURPLUS,
)
_CODE = {reason: code for code, reason in enumerate(_REASONS) if reason is not None}


class MarkTabulation(irv._Tabulation):
    def __init__(
        self,
        meta: Profile,
        options: irv.IrvOptions,
        excluded: set[str],
        cells: npt.NDArray[np.int16],
        counts: IntArray,
        labels: list[str],
    ) -> None:
        super().__init__(meta, options, excluded)
        if options.places > MAX_PLACES:
            raise NotSupported(f"the fast path keeps at most {MAX_PLACES} decimal places")
        if int(counts.sum()) * 10**options.places >= 2**62:
            # Every sum of count x value is at most the total in units: it must fit in int64.
            raise NotSupported("too many ballots for int64 units of 10^-places")
        if options.max_rankings is not None:
            cells = cells[:, : options.max_rankings]
        self._scale = 10**options.places
        self._mark_names = list(meta.candidates) + list(labels)
        self._cells = cells
        self._counts = counts
        k = len(counts)
        self._holder = np.full(k, -1, dtype=np.int64)  # index in _mark_names, -1 none
        self._state = np.zeros(k, dtype=np.int8)
        self._value = np.full(k, self._scale, dtype=np.int64)
        self._kept: dict[str, int] = {}  # units each winner kept from its ballots
        n_marks = (cells >= 0).sum(axis=2)
        self._has_marks = (n_marks > 0).any(axis=1)
        self._static = self._static_stops(cells, n_marks)
        multi = n_marks >= 2
        rule = options.overvote_rule
        self._skip_rank = multi if rule == irv.ALWAYS_SKIP else np.zeros_like(multi)
        self._multi_rule = multi if rule == irv.EXHAUST_IF_MULTIPLE else np.zeros_like(multi)

    def _static_stops(
        self, cells: npt.NDArray[np.int16], n_marks: npt.NDArray[np.integer]
    ) -> npt.NDArray[np.int8]:
        """For each group and rank, the reason its marks alone stop the ballot there (0: none),
        in the exact path's order of checks: skipped ranks, duplicates, overvotes."""
        o = self.o
        k, width, depth = cells.shape
        code = np.zeros((k, width), dtype=np.int8)
        marked = n_marks > 0

        def mark(where: Any, reason: int) -> None:
            code[where & (code == 0)] = reason

        if o.max_skipped_ranks is not None and width:
            rank = np.arange(1, width + 1)
            last = np.maximum.accumulate(np.where(marked, rank, 0), axis=1)
            previous = np.zeros_like(last)
            previous[:, 1:] = last[:, :-1]
            mark(marked & (rank - previous > o.max_skipped_ranks + 1), _CODE[irv.SKIPPED])
        if o.exhaust_on_duplicate and k:
            mark(self._repeats(cells), _CODE[irv.REPEATED])
        rule = o.overvote_rule
        if OVERVOTE_LABEL in self._mark_names:
            label = (cells == self._mark_names.index(OVERVOTE_LABEL)).any(axis=2)
            mark(label & (n_marks != 1), _ERROR_LABEL_WITH_NAMES)
            if rule == irv.EXHAUST_IMMEDIATELY:
                mark(label, _CODE[irv.OVERVOTE])
            elif rule == irv.EXHAUST_IF_MULTIPLE:
                mark(label, _ERROR_LABEL_RULE)
            # alwaysSkipToNextRank: the label is never a continuing candidate, the walk goes on.
        if rule == irv.EXHAUST_IMMEDIATELY:
            mark(n_marks >= 2, _CODE[irv.OVERVOTE])
        return code

    def _repeats(self, cells: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
        """Ranks holding a name already marked earlier on the ballot (at an earlier rank, or
        before it at the same rank): the exact path's ``seen`` set, read in the same order."""
        k, width, depth = cells.shape
        flat = cells.reshape(k, width * depth)
        dup = np.zeros(flat.shape, dtype=np.bool_)
        if len(self._mark_names) <= 63:
            # One bit per name: a column at a time, the names seen so far as one word per row.
            seen = np.zeros(k, dtype=np.uint64)
            for j in range(flat.shape[1]):
                column = flat[:, j]
                marked = column >= 0
                bit = np.left_shift(np.uint64(1), np.maximum(column, 0).astype(np.uint64))
                bit[~marked] = 0
                dup[:, j] = (seen & bit) != 0
                seen |= bit
        else:
            # After a stable sort of each row's marks, equal neighbours: the later one repeats.
            order = np.argsort(flat, axis=1, kind="stable")
            ordered = np.take_along_axis(flat, order, axis=1)
            repeat = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
            rows = np.broadcast_to(np.arange(k)[:, None], repeat.shape)
            dup[rows[repeat], order[:, 1:][repeat]] = True
        return np.any(dup.reshape(k, width, depth), axis=2)

    def _number(self, units: int) -> irv.Number:
        return irv._norm(Fraction(int(units), self._scale))

    def compute_tally(self, final_round: bool) -> tuple[dict[str, Number], dict[str, Number]]:
        names = self._mark_names
        n = len(names)
        continuing = np.array([self.continuing(x) for x in names] + [False])
        tally, inactive = self.empty_tally(final_round)

        pending = np.flatnonzero((self._state == _ACTIVE) & ~continuing[self._holder])
        if final_round and pending.size:
            # All seats are filled: the last winners' surpluses go nowhere.
            is_held = self._holder[pending] >= 0
            held, pending = pending[is_held], pending[~is_held]
            final = np.full(len(held), _CODE[irv.FINAL_SURPLUS], dtype=np.int8)
            self._settle(held, np.full(len(held), -1, dtype=np.int64), final)
        if pending.size:
            target, state = self._walk(pending, continuing)
            for code, message in (
                (
                    _ERROR_LABEL_WITH_NAMES,
                    "an overvote label was recorded together with candidates",
                ),
                (
                    _ERROR_LABEL_RULE,
                    f"overvote rule {self.o.overvote_rule} cannot be applied to an overvote label",
                ),
            ):
                if np.any(state == code):
                    raise irv.CountError(message)
            self._settle(pending, target, state)

        amounts = self._counts * self._value
        active = self._state == _ACTIVE
        per_name = bincount_int(self._holder[active], amounts[active], n)
        for i, x in enumerate(names):
            if x in tally:
                tally[x] = self._number(per_name[i])
        per_state = bincount_int(self._state.astype(np.int64), amounts, len(_REASONS))
        for code, reason in enumerate(_REASONS):
            if reason is not None and reason in inactive:
                inactive[reason] = self._number(per_state[code])
        return dict[str, Number](tally), dict[str, Number](inactive)

    def _walk(
        self, pending: IntArray, continuing: npt.NDArray[np.bool_]
    ) -> tuple[IntArray, npt.NDArray[np.int8]]:
        """Where the pending groups go: ``(mark index or -1, state)``, read from rank 1."""
        cells = self._cells[pending]
        live_marks = continuing[cells]
        live = live_marks.sum(axis=2)
        static = self._static[pending]
        free = static == 0
        overvote = free & self._multi_rule[pending] & (live >= 2)
        select = free & (live >= 1) & ~self._skip_rank[pending] & ~overvote
        stop = ~free | overvote | select
        has_stop = stop.any(axis=1)
        at = np.argmax(stop, axis=1)
        rows = np.arange(len(pending))
        state = np.where(
            has_stop,
            np.where(
                static[rows, at] != 0,
                static[rows, at],
                np.where(overvote[rows, at], _CODE[irv.OVERVOTE], _ACTIVE),
            ),
            np.where(self._has_marks[pending], _CODE[irv.EXHAUSTED], _CODE[irv.UNDERVOTE]),
        ).astype(np.int8)
        first = np.argmax(live_marks[rows, at], axis=1)
        target = np.where(state == _ACTIVE, cells[rows, at, first], -1).astype(np.int64)
        return target, state

    def _settle(self, groups: IntArray, target: IntArray, state: npt.NDArray[np.integer]) -> None:
        """Move ``groups`` to ``target`` (or make them inactive with ``state``), recording the
        transfers from their present holders as the exact path's ``_move`` does."""
        n = len(self._mark_names)
        source = self._holder[groups]
        moved = source >= 0
        if moved.any():
            amounts = self._counts[groups[moved]] * self._value[groups[moved]]
            pair = source[moved] * (n + 1) + np.where(target[moved] < 0, n, target[moved])
            sums = bincount_int(pair, amounts, n * (n + 1))
            for p in np.flatnonzero(sums):
                src, dst = divmod(int(p), n + 1)
                to = "exhausted" if dst == n else self._mark_names[dst]
                self._move(self._mark_names[src], to, self._number(sums[p]))
        self._holder[groups] = target
        self._state[groups] = state

    def transfer_surplus(self, winner: str, fraction: irv.Number) -> None:
        if winner not in self._mark_names:
            return
        units = Fraction(fraction) * self._scale
        assert units.denominator == 1, "the surplus fraction is truncated to the places"
        held = np.flatnonzero(
            (self._state == _ACTIVE) & (self._holder == self._mark_names.index(winner))
        )
        value = self._value[held]
        moved = value * int(units) // self._scale
        # Each winner keeps its share once, when elected: the sum is final at once.
        self._kept[winner] = int(np.sum(self._counts[held] * (value - moved), dtype=np.int64))
        self._value[held] = moved

    def kept_sums(self, fresh: list[str]) -> dict[str, irv.Number]:
        return {w: self._number(self._kept.get(w, 0)) for w in fresh}


def _make(rows: npt.NDArray[np.int16], counts: IntArray, labels: list[str]) -> irv.MakeTabulation:
    """The tabulation of one pass: the block walk for single-seat IRV on simple rows, the mark
    walk for everything else."""

    def make(meta: Profile, options: irv.IrvOptions, excluded: set[str]) -> irv._Tabulation:
        if rows.ndim == 2 and options.mode == irv.IRV and options.seats == 1:
            return FastTabulation(meta, options, excluded, rows, counts)
        cells = as_marks(rows) if rows.ndim == 2 else rows
        return MarkTabulation(meta, options, excluded, cells, counts, labels)

    return make


def tabulate(
    meta: Profile,
    rows: npt.NDArray[np.int16],
    counts: IntArray,
    options: irv.IrvOptions,
    labels: list[str] | None = None,
) -> CountResult:
    """``irv.tabulate`` on grouped arrays: simple rows (2-D) or the mark layout (3-D) whose
    indices past the candidates name ``labels`` (see ``arrays``)."""
    return irv.tabulate_with(meta, options, _make(rows, counts, labels or []))


def count(
    meta: Profile,
    rows: npt.NDArray[np.int16],
    counts: IntArray,
    *,
    seats: int = 1,
    seed: int | str | None,
    labels: list[str] | None = None,
) -> CountResult:
    """``irv.count`` (our own elections) on grouped arrays: one seat in whole votes, more seats by
    RCTab's fractional STV with 4 places; seeded lot."""
    options = irv.IrvOptions(
        seats=seats,
        mode=irv.IRV if seats == 1 else irv.STV_FRACTIONAL,
        places=0 if seats == 1 else 4,
        tiebreak_mode=LOT,
        seed=0 if seed is None else seed,
    )
    result = tabulate(meta, rows, counts, options, labels)
    result.method = "irv"
    return result
