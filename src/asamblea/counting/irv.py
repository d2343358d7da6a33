"""Instant runoff and its RCTab family: single-winner IRV, multi-seat fractional STV (RCTab
style), bottoms-up, bottoms-up with a percentage threshold, and sequential (multi-pass) IRV.

Rules followed: the Ranked Choice Voting Tabulator (RCTab, Bright Spots, version 2.0) as
documented in its ``config_file_documentation.txt`` and checked against its test suite (the 70
cases of ``tests/conformance/rctab``). The options, each named after the RCTab rule it
implements, and the reasons a ballot becomes inactive are in :mod:`asamblea.counting.irv_rules`
(re-exported here, so callers import them from this module); this module is the round loop that
applies them:

- threshold: ``floor(active / (seats + 1)) + 1`` (Droop as RCTab computes it, whole votes
  unless ``non_integer_threshold``, then to ``places`` decimals plus one unit);
  ``hare_quota``: ``ceil(active / seats)``; multi-seat counts fix it in round 1, single-seat
  counts recompute it each round unless ``first_round_determines_threshold``.
- multi-seat (``stv_fractional``): every ballot held by a winner keeps
  ``value - trunc(value * trunc(surplus / total))`` with the winner and moves on with the rest;
  winners over the threshold after the transfer keep exactly the threshold (the remainder is
  "residual surplus"); ``stv_fractional_one_winner_per_round`` elects only the top candidate.
- Undeclared write-ins are dropped before any real candidate and cannot win.

Arithmetic: exact. Votes are ``int`` or ``Fraction``; every division and product RCTab rounds
(surplus fraction, per-ballot transfer, batch totals, threshold) is truncated toward zero to
``places`` decimal places (RCTab's ``decimalPlacesForVoteArithmetic``, BigDecimal
``RoundingMode.DOWN``), so results agree with RCTab to the last digit. No floats.

Known deviations from RCTab: ballots are counted grouped (identical rankings together), which
gives the same numbers because RCTab's per-ballot arithmetic is applied per ballot and multiplied
by the group's count; the order of candidates eliminated together in one batch is reported in
candidate order, not RCTab's hash order; interactive tie-breaks stop the count with an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import cast

from asamblea.counting.ballots import OVERVOTE_LABEL, Profile
from asamblea.counting.irv_rules import (
    ALWAYS_SKIP,
    BOTTOMS_UP,
    BOTTOMS_UP_PERCENTAGE,
    EXHAUST_IMMEDIATELY,
    EXHAUSTED,
    FINAL_SURPLUS,
    IRV,
    MODES,
    OVERVOTE,
    OVERVOTE_RULES,
    REPEATED,
    REPORTED_REASONS,
    SEQUENTIAL_IRV,
    SKIPPED,
    STV_FRACTIONAL,
    STV_ONE_PER_ROUND,
    UNDERVOTE,
    CountError,
    IrvOptions,
    Number,
    _norm,
    _trunc,
)
from asamblea.counting.irv_rules import (
    EXHAUST_IF_MULTIPLE as EXHAUST_IF_MULTIPLE,
)
from asamblea.counting.irv_rules import (
    UNDECLARED_WRITE_IN as UNDECLARED_WRITE_IN,
)
from asamblea.counting.irv_rules import rules_summary as _rules_summary
from asamblea.counting.result import CountResult, Draw, Round, Transfer
from asamblea.counting.result import Number as ResultNumber
from asamblea.counting.tiebreak import LOT, TieBreaker


class _Tabulation:
    """One pass of the RCTab loop over grouped ballots."""

    def __init__(self, profile: Profile, options: IrvOptions, excluded: set[str]) -> None:
        self.o = options
        self.places = options.places
        names = list(profile.candidates)
        uwi = options.undeclared_write_in
        if uwi and uwi not in names:
            names.append(uwi)
        self.names = names
        self.known = set(names)
        self.excluded = excluded
        # Candidates counted by "continue until two remain" (excluded ones never take part).
        self.num_candidates = len([n for n in names if n not in excluded])
        self.num_declared = len([n for n in names if n != uwi])
        self.groups: list[tuple[tuple[tuple[int, tuple[str, ...]], ...], Number]] = []
        for ballot in profile.ballots:
            marked = tuple(
                (i + 1, rank)
                for i, rank in enumerate(ballot.ranking)
                if rank and (options.max_rankings is None or i < options.max_rankings)
            )
            self.groups.append((marked, ballot.count))
        n = len(self.groups)
        self.recipient: list[str | None] = [None] * n
        self.status: list[str | None] = [None] * n
        self.value: list[Number] = [1] * n  # per-ballot value not yet kept by a winner
        self.kept: list[dict[str, Number] | None] = [None] * n
        self.winners: dict[str, int] = {}  # name -> round elected, in order of election
        self.eliminated: dict[str, int] = {}
        self.rounds: list[Round] = []
        self.shown: list[dict[str, Number]] = []  # each round's tally as reported
        self.history: list[dict[str, Number]] = []
        self.moves: dict[int, dict[tuple[str, str], Number]] = {}
        order = options.tiebreak_order
        if order is None:
            order = tuple(n for n in profile.candidates)
        self.tiebreaker = TieBreaker(options.tiebreak_mode, seed=options.seed, order=order)
        self.round_no = 0
        self.current_threshold: Number = 0

    # -- status of candidates -------------------------------------------------------------
    def continuing(self, name: str) -> bool:
        if name not in self.known or name in self.excluded or name in self.eliminated:
            return False
        if name in self.winners:
            return self.o.continue_until_two
        return True

    # -- one round's tally ----------------------------------------------------------------
    def _move(self, source: str | None, target: str, amount: Number) -> None:
        if source is None or amount == 0:
            return
        bucket = self.moves.setdefault(self.round_no, {})
        bucket[(source, target)] = bucket.get((source, target), 0) + amount

    def _overvote_decision(self, cands: tuple[str, ...]) -> str:
        rule = self.o.overvote_rule
        if OVERVOTE_LABEL in cands:
            if len(cands) != 1:
                raise CountError("an overvote label was recorded together with candidates")
            if rule == EXHAUST_IMMEDIATELY:
                return "exhaust"
            if rule == ALWAYS_SKIP:
                return "skip"
            raise CountError(f"overvote rule {rule} cannot be applied to an overvote label")
        if len(cands) <= 1:
            return "none"
        if rule == EXHAUST_IMMEDIATELY:
            return "exhaust"
        if rule == ALWAYS_SKIP:
            return "skip"
        live = sum(1 for c in cands if self.continuing(c))
        return "exhaust" if live >= 2 else "none"

    def empty_tally(self, final_round: bool) -> tuple[dict[str, Number], dict[str, Number]]:
        """A round's tallies before any ballot is counted: each continuing candidate and each
        reason for inactive ballots at zero, in the order the round reports them."""
        tally: dict[str, Number] = {n: 0 for n in self.names if self.continuing(n)}
        inactive: dict[str, Number] = {UNDERVOTE: 0, EXHAUSTED: 0, OVERVOTE: 0, SKIPPED: 0}
        inactive[REPEATED] = 0
        if final_round:
            inactive[FINAL_SURPLUS] = 0
        return tally, inactive

    def compute_tally(
        self, final_round: bool
    ) -> tuple[dict[str, ResultNumber], dict[str, ResultNumber]]:
        """Count every ballot for this round: the continuing candidates' tallies and the inactive
        ballots by reason. Values are ``int`` or ``Fraction`` (typed as the result's numbers so
        that faster implementations of this one method can stand in for it)."""
        o = self.o
        tally, inactive = self.empty_tally(final_round)
        max_skip = o.max_skipped_ranks
        for i, (marks, count) in enumerate(self.groups):
            status = self.status[i]
            value = self.value[i]
            if status is not None:
                inactive[status] += count * value
                continue
            current = self.recipient[i]
            if current is not None and self.continuing(current):
                tally[current] += count * value
                continue

            def inactivate(reason: str, i: int = i, count: Number = count) -> None:
                amount = count * self.value[i]
                self._move(self.recipient[i], "exhausted", amount)
                self.recipient[i] = None
                self.status[i] = reason
                inactive[reason] += amount

            if final_round and current is not None:
                # All seats are filled: the last winners' surpluses go nowhere (RCTab reports
                # them as the final round's surplus).
                inactivate(FINAL_SURPLUS)
                continue
            if not marks:
                inactivate(UNDERVOTE)
                continue
            last_rank = 0
            seen: set[str] = set()
            max_rank = marks[-1][0]
            selected = None
            for rank, cands in marks:
                if max_skip is not None and rank - last_rank > max_skip + 1:
                    inactivate(SKIPPED)
                    break
                last_rank = rank
                if o.exhaust_on_duplicate:
                    duplicate = False
                    for c in cands:
                        if c in seen:
                            duplicate = True
                            break
                        seen.add(c)
                    if duplicate:
                        inactivate(REPEATED)
                        break
                decision = self._overvote_decision(cands)
                if decision == "exhaust":
                    inactivate(OVERVOTE)
                    break
                if decision == "skip":
                    if rank == max_rank:
                        inactivate(EXHAUSTED)
                    continue
                for c in cands:
                    if self.continuing(c):
                        selected = c
                        break
                if selected is not None:
                    amount = count * value
                    self._move(current, selected, amount)
                    self.recipient[i] = selected
                    tally[selected] += amount
                    break
                if rank == max_rank:
                    inactivate(EXHAUSTED)
        out_tally: dict[str, ResultNumber] = {k: _norm(v) for k, v in tally.items()}
        out_inactive: dict[str, ResultNumber] = {k: _norm(v) for k, v in inactive.items()}
        return out_tally, out_inactive

    # -- thresholds -------------------------------------------------------------------------
    def threshold(self, active: Number) -> Number:
        o = self.o
        if o.mode == BOTTOMS_UP_PERCENTAGE:
            assert o.bottoms_up_percentage is not None
            thr: Number = _norm(Fraction(active) * o.bottoms_up_percentage)
        else:
            divisor = o.seats if o.hare_quota else o.seats + 1
            decimals = o.places if o.non_integer_threshold else 0
            unit = Fraction(1, 10**decimals)
            quotient = Fraction(active) / divisor / unit
            if o.hare_quota:
                thr = _norm(math.ceil(quotient) * unit)
            else:
                thr = _norm(math.floor(quotient) * unit + unit)
        minimum = o.minimum_vote_threshold
        if minimum > 0 and minimum > thr:
            thr = minimum
        return thr

    # -- choosing ------------------------------------------------------------------------------
    def _by_tally_desc(self, names: Sequence[str], tally: dict[str, Number]) -> list[str]:
        order = {n: i for i, n in enumerate(self.names)}
        return sorted(names, key=lambda n: (-Fraction(tally[n]), order.get(n, 0)))

    def identify_winners(
        self, tally: dict[str, Number], thr: Number, draws: list[Draw]
    ) -> list[str]:
        o = self.o
        uwi = o.undeclared_write_in
        if uwi and tally.get(uwi, 0) > 0:
            return []
        selected: list[str] = []
        if o.mode == BOTTOMS_UP_PERCENTAGE:
            if tally and all(v > thr for v in tally.values()):
                selected = self._by_tally_desc(list(tally), tally)
            return selected
        unfilled = o.seats - len(self.winners)
        if unfilled > 0:
            if len(tally) <= unfilled:
                selected = self._by_tally_desc([n for n in tally if n != uwi], tally)
            elif o.first_round_determines_threshold and len(tally) - 1 == o.seats:
                top = max(tally.values())
                selected = [n for n in tally if tally[n] == top]
            elif o.mode != BOTTOMS_UP:
                selected = self._by_tally_desc(
                    [n for n, v in tally.items() if v >= thr and n != uwi], tally
                )
        tie_many = len(selected) > 1 and (
            o.mode == STV_ONE_PER_ROUND or o.first_round_determines_threshold
        )
        tie_none = (
            o.seats == 1
            and not selected
            and len(tally) == 2
            and unfilled == 1
            and all(v >= o.minimum_vote_threshold for v in tally.values())
        )
        if tie_many or tie_none:
            top = max(tally.values())
            selected = [n for n in tally if tally[n] == top]
            if len(selected) > 1:
                draw = self.tiebreaker.choose(
                    selected, selecting_winner=True, history=self.history, purpose="election"
                )
                draws.append(draw)
                selected = [draw.chosen]
        return selected

    def _batch(self, tally: dict[str, Number]) -> list[str]:
        running: Number = 0
        seen: list[str] = []
        gone: set[str] = set()
        eliminations: list[str] = []
        previous: list[str] = []
        for value in sorted(set(tally.values())):
            at_value = [n for n in self.names if n in tally and tally[n] == value]
            new = list(eliminations)
            if running < value:
                for c in seen:
                    if c not in gone:
                        gone.add(c)
                        new.append(c)
            running = running + _trunc(value * len(at_value), self.places)
            seen.extend(at_value)
            if len(new) > len(eliminations):
                previous, eliminations = eliminations, new
        if (
            self.o.continue_until_two
            and len(eliminations) + len(self.eliminated) == self.num_candidates - 1
        ):
            eliminations = previous
        return eliminations

    def eliminate(self, tally: dict[str, Number], draws: list[Draw]) -> list[str]:
        o = self.o
        if not tally:
            raise CountError("no candidate is left to eliminate")
        uwi = o.undeclared_write_in
        if uwi and tally.get(uwi, 0) > 0:
            return [uwi]
        minimum = o.minimum_vote_threshold
        if minimum > 0 and min(tally.values()) < minimum:
            below = [n for n in self.names if n in tally and tally[n] < minimum]
            if len(below) == self.num_declared:
                raise CountError("every declared candidate is below the minimum vote threshold")
            return below
        if o.mode == BOTTOMS_UP_PERCENTAGE and o.cutoff_elimination:
            threshold = self.current_threshold
            under = [n for n in self.names if n in tally and tally[n] < threshold]
            if under:
                return under
        if o.batch_elimination:
            batch = self._batch(tally)
            if len(batch) > 1:
                return batch
        low = min(tally.values())
        last = [n for n in self.names if n in tally and tally[n] == low]
        if len(last) == 1:
            return last
        draw = self.tiebreaker.choose(
            last, selecting_winner=False, history=self.history, purpose="elimination"
        )
        draws.append(draw)
        return [draw.chosen]

    # -- the loop ---------------------------------------------------------------------------------
    def _should_continue(self) -> bool:
        o = self.o
        r = self.round_no
        if o.stop_after_round is not None and r >= o.stop_after_round:
            return False
        if r == 0:
            return True
        if o.continue_until_two:
            return (
                len(self.eliminated) + len(self.winners) + 1 < self.num_candidates
                or r in self.eliminated.values()
            )
        if o.mode == BOTTOMS_UP_PERCENTAGE:
            return not self.winners
        live = any(self.continuing(n) for n in self.names)
        if len(self.winners) < o.seats:
            return live
        return o.seats > 1 and r in self.winners.values() and o.mode != BOTTOMS_UP

    def run(self) -> None:
        o = self.o
        multi = o.seats > 1
        threshold: Number = 0
        while self._should_continue():
            self.round_no += 1
            r = self.round_no
            final_round = multi and o.mode != BOTTOMS_UP and len(self.winners) >= o.seats
            counted, counted_inactive = self.compute_tally(final_round)
            tally = cast(dict[str, Number], counted)
            inactive = cast(dict[str, Number], counted_inactive)
            active = sum(tally.values())
            if multi:
                if r == 1:
                    threshold = self.threshold(active)
            elif r == 1 or not (o.first_round_determines_threshold or self.winners):
                threshold = self.threshold(active)
            self.current_threshold = threshold
            draws: list[Draw] = []
            elected = self.identify_winners(tally, threshold, draws)
            eliminated: list[str] = []
            if elected:
                # Winners of one round are listed by name, as RCTab's reports list them.
                elected = sorted(elected, key=lambda n: n.encode("utf-16-be"))
                for w in elected:
                    self.winners[w] = r
                if multi and o.mode != BOTTOMS_UP:
                    for w in elected:
                        self._record_surplus(w, tally[w], threshold)
            elif (
                len(self.winners) < o.seats
                or (o.continue_until_two and len(self.eliminated) < self.num_candidates - 2)
                or o.mode == BOTTOMS_UP_PERCENTAGE
            ):
                eliminated = self.eliminate(tally, draws)
                if not eliminated:
                    raise CountError("no candidate could be eliminated")
                for c in eliminated:
                    self.eliminated[c] = r
            shown = dict(tally)
            if multi:
                shown = self._winner_tallies(shown, threshold)
            self.history.append(dict(tally))
            shown = {n: shown[n] for n in self.names if n in shown}
            self.shown.append(shown)
            exhausted = sum(inactive[k] for k in REPORTED_REASONS)
            self.rounds.append(
                Round(
                    round=r,
                    tally=dict[str, ResultNumber](shown),
                    elected=list(elected),
                    eliminated=list(eliminated),
                    exhausted=_norm(exhausted),
                    inactive=dict[str, ResultNumber](inactive),
                    threshold=threshold,
                    draws=draws,
                )
            )
        if self.rounds and multi and o.mode != BOTTOMS_UP:
            self.rounds[-1].inactive.setdefault(FINAL_SURPLUS, 0)
        self._attach_transfers()

    def _record_surplus(self, winner: str, votes: Number, threshold: Number) -> None:
        extra = votes - threshold
        fraction = _trunc(Fraction(extra) / Fraction(votes), self.places) if extra > 0 else 0
        self.transfer_surplus(winner, fraction)

    def transfer_surplus(self, winner: str, fraction: Number) -> None:
        """Every ballot the winner holds keeps ``value - trunc(value * fraction)`` with the winner
        and moves on with the rest (the per-ballot step of a surplus; faster implementations of
        this one method can stand in for it)."""
        for i in range(len(self.groups)):
            if self.recipient[i] == winner and self.status[i] is None:
                value = self.value[i]
                moved = _trunc(value * fraction, self.places)
                kept = self.kept[i] or {}
                kept[winner] = _norm(value - moved)
                self.kept[i] = kept
                self.value[i] = _norm(moved)

    def _winner_tallies(self, shown: dict[str, Number], threshold: Number) -> dict[str, Number]:
        r = self.round_no
        previous = self.shown[-1] if self.shown else {}
        fresh = [w for w, at in self.winners.items() if at == r - 1]
        for w, at in self.winners.items():
            if at < r - 1:
                shown[w] = previous[w]
        if fresh:
            sums = self.kept_sums(fresh)
            for w in fresh:
                total = _norm(sums[w])
                residual = total - threshold
                if residual > 0:
                    bucket = self.moves.setdefault(r, {})
                    bucket[(w, "residual surplus")] = _norm(residual)
                    total = threshold
                shown[w] = total
        return shown

    def kept_sums(self, fresh: list[str]) -> dict[str, Number]:
        """The votes each of ``fresh`` (winners of the previous round) kept from its ballots
        (the per-ballot step of showing winners' tallies)."""
        sums: dict[str, Number] = dict.fromkeys(fresh, 0)
        for i, (_, count) in enumerate(self.groups):
            kept = self.kept[i]
            if kept:
                for w in fresh:
                    if w in kept:
                        sums[w] += count * kept[w]
        return sums

    def _attach_transfers(self) -> None:
        for rnd in self.rounds:
            moves = self.moves.get(rnd.round + 1, {})
            for source in rnd.elected + rnd.eliminated:
                kind = "surplus" if source in rnd.elected else "exclusion"
                moved: dict[str, ResultNumber] = {
                    t: _norm(v) for (s, t), v in sorted(moves.items()) if s == source
                }
                rnd.transfers.append(Transfer(source=source, kind=kind, value=None, moved=moved))


# Builds the tabulation of one pass: ``(profile, options, excluded) -> _Tabulation``. The exact
# path's is the class itself; the fast path passes one that counts the same ballots on arrays.
MakeTabulation = Callable[[Profile, IrvOptions, set[str]], _Tabulation]


def tabulate(profile: Profile, options: IrvOptions) -> CountResult:
    """Count ``profile`` under ``options``; winners in order of election."""
    return tabulate_with(profile, options, _Tabulation)


def tabulate_with(profile: Profile, options: IrvOptions, make: MakeTabulation) -> CountResult:
    """:func:`tabulate` with the tabulation of each pass built by ``make`` (``profile`` gives
    the candidates, the withdrawn and the title; ``make`` may hold the ballots elsewhere)."""
    if options.mode not in MODES:
        raise CountError(f"unknown method {options.mode!r}")
    if options.overvote_rule not in OVERVOTE_RULES:
        raise CountError(f"unknown overvote rule {options.overvote_rule!r}")
    excluded = set(options.excluded) | set(profile.withdrawn)
    if options.mode == SEQUENTIAL_IRV:
        return _sequential(profile, options, excluded, make)
    tab = make(profile, options, excluded)
    tab.run()
    return _result(tab, options, profile)


def _result(tab: _Tabulation, options: IrvOptions, profile: Profile) -> CountResult:
    return CountResult(
        method=options.mode,
        seats=options.seats,
        winners=list(tab.winners),
        rounds=tab.rounds,
        places=options.places,
        quota=tab.rounds[-1].threshold if tab.rounds else None,
        seed=options.seed,
        rules=_rules_summary(options),
        candidates=list(profile.candidates),
    )


def _sequential(
    profile: Profile, options: IrvOptions, excluded: set[str], make: MakeTabulation
) -> CountResult:
    passes: list[CountResult] = []
    winners: list[str] = []
    single = replace(options, seats=1, mode=IRV)
    rounds: list[Round] = []
    for number in range(1, options.seats + 1):
        tab = make(profile, single, excluded | set(winners))
        if not any(tab.continuing(n) for n in tab.names if n != options.undeclared_write_in):
            break
        tab.run()
        result = _result(tab, single, profile)
        passes.append(result)
        winners.extend(w for w in result.winners if w not in winners)
        for rnd in tab.rounds:
            rnd.extra["pass"] = number
            rounds.append(rnd)
    return CountResult(
        method=SEQUENTIAL_IRV,
        seats=options.seats,
        winners=winners,
        rounds=rounds,
        places=options.places,
        seed=options.seed,
        rules=_rules_summary(options),
        passes=passes,
        candidates=list(profile.candidates),
    )


def count(profile: Profile, *, seats: int = 1, seed: int | str | None = None) -> CountResult:
    """Instant runoff for our own elections (``asamblea count --method irv``).

    Single seat: IRV with a majority of continuing votes, equal ranks skipped (RCTab
    ``alwaysSkipToNextRank``), unlimited skipped ranks, ties by seeded lot. More seats: RCTab's
    fractional STV with the Droop threshold."""
    integral = all(isinstance(b.count, int) for b in profile.ballots)
    options = IrvOptions(
        seats=seats,
        mode=IRV if seats == 1 else STV_FRACTIONAL,
        places=0 if integral and seats == 1 else 4,
        tiebreak_mode=LOT,
        seed=0 if seed is None else seed,
    )
    result = tabulate(profile, options)
    result.method = "irv"
    return result
