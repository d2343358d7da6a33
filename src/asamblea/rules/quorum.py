"""Quorum: whether enough of a body is present for it to decide.

Default (SYSTEM.md "Assemblies"): a majority of the seats present (``present * 2 > seats``), or
of the weight for weighted bodies. A unit's general meeting is quorate with a fraction of its
frozen roll present (an organisation setting; default one third, ``present * 3 >= roll``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from asamblea.rules.thresholds import Amount, ThresholdResult, encode, total

DEFAULT_BODY_QUORUM = Fraction(1, 2)
DEFAULT_MEETING_QUORUM = Fraction(1, 3)


@dataclass(frozen=True)
class QuorumRule:
    """``strict``: more than ``fraction`` (a majority); otherwise at least ``fraction``."""

    fraction: Fraction = DEFAULT_BODY_QUORUM
    strict: bool = True

    def check(self, present: Amount, whole: Amount, *, of_what: str = "seats") -> ThresholdResult:
        if present < 0 or whole < 0:
            raise ValueError("present and whole must not be negative")
        lhs = present * self.fraction.denominator
        rhs = self.fraction.numerator * whole
        passed = lhs > rhs if self.strict else lhs >= rhs
        relation = "more than" if self.strict else "at least"
        return ThresholdResult(
            passed,
            "quorum",
            f"quorum: {relation} {self.fraction} of the {of_what} present; {encode(present)} of "
            f"{encode(whole)} ({'met' if passed else 'not met'})",
            {
                "present": encode(present),
                "of": encode(whole),
                "of_what": of_what,
                "fraction": f"{self.fraction.numerator}/{self.fraction.denominator}",
                "strict": self.strict,
            },
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "fraction": f"{self.fraction.numerator}/{self.fraction.denominator}",
            "strict": self.strict,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, default: QuorumRule) -> QuorumRule:
        if not data:
            return default
        return cls(
            fraction=Fraction(str(data.get("fraction", default.fraction))),
            strict=bool(data.get("strict", default.strict)),
        )


BODY_QUORUM = QuorumRule(DEFAULT_BODY_QUORUM, strict=True)
MEETING_QUORUM = QuorumRule(DEFAULT_MEETING_QUORUM, strict=False)


def body_quorum(
    present_seats: int, total_seats: int, rule: QuorumRule = BODY_QUORUM
) -> ThresholdResult:
    """One delegate, one vote: delegates present against the body's seats."""
    return rule.check(present_seats, total_seats, of_what="seats")


def weighted_body_quorum(
    present_weights: list[Amount], all_weights: list[Amount], rule: QuorumRule = BODY_QUORUM
) -> ThresholdResult:
    """Weighted body: weight present against the weight of all seats (exact Fractions)."""
    return rule.check(total(present_weights), total(all_weights), of_what="weight")


def meeting_quorum(
    present: int, roll_size: int, rule: QuorumRule = MEETING_QUORUM
) -> ThresholdResult:
    """A unit's general meeting, against its frozen roll."""
    return rule.check(present, roll_size, of_what="roll")
