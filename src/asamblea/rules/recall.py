"""The default rules of a recall, each one a setting of the organisation.

Defaults (ours, not a statute's; SYSTEM.md "Recall"): a petition needs signatures of at least
20% of the unit's roll frozen at opening (``signatures * 5 >= roll``) within 30 days; the recall
vote passes with a majority of valid votes (``yes > no``; blank and spoilt not valid) and turnout
of at least a third of the roll (``ballots * 3 >= roll``, every ballot cast counts for turnout).

Settings live under ``organisation.settings["recall"]``::

    {"petition_fraction": "1/5", "petition_days": 30, "turnout_fraction": "1/3"}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from asamblea.rules.thresholds import (
    ThresholdResult,
    fraction_of_roll,
    majority_of_valid,
    turnout_quorum,
)


@dataclass(frozen=True)
class RecallRules:
    petition_fraction: Fraction = Fraction(1, 5)
    petition_days: int = 30
    turnout_fraction: Fraction = Fraction(1, 3)

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> RecallRules:
        """Read ``settings["recall"]`` (an organisation's settings); missing keys take defaults."""
        data = (settings or {}).get("recall") or {}
        default = cls()
        rules = cls(
            petition_fraction=Fraction(
                str(data.get("petition_fraction", default.petition_fraction))
            ),
            petition_days=int(data.get("petition_days", default.petition_days)),
            turnout_fraction=Fraction(str(data.get("turnout_fraction", default.turnout_fraction))),
        )
        if not 0 < rules.petition_fraction <= 1 or not 0 < rules.turnout_fraction <= 1:
            raise ValueError("recall fractions must lie in (0, 1]")
        if rules.petition_days < 1:
            raise ValueError("petition_days must be at least 1")
        return rules

    def as_settings(self) -> dict[str, Any]:
        """The rules in force, as written on the public record with each recall result."""
        return {
            "petition_fraction": _enc(self.petition_fraction),
            "petition_days": self.petition_days,
            "turnout_fraction": _enc(self.turnout_fraction),
        }

    def petition_deadline(self, opened_at: dt.datetime) -> dt.datetime:
        if opened_at.tzinfo is None:
            raise ValueError("opened_at must be timezone-aware")
        return opened_at + dt.timedelta(days=self.petition_days)

    def petition_reached(self, signatures: int, roll_size: int) -> ThresholdResult:
        return fraction_of_roll(signatures, roll_size, self.petition_fraction, what="signatures")

    def signatures_needed(self, roll_size: int) -> int:
        """The least number of signatures that reaches the threshold."""
        target = self.petition_fraction * roll_size
        return -(-target.numerator // target.denominator)

    def vote_result(
        self, yes: int, no: int, blank: int, spoilt: int, roll_size: int
    ) -> RecallVoteResult:
        majority = majority_of_valid(yes, no, blank=blank, spoilt=spoilt)
        turnout = turnout_quorum(yes + no + blank + spoilt, roll_size, self.turnout_fraction)
        return RecallVoteResult(majority.passed and turnout.passed, majority, turnout, self)


@dataclass(frozen=True)
class RecallVoteResult:
    passed: bool
    majority: ThresholdResult
    turnout: ThresholdResult
    rules: RecallRules

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "majority": self.majority.as_dict(),
            "turnout": self.turnout.as_dict(),
            "rules": self.rules.as_settings(),
        }


def _enc(frac: Fraction) -> str:
    return f"{frac.numerator}/{frac.denominator}"
