"""Single transferable vote by the weighted inclusive Gregory method (WIGM), in exact arithmetic.

The same stages as Scottish STV (SSI 2007/42 Schedule 1 rules 45-52, see ``stv_scottish``), with
one difference: a surplus transfer value, (surplus x the paper's value) / the candidate's total, is
kept exact as a ``Fraction`` instead of being truncated to five decimal places, so no vote is lost
to rounding (``inactive["rounding"]`` is always 0) and votes are conserved exactly.

- Quota: Droop, floor(valid / (seats + 1)) + 1, compared with ``>=`` (rules 46-47).
- Surpluses: every paper held by the elected candidate moves (inclusive), the largest surplus
  first (rules 48-49); exclusions one candidate per stage, papers at the values they had
  (rules 50-51); the last vacancies are filled when the continuing candidates are as many as the
  vacancies left (rule 52).
- Ties: as rules 49(2)-(3) and 51(2), the most recent preceding stage at which the tied candidates'
  totals differed, then lot from the seed (``stv_common.Lot``).

Arithmetic: exact ``Fraction``. The JSON and the round table show tallies truncated to 5 decimal
places (``places``); the decisions use the exact values.

Known deviations: this is a generic WIGM, not a statute's; papers with skipped ranks or several
marks at one rank stop there (see ``stv_common``).
"""

from __future__ import annotations

from fractions import Fraction

from asamblea.counting.ballots import Profile
from asamblea.counting.result import CountResult
from asamblea.counting.stv_common import count_gregory

PLACES = 5

RULES = (
    "Weighted inclusive Gregory STV, stages as SSI 2007/42 rules 45-52 with exact (Fraction) "
    "transfer values; Droop quota floor(valid/(seats+1))+1; one exclusion per stage"
)


def exact_transfer_value(value: Fraction, surplus: Fraction, total: Fraction) -> Fraction:
    return value * surplus / total


def count(profile: Profile, *, seats: int, seed: int | str | None = None) -> CountResult:
    return count_gregory(
        profile,
        seats=seats,
        seed=seed,
        method="stv-wigm",
        places=PLACES,
        transfer_value=exact_transfer_value,
        rules=RULES,
    )
