"""Single transferable vote under the Scottish Local Government Elections Order 2007 (SSI 2007/42),
Schedule 1, rules 45 to 52.

- Rule 45, first stage: each valid paper counts one vote for its first preference.
- Rule 46, quota: floor(valid papers / (seats + 1)) + 1.
- Rule 47: a candidate whose votes equal or exceed the quota at any stage is elected.
- Rule 48, surplus: every paper the elected candidate holds moves to its next available
  preference with value (surplus x the paper's value) / the candidate's total votes, to five
  decimal places, any remainder ignored. Papers with no next preference are non-transferable.
  After the transfer the candidate keeps the quota.
- Rule 49, order of surpluses: the largest first; equal surpluses: the candidate with more votes at
  the most recent preceding stage at which their totals were unequal; equal at every stage: lot.
- Rule 50, exclusion: when no surplus remains to transfer, the continuing candidate with the
  fewest votes is excluded and all their papers move at the values they had, in one stage.
- Rule 51, equal lowest: fewest votes at the most recent preceding stage at which their totals were
  unequal; equal at every stage: lot.
- Rule 52: when the continuing candidates are as many as the vacancies left they are elected, and
  no further transfer is made.

Arithmetic: exact. Every value is a ``Fraction`` whose denominator divides 10^5 (the statute's
five decimal places), so the tally is exactly the fixed-point figure the statute prescribes;
nothing is rounded except the rule 48 truncation, and what it loses is reported as
``inactive["rounding"]`` (together with ``inactive["non_transferable"]`` it makes ``exhausted``:
valid poll minus the candidates' totals, the "non-transferable" line of a Scottish result sheet).

Explanation: one round is one stage as the Scottish result sheets number them (stage 1 = first
preferences; each later stage = one surplus transfer or one exclusion). A round's ``tally`` is
every candidate's total after that stage (elected keep the quota after their surplus moves,
excluded show 0); ``elected`` lists the candidates deemed elected at the end of the stage
(highest vote first); ``eliminated`` lists the candidate whose exclusion is decided at the end of
the stage (their papers move in the next round), matching "excluded after stage n".

Known deviations and choices:
- A tie the rules leave to lot uses the seed (see ``stv_common.Lot``); without a seed the first
  tied candidate in ballot-paper order is chosen, and the draw is recorded as such.
- Candidates elected at the same stage are listed highest vote first (the statute does not order
  them); equal votes are ordered as rule 49(2)-(3) orders equal surpluses.
- Papers with skipped ranks or several marks at one rank stop there (see ``stv_common``); the
  statute treats such marks as giving no next available preference.
"""

from __future__ import annotations

from fractions import Fraction

from asamblea.counting.ballots import Profile
from asamblea.counting.result import CountResult
from asamblea.counting.stv_common import count_gregory

PLACES = 5
_SCALE = 10**PLACES

RULES = (
    "Scottish STV, SSI 2007/42 Schedule 1 rules 45-52: Droop quota floor(valid/(seats+1))+1; "
    "surplus papers move at value x surplus / total, truncated to 5 decimal places; "
    "one exclusion per stage"
)


def truncated_transfer_value(value: Fraction, surplus: Fraction, total: Fraction) -> Fraction:
    """Rule 48(3): (surplus x value) / total, to five decimal places, any remainder ignored."""
    exact = value * surplus / total
    return Fraction(exact.numerator * _SCALE // exact.denominator, _SCALE)


def count(profile: Profile, *, seats: int, seed: int | str | None = None) -> CountResult:
    return count_gregory(
        profile,
        seats=seats,
        seed=seed,
        method="stv-scottish",
        places=PLACES,
        transfer_value=truncated_transfer_value,
        rules=RULES,
    )
