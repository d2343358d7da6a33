"""Thresholds compared exactly, as SYSTEM.md "How thresholds compare" states them.

Every comparison is done on integers or ``Fraction`` values, never on floats, and never rounded:
"at least 20% of the roll" is ``signatures * 5 >= roll``; "two thirds of the legal number" is
``for * 3 >= 2 * seats``. Weighted variants take sums of ``Fraction`` weights and compare them the
same way (a weight is a count of members represented, so the sums are exact).

Each function returns a :class:`ThresholdResult`: whether the threshold was met, the rule applied
as text (for people) and as data (for the public record, where fractions are ``"num/den"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

Amount = int | Fraction


def encode(value: Amount) -> int | str:
    """JSON form of an exact amount: ints stay ints, fractions become ``"num/den"``."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return value.numerator
        return f"{value.numerator}/{value.denominator}"
    return int(value)


def _exact(value: Amount, name: str) -> Amount:
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise TypeError(f"{name} must be an int or a Fraction, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def _fraction(value: Fraction | int | str, name: str) -> Fraction:
    frac = Fraction(value)
    if not 0 < frac <= 1:
        raise ValueError(f"{name} must be a fraction in (0, 1]")
    return frac


def total(weights: Iterable[Amount]) -> Amount:
    """Exact sum of weights (ints or Fractions)."""
    result: Amount = 0
    for w in weights:
        result += _exact(w, "weight")
    return result


@dataclass(frozen=True)
class ThresholdResult:
    passed: bool
    rule: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "rule": self.rule, "text": self.text, **self.data}

    def __bool__(self) -> bool:
        return self.passed


def majority_of_valid(
    yes: Amount, no: Amount, *, blank: Amount = 0, spoilt: Amount = 0
) -> ThresholdResult:
    """A majority of valid votes: ``yes > no``. Blank and spoilt ballots are not valid votes."""
    _exact(yes, "yes")
    _exact(no, "no")
    _exact(blank, "blank")
    _exact(spoilt, "spoilt")
    passed = yes > no
    return ThresholdResult(
        passed,
        "majority_of_valid",
        f"a majority of valid votes: {encode(yes)} for against {encode(no)} "
        f"({'met' if passed else 'not met'}; blank and spoilt ballots are not valid)",
        {
            "yes": encode(yes),
            "no": encode(no),
            "blank": encode(blank),
            "spoilt": encode(spoilt),
        },
    )


def absolute_majority(in_favour: Amount, of: Amount, *, of_what: str = "seats") -> ThresholdResult:
    """An absolute majority of all ``of`` (seats, weight of seats, or the roll): ``for * 2 > of``."""
    _exact(in_favour, "in_favour")
    _exact(of, "of")
    passed = in_favour * 2 > of
    return ThresholdResult(
        passed,
        f"absolute_majority_of_{of_what}",
        f"an absolute majority of the {of_what}: {encode(in_favour)} for, more than half of "
        f"{encode(of)} needed ({'met' if passed else 'not met'})",
        {"for": encode(in_favour), "of": encode(of), "of_what": of_what},
    )


def qualified_majority(
    in_favour: Amount, legal_number: Amount, fraction: Fraction | int | str = Fraction(2, 3)
) -> ThresholdResult:
    """A qualified majority of the legal number (all seats, not those voting).

    ``for >= fraction * legal_number``, compared as ``for * den >= num * legal_number``: two thirds
    of 130 is 86 2/3, so 87 votes are needed.
    """
    _exact(in_favour, "in_favour")
    _exact(legal_number, "legal_number")
    frac = _fraction(fraction, "fraction")
    passed = in_favour * frac.denominator >= frac.numerator * legal_number
    needed = _least_reaching(frac * legal_number, legal_number)
    return ThresholdResult(
        passed,
        "qualified_majority_of_legal_number",
        f"{frac} of the legal number {encode(legal_number)}: {encode(in_favour)} for, "
        f"{encode(needed)} needed ({'met' if passed else 'not met'})",
        {
            "for": encode(in_favour),
            "legal_number": encode(legal_number),
            "fraction": f"{frac.numerator}/{frac.denominator}",
            "needed": encode(needed),
        },
    )


def fraction_of_roll(
    count: Amount, roll_size: Amount, fraction: Fraction | int | str, *, what: str = "count"
) -> ThresholdResult:
    """At least ``fraction`` of the roll: ``count * den >= num * roll_size``.

    Used for petitions (20%: signatures * 5 >= roll), admission motions (40% of 130 = 52) and
    turnout quorums.
    """
    _exact(count, what)
    _exact(roll_size, "roll_size")
    frac = _fraction(fraction, "fraction")
    passed = count * frac.denominator >= frac.numerator * roll_size
    needed = _least_reaching(frac * roll_size, roll_size)
    return ThresholdResult(
        passed,
        f"{what}_at_least_fraction_of_roll",
        f"{what} at least {frac} of {encode(roll_size)}: {encode(count)}, {encode(needed)} "
        f"needed ({'met' if passed else 'not met'})",
        {
            what: encode(count),
            "roll_size": encode(roll_size),
            "fraction": f"{frac.numerator}/{frac.denominator}",
            "needed": encode(needed),
        },
    )


def turnout_quorum(
    voters: Amount, roll_size: Amount, fraction: Fraction | int | str = Fraction(1, 3)
) -> ThresholdResult:
    """Turnout of at least ``fraction`` of the roll (default a third: ``voters * 3 >= roll``).

    ``voters`` counts every ballot cast, blank and spoilt included.
    """
    return fraction_of_roll(voters, roll_size, fraction, what="turnout")


def _least_reaching(target: Fraction | int, whole: Amount) -> Amount:
    """The least amount that reaches ``target``: a whole number for whole counts, else exact."""
    target = Fraction(target)
    if isinstance(whole, int):
        return -(-target.numerator // target.denominator)
    return target


def weighted_majority_of_valid(
    yes_weights: Iterable[Amount], no_weights: Iterable[Amount]
) -> ThresholdResult:
    """Weighted majority of valid votes: the sum of yes weights exceeds the sum of no weights."""
    result = majority_of_valid(total(yes_weights), total(no_weights))
    return ThresholdResult(
        result.passed, "weighted_" + result.rule, "weighted: " + result.text, result.data
    )


def weighted_absolute_majority(
    in_favour_weights: Iterable[Amount], all_weights: Iterable[Amount]
) -> ThresholdResult:
    """Weighted absolute majority: for-weight * 2 > the weight of all seats."""
    result = absolute_majority(total(in_favour_weights), total(all_weights), of_what="weight")
    return ThresholdResult(
        result.passed, "weighted_" + result.rule, "weighted: " + result.text, result.data
    )


def weighted_qualified_majority(
    in_favour_weights: Iterable[Amount],
    all_weights: Iterable[Amount],
    fraction: Fraction | int | str = Fraction(2, 3),
) -> ThresholdResult:
    """Weighted qualified majority of the whole weight of the body (legal number as weight)."""
    result = qualified_majority(total(in_favour_weights), total(all_weights), fraction)
    return ThresholdResult(
        result.passed, "weighted_" + result.rule, "weighted: " + result.text, result.data
    )
