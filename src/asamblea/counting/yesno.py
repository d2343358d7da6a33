"""Yes / no / abstain votes (recall votes, instructions, assembly divisions): the counts only.

Whether a motion passes (majority of valid votes, absolute majority of seats, qualified majority,
turnout quorum) is decided in :mod:`asamblea.rules` from these counts; nothing here compares
against a threshold. Every vote carries a weight (1, or the members a delegate represents);
sums are exact (``int`` or ``Fraction``), never floats.

Counted separately: ``yes``, ``no``, ``abstain`` (a deliberate abstention, present but not
voting either way), ``blank`` (a ballot with no choice) and ``spoilt`` (more than one choice or
an unreadable one). ``valid = yes + no``, the base of "a majority of valid votes"; ``cast`` is
every ballot returned, the base of a turnout quorum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from asamblea.counting.ballots import YesNo
from asamblea.counting.result import CountResult, Round

# Votes are exact: whole numbers or fractions, never floats (nor Decimal, to keep one type).
Number = int | Fraction

BLANK = "blank"
SPOILT = "spoilt"


@dataclass(frozen=True, slots=True)
class YesNoCount:
    yes: Number = 0
    no: Number = 0
    abstain: Number = 0
    blank: Number = 0
    spoilt: Number = 0
    voters: int = 0  # ballots returned, whatever their weight

    @property
    def valid(self) -> Number:
        return self.yes + self.no

    @property
    def cast(self) -> Number:
        return self.yes + self.no + self.abstain + self.blank + self.spoilt

    def to_result(self) -> CountResult:
        """As a one-round :class:`CountResult` (for the explanation and the record)."""
        values = [self.yes, self.no, self.abstain, self.blank, self.spoilt]
        places = 0 if all(Fraction(v).denominator == 1 for v in values) else 4
        rnd = Round(
            round=1,
            tally={YesNo.YES: self.yes, YesNo.NO: self.no, YesNo.ABSTAIN: self.abstain},
            exhausted=self.blank + self.spoilt,
            inactive={BLANK: self.blank, SPOILT: self.spoilt},
            action="count",
        )
        return CountResult(method="yes-no", seats=0, winners=[], rounds=[rnd], places=places)


def count_yes_no(votes: Iterable[str | None | tuple[str | None, Number]]) -> YesNoCount:
    """Count votes given as a choice (``"yes"``, ``"no"``, ``"abstain"``; ``None`` or ``""`` is
    blank; anything else is spoilt), or as ``(choice, weight)`` pairs."""
    sums: dict[str, Number] = {YesNo.YES: 0, YesNo.NO: 0, YesNo.ABSTAIN: 0, BLANK: 0, SPOILT: 0}
    voters = 0
    for vote in votes:
        if isinstance(vote, tuple):
            choice, weight = vote
        else:
            choice, weight = vote, 1
        if isinstance(weight, float | bool):
            raise TypeError("weights must be int or Fraction, never float")
        if weight < 0:
            raise ValueError("a weight cannot be negative")
        voters += 1
        if choice is None or choice == "":
            sums[BLANK] += weight
        elif choice in sums and choice not in (BLANK, SPOILT):
            sums[choice] += weight
        else:
            sums[SPOILT] += weight
    return YesNoCount(
        yes=sums[YesNo.YES],
        no=sums[YesNo.NO],
        abstain=sums[YesNo.ABSTAIN],
        blank=sums[BLANK],
        spoilt=sums[SPOILT],
        voters=voters,
    )
