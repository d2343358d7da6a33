"""What the single transferable vote methods share: the papers as counted, the lot, and the
Gregory count (Scottish STV and weighted inclusive Gregory differ only in their arithmetic).

Papers as counted (all STV methods here):

- Withdrawn candidates are struck from every paper before the count.
- A paper's usable preferences stop at its first skipped rank or its first rank marking two or more
  candidates (an overvote, or an "equal" ranking): the statutes count "the next available
  preference", which such a mark does not give. A paper with no usable first preference is not a
  valid paper and is not in the valid poll (the quota's base).
- A candidate ranked twice counts once, at the first mark.

The lot (``Lot``): with a seed, a tie the rules leave to lot is drawn with
``random.Random(str(seed))`` (Python seeds a text through SHA-512, so nearby seeds give unrelated
draws), every draw continuing one sequence in the order the count meets the ties, so the same seed
always gives the same result. Without a seed the first tied candidate in ballot-paper order is
chosen (the ballot-paper order then stands for an order drawn in advance, as in Droop's reference
counts). Every choice is recorded as a :class:`~asamblea.counting.result.Draw`. (The shared
``tiebreak`` ``lot`` mode is not used: its ``java.util.Random`` gives the same first draw for
small consecutive integer seeds, e.g. seeds 0 to 19 all pick the second of two tied candidates.)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

from asamblea.counting.ballots import Profile
from asamblea.counting.result import CountResult, Draw, Number, Round, Transfer

Value = Fraction


def usable_papers(profile: Profile) -> tuple[list[str], list[tuple[tuple[str, ...], Fraction]]]:
    """Candidates still standing (ballot-paper order) and the grouped usable rankings with counts."""
    withdrawn = set(profile.withdrawn)
    candidates = [c for c in profile.candidates if c not in withdrawn]
    standing = set(candidates)
    grouped: dict[tuple[str, ...], Fraction] = {}
    for b in profile.ballots:
        ranking: list[str] = []
        for rank in b.ranking:
            marks = [c for c in rank if c not in withdrawn]
            if len(rank) != 1:
                # A skipped rank or several marks at one rank: no next available preference.
                # (A rank holding only withdrawn candidates is passed over like the candidates.)
                if rank and not marks:
                    continue
                break
            if not marks:
                continue
            c = marks[0]
            if c not in standing:
                raise ValueError(f"ballot names {c!r}, which is not a candidate")
            if c not in ranking:
                ranking.append(c)
        if not ranking or b.count == 0:
            continue
        key = tuple(ranking)
        grouped[key] = grouped.get(key, Fraction(0)) + Fraction(b.count)
    return candidates, list(grouped.items())


class Lot:
    """Ties left to lot, from an explicit seed (see the module docstring)."""

    def __init__(self, order: Sequence[str], seed: int | str | None) -> None:
        self.position = {c: i for i, c in enumerate(order)}
        self.seed = seed
        self.rng = random.Random(str(seed)) if seed is not None else None

    def choose(self, tied: Sequence[str], purpose: str) -> tuple[str, Draw]:
        ordered = sorted(tied, key=self.position.__getitem__)
        if self.rng is None:
            chosen = ordered[0]
            how = "lot: first in ballot-paper order (no seed given)"
        else:
            chosen = ordered[self.rng.randrange(len(ordered))]
            how = f"lot: random.Random({str(self.seed)!r}), ballot-paper order"
        return chosen, Draw(purpose=purpose, tied=ordered, chosen=chosen, how=how)


def droop_quota(valid: Fraction) -> Callable[[int], int]:
    """floor(valid / (seats + 1)) + 1, the Droop quota of SSI 2007/42 rule 46."""
    return lambda seats: math.floor(valid / (seats + 1)) + 1


@dataclass
class _Holding:
    paper: int  # index into the grouped papers
    position: int  # index of the candidate holding it in the paper's ranking
    value: Value  # value of each paper of the group


@dataclass
class _State:
    candidates: list[str]
    papers: list[tuple[tuple[str, ...], Fraction]]
    votes: dict[str, Value] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # continuing, elected, excluded
    holdings: dict[str, list[_Holding]] = field(default_factory=dict)
    history: list[dict[str, Value]] = field(default_factory=list)  # totals at the end of each stage
    non_transferable: Value = Fraction(0)
    rounding: Value = Fraction(0)

    def continuing(self) -> list[str]:
        return [c for c in self.candidates if self.status[c] == "continuing"]

    def next_preference(self, paper: int, after: int) -> tuple[str, int] | None:
        ranking = self.papers[paper][0]
        for pos in range(after + 1, len(ranking)):
            if self.status[ranking[pos]] == "continuing":
                return ranking[pos], pos
        return None


class Stages(Protocol):
    """What the Gregory stage loop reads and writes of a count: the exact path's ``_State``, or
    the fast path's (``fast.gregory``), whose votes are integer arrays shown as fractions."""

    status: dict[str, str]  # continuing, elected, excluded
    history: list[dict[str, Value]]  # totals at the end of each stage
    non_transferable: Value
    rounding: Value

    @property
    def votes(self) -> Mapping[str, Value]: ...

    def continuing(self) -> list[str]: ...


def break_by_history(
    state: Stages, tied: list[str], lot: Lot, *, lowest: bool, purpose: str
) -> tuple[str, list[Draw]]:
    """SSI 2007/42 rules 49(2)-(3) and 51(2): among candidates with equal votes now, look back to
    the most recent preceding stage at which their totals were unequal and take the highest
    (surplus order) or lowest (exclusion); candidates still equal there are looked at further
    back; candidates equal at every stage are decided by lot."""
    if len(tied) == 1:
        return tied[0], []
    group = list(tied)
    for stage in range(len(state.history) - 1, -1, -1):
        totals = state.history[stage]
        pick = min if lowest else max
        best = pick(totals[c] for c in group)
        narrowed = [c for c in group if totals[c] == best]
        if len(narrowed) < len(group):
            group = narrowed
            if len(group) == 1:
                how = f"totals at stage {stage + 1}"
                return group[0], [Draw(purpose=purpose, tied=list(tied), chosen=group[0], how=how)]
    chosen, draw = lot.choose(group, purpose)
    draw.tied = list(tied)
    return chosen, [draw]


def count_gregory(
    profile: Profile,
    *,
    seats: int,
    seed: int | str | None,
    method: str,
    places: int,
    transfer_value: Callable[[Value, Value, Value], Value],
    rules: str,
) -> CountResult:
    """A weighted inclusive Gregory count, stage by stage as SSI 2007/42 rules 45-52 order it.

    ``transfer_value(paper_value, surplus, total)`` gives the new value of each paper moved in a
    surplus transfer: truncated to 5 decimals for Scottish STV, exact for plain WIGM.
    """
    if seats < 1:
        raise ValueError("seats must be at least 1")
    candidates, papers = usable_papers(profile)
    valid = sum((n for _, n in papers), Fraction(0))
    quota = Fraction(droop_quota(valid)(seats))
    lot = Lot(profile.candidates, seed)
    st = _State(candidates=candidates, papers=papers)
    for c in candidates:
        st.votes[c] = Fraction(0)
        st.status[c] = "continuing"
        st.holdings[c] = []

    # Rule 45: the first stage.
    for i, (ranking, n) in enumerate(papers):
        first = ranking[0]
        st.holdings[first].append(_Holding(i, 0, Fraction(1)))
        st.votes[first] += n

    winners, rounds = gregory_stages(
        st,
        candidates=candidates,
        quota=quota,
        valid=valid,
        seats=seats,
        lot=lot,
        transfer_surplus=lambda source: _transfer_surplus(st, source, quota, transfer_value),
        transfer_excluded=lambda source: _transfer_excluded(st, source),
    )
    return CountResult(
        method=method,
        seats=seats,
        winners=winners,
        rounds=rounds,
        places=places,
        quota=quota,
        seed=seed,
        rules={"rules": rules, "valid_poll": str(valid)},
        candidates=list(candidates),
    )


def gregory_stages(
    st: Stages,
    *,
    candidates: list[str],
    quota: Fraction,
    valid: Fraction,
    seats: int,
    lot: Lot,
    transfer_surplus: Callable[[str], Transfer],
    transfer_excluded: Callable[[str], Transfer],
) -> tuple[list[str], list[Round]]:
    """The stages of a Gregory count after rule 45's first count, as SSI 2007/42 rules 47-52
    order them: the winners in order of election and one round per stage. The transfers, which
    visit papers, are the caller's (shared with the fast path, which moves papers on arrays)."""
    winners: list[str] = []
    rounds: list[Round] = []
    pending: list[str] = []  # elected candidates whose surplus is not yet transferred

    def close_stage(rnd: Round) -> bool:
        """Rules 47 and 52 at the end of a stage; True when the count is complete."""
        votes = st.votes
        st.history.append(dict(votes))
        reached = [c for c in st.continuing() if votes[c] >= quota]
        for c in _order_highest(st, reached, lot, rnd):
            st.status[c] = "elected"
            winners.append(c)
            rnd.elected.append(c)
            if votes[c] > quota:
                pending.append(c)
        vacancies = seats - len(winners)
        if vacancies <= 0:
            return True
        rest = st.continuing()
        if len(rest) <= vacancies:
            for c in _order_highest(st, rest, lot, rnd):
                st.status[c] = "elected"
                winners.append(c)
                rnd.elected.append(c)
            rnd.extra["filled_last_vacancies"] = True
            return True
        return False

    def snapshot(rnd: Round) -> None:
        votes = st.votes
        rnd.tally = {c: votes[c] for c in candidates}
        rnd.exhausted = valid - sum(votes.values(), Fraction(0))
        rnd.inactive = {"non_transferable": st.non_transferable, "rounding": st.rounding}

    rnd = Round(round=1, tally={}, action="first_preferences", threshold=quota)
    snapshot(rnd)
    rounds.append(rnd)
    done = close_stage(rnd)

    while not done:
        prev = rounds[-1]
        votes = st.votes
        if pending:
            # Rule 49(1): the largest surplus first; rule 49(2)-(3) for equal surpluses.
            top = max(votes[c] for c in pending)
            tied = [c for c in pending if votes[c] == top]
            source, draws = break_by_history(
                st, tied, lot, lowest=False, purpose="order of surpluses"
            )
            pending.remove(source)
            rnd = Round(round=prev.round + 1, tally={}, action=f"surplus of {source}")
            rnd.draws.extend(draws)
            rnd.transfers.append(transfer_surplus(source))
        else:
            # Rule 50(1): exclude the lowest continuing candidate; rule 51 for equal votes.
            low = min(votes[c] for c in st.continuing())
            tied = [c for c in st.continuing() if votes[c] == low]
            source, draws = break_by_history(st, tied, lot, lowest=True, purpose="exclusion")
            prev.eliminated.append(source)
            prev.draws.extend(draws)
            rnd = Round(round=prev.round + 1, tally={}, action=f"exclusion of {source}")
            rnd.transfers.append(transfer_excluded(source))
        rnd.threshold = quota
        snapshot(rnd)
        rounds.append(rnd)
        done = close_stage(rnd)
    return winners, rounds


def _order_highest(st: Stages, group: list[str], lot: Lot, rnd: Round) -> list[str]:
    """Candidates elected at one stage, highest vote first (equal votes: rule 49(2)-(3))."""
    votes = st.votes
    rest = list(group)
    out: list[str] = []
    while rest:
        top = max(votes[c] for c in rest)
        tied = [c for c in rest if votes[c] == top]
        chosen, draws = break_by_history(st, tied, lot, lowest=False, purpose="order of election")
        rnd.draws.extend(draws)
        out.append(chosen)
        rest.remove(chosen)
    return out


def _transfer_surplus(
    st: _State,
    source: str,
    quota: Value,
    transfer_value: Callable[[Value, Value, Value], Value],
) -> Transfer:
    """Rule 48: every paper the elected candidate holds moves at its transfer value."""
    total = st.votes[source]
    surplus = total - quota
    moved: dict[str, Value] = {}
    exhausted = Fraction(0)
    for h in st.holdings[source]:
        n = st.papers[h.paper][1]
        tv = transfer_value(h.value, surplus, total)
        nxt = st.next_preference(h.paper, h.position)
        if nxt is None:
            exhausted += n * tv
            continue
        to, pos = nxt
        st.holdings[to].append(_Holding(h.paper, pos, tv))
        st.votes[to] += n * tv
        moved[to] = moved.get(to, Fraction(0)) + n * tv
    st.holdings[source] = []
    transferred = sum(moved.values(), Fraction(0))
    # What the surplus loses to papers with no next preference and to truncation.
    loss = surplus - transferred - exhausted
    st.non_transferable += exhausted
    st.rounding += loss
    st.votes[source] = quota
    moved["exhausted"] = exhausted
    moved["rounding"] = loss
    return Transfer(source=source, kind="surplus", value=surplus / total, moved=_numbers(moved))


def _transfer_excluded(st: _State, source: str) -> Transfer:
    """Rule 50(2)-(4): every paper of the excluded candidate moves at the value it had."""
    st.status[source] = "excluded"
    moved: dict[str, Value] = {}
    exhausted = Fraction(0)
    for h in st.holdings[source]:
        n = st.papers[h.paper][1]
        nxt = st.next_preference(h.paper, h.position)
        if nxt is None:
            exhausted += n * h.value
            continue
        to, pos = nxt
        st.holdings[to].append(_Holding(h.paper, pos, h.value))
        st.votes[to] += n * h.value
        moved[to] = moved.get(to, Fraction(0)) + n * h.value
    st.holdings[source] = []
    st.non_transferable += exhausted
    st.votes[source] = Fraction(0)
    moved["exhausted"] = exhausted
    return Transfer(source=source, kind="exclusion", value=None, moved=_numbers(moved))


def _numbers(moved: dict[str, Value]) -> dict[str, Number]:
    return dict(moved.items())
