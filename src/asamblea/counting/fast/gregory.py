"""Scottish STV (SSI 2007/42 rules 45-52) on grouped ballot arrays, in fixed point.

The statute's arithmetic has a stated precision: every paper's value is a multiple of 10^-5
(rule 48(3) truncates each transfer value to five decimal places). Values are therefore held as
integers in units of 10^-5, which represent the exact path's ``Fraction`` values exactly; totals
are sums of whole counts times those integers, also exact. The stage loop is the exact
path's own (``stv_common.gregory_stages``, which ``count_gregory`` runs too), with its tie-breaks
and its explanation; only the two transfers, which visit papers, are vectorised here.

Papers: each group of identical usable rankings is one row with its holder (the candidate whose
pile holds it, or -1 once it is non-transferable), the rank of the holder on it, its value, and an
arrival number that orders the holder's pile as the exact path's list of holdings does (the order
in which a transfer meets recipients is the order of its ``moved`` figures).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from asamblea.counting import stv_scottish
from asamblea.counting.ballots import Profile
from asamblea.counting.fast.arrays import IntArray, bincount_int
from asamblea.counting.fast.kernels import next_continuing, pad, standing
from asamblea.counting.result import CountResult, Number, Transfer
from asamblea.counting.stv_common import Lot, droop_quota, gregory_stages

PLACES = stv_scottish.PLACES
SCALE = 10**PLACES


class _State:
    """The count's state as the shared stage loop reads it (``stv_common.Stages``)."""

    def __init__(self, candidates: list[str]) -> None:
        self.candidates = candidates
        self.units = np.zeros(len(candidates), dtype=np.int64)  # votes in units of 10^-5
        self.status = dict.fromkeys(candidates, "continuing")
        self.history: list[dict[str, Fraction]] = []
        self.non_transferable = Fraction(0)
        self.rounding = Fraction(0)

    @property
    def votes(self) -> dict[str, Fraction]:
        return {
            c: Fraction(int(u), SCALE) for c, u in zip(self.candidates, self.units, strict=True)
        }

    def continuing(self) -> list[str]:
        return [c for c in self.candidates if self.status[c] == "continuing"]

    def continuing_mask(self) -> npt.NDArray[np.bool_]:
        return np.array([self.status[c] == "continuing" for c in self.candidates] + [False])


def count(
    meta: Profile,
    rows: npt.NDArray[np.int16],
    counts: IntArray,
    *,
    seats: int,
    seed: int | str | None,
) -> CountResult:
    """``stv_scottish.count`` on usable rows (standing candidates' indices, first-seen order)."""
    candidates = standing(meta, seats)
    valid = int(counts.sum())
    quota = droop_quota(Fraction(valid))(seats)
    quota_units = quota * SCALE
    lot = Lot(meta.candidates, seed)
    st = _State(candidates)
    n_cand = len(candidates)
    table = pad(rows)
    holder = table[:, 0].astype(np.int64)
    rank = np.zeros(len(counts), dtype=np.int64)
    value = np.full(len(counts), SCALE, dtype=np.int64)
    arrival = np.arange(len(counts), dtype=np.int64)
    next_arrival = len(counts)
    # Rule 45: the first stage.
    st.units += bincount_int(holder, counts * SCALE, n_cand)

    def move(source: int, new_value: Callable[[IntArray], IntArray] | None) -> dict[str, Fraction]:
        """Move every paper ``source`` holds (its pile order) to the next continuing preference,
        at ``new_value`` (surplus) or at its own value (exclusion). Returns the moved figures."""
        nonlocal next_arrival
        pile = np.flatnonzero(holder == source)
        pile = pile[np.argsort(arrival[pile], kind="stable")]
        moving_value = value[pile] if new_value is None else new_value(pile)
        amounts = counts[pile] * moving_value
        target, at = next_continuing(table, pile, rank[pile] + 1, st.continuing_mask())
        live = target >= 0
        exhausted = int(amounts[~live].sum())
        received = bincount_int(target[live], amounts[live], n_cand)
        st.units += received
        # Recipients in the order the pile meets them (the exact path's dict order).
        found, first = np.unique(target[live], return_index=True)
        moved: dict[str, Fraction] = {
            candidates[int(t)]: Fraction(int(received[t]), SCALE)
            for t in found[np.argsort(first, kind="stable")]
        }
        holder[pile] = target
        rank[pile] = at
        value[pile] = moving_value
        arrival[pile[live]] = next_arrival + np.arange(int(live.sum()))
        next_arrival += int(live.sum())
        moved["exhausted"] = Fraction(exhausted, SCALE)
        return moved

    def transfer_surplus(source: str) -> Transfer:
        s = candidates.index(source)
        total = int(st.units[s])
        surplus = total - quota_units

        def truncated(pile: IntArray) -> IntArray:
            # (value x surplus / total), to five places: in units, floor(v x s / t). The product
            # is at most 10^5 x the valid poll x 10^5: int64 holds it below 9 x 10^8 papers.
            return (value[pile] * surplus) // total

        moved: dict[str, Number] = dict(move(s, truncated))
        exhausted = Fraction(moved.pop("exhausted"))
        transferred = sum((Fraction(v) for v in moved.values()), Fraction(0))
        loss = Fraction(surplus, SCALE) - transferred - exhausted
        st.non_transferable += exhausted
        st.rounding += loss
        st.units[s] = quota_units
        moved["exhausted"] = exhausted
        moved["rounding"] = loss
        return Transfer(source=source, kind="surplus", value=Fraction(surplus, total), moved=moved)

    def transfer_excluded(source: str) -> Transfer:
        s = candidates.index(source)
        st.status[source] = "excluded"
        moved: dict[str, Number] = dict(move(s, None))
        st.non_transferable += Fraction(moved["exhausted"])
        st.units[s] = 0
        return Transfer(source=source, kind="exclusion", value=None, moved=moved)

    quota_f = Fraction(quota)
    winners, rounds = gregory_stages(
        st,
        candidates=candidates,
        quota=quota_f,
        valid=Fraction(valid),
        seats=seats,
        lot=lot,
        transfer_surplus=transfer_surplus,
        transfer_excluded=transfer_excluded,
    )

    return CountResult(
        method="stv-scottish",
        seats=seats,
        winners=winners,
        rounds=rounds,
        places=PLACES,
        quota=quota_f,
        seed=seed,
        rules={"rules": stv_scottish.RULES, "valid_poll": str(Fraction(valid))},
        candidates=list(candidates),
    )
