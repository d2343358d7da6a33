"""How a division decides a motion, what counts as a deviation, and how an instruction is read.

The same functions decide when a division closes (asamblea.assemblies) and when anyone recounts it
from the public record (asamblea.record.recount_assemblies). Comparisons are exact (``Fraction``),
as SYSTEM.md states them:

- ``majority_cast``: for > against (abstentions are not votes cast);
- ``absolute_majority``: for × 2 > legal number;
- ``qualified`` with fraction p/q: for × q ≥ p × legal number (two thirds of 130 is 87);
- ``quorum``: votes cast, abstentions included, reach the quorum, and for > against.

The legal number is all the body's seats (basis ``seats``) or their total weight (basis
``weight``), present or not; weights come from :mod:`asamblea.rules.weights`. Quorum: present × q
> p × legal when ``quorum_strict`` (the default, "a majority of the seats"), present × q ≥ p × legal
otherwise. A division that is not quorate adopts nothing.

Instructions (imperative mandates): the option with the most ballots among for, against, abstain
and free; a tie for the most, or no ballot at all, leaves the delegates free. A vote deviates when
its unit instructed for, against or abstain and the delegate voted otherwise.

Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from asamblea.rules import thresholds
from asamblea.rules.quorum import QuorumRule

CHOICES = ("for", "against", "abstain")
INSTRUCTION_OPTIONS = ("for", "against", "abstain", "free")
THRESHOLDS = ("majority_cast", "absolute_majority", "qualified", "quorum")


@dataclass(frozen=True, slots=True)
class Decision:
    is_quorate: bool
    is_adopted: bool
    explanation: str


def frac(value: Any) -> Fraction:
    """An exact number from text in either record form ("87", "87/1", "1300/3") or a number;
    floats are refused. Lenient: a reader of v2 entries checks their one form with
    record.encoding.parse_exact first."""
    if isinstance(value, bool | float):
        raise ValueError(f"not an exact number: {value!r}")
    return Fraction(value)


def fmt(value: Fraction | int) -> str:
    """An exact number as v1 entries (and the stored rules and totals) write it: "87", "1300/3".
    v2 entries write "87/1" (record.encoding.format_exact, through the entries' exact fields)."""
    return str(Fraction(value))


def _amount(value: Fraction) -> int | Fraction:
    """Whole amounts as ints, so that the rules state "87 needed" rather than "87/1"."""
    return value.numerator if value.denominator == 1 else value


def decide(rule: Mapping[str, Any], totals: Mapping[str, Fraction], present: Fraction) -> Decision:
    """Quorum and outcome of a division from its totals, the amount present and the rule.

    The comparisons are those of ``asamblea.rules`` (thresholds and quorum); this function only
    picks which one the motion's threshold names.
    """
    legal = _amount(frac(rule["legal"]))
    of_what = "seats" if rule.get("basis", "seats") == "seats" else "weight"
    quorum_rule = QuorumRule(frac(rule.get("quorum", "1/2")), bool(rule.get("quorum_strict", True)))
    yes, no, abstain = (_amount(Fraction(totals.get(c, 0))) for c in CHOICES)
    quorum = quorum_rule.check(_amount(present), legal, of_what=of_what)
    if not quorum.passed:
        return Decision(False, False, f"not quorate: {quorum.text}")
    kind = rule["threshold"]
    if kind == "majority_cast":
        result = thresholds.majority_of_valid(yes, no, blank=abstain)
    elif kind == "absolute_majority":
        result = thresholds.absolute_majority(yes, legal, of_what=of_what)
    elif kind == "qualified":
        result = thresholds.qualified_majority(yes, legal, frac(rule["fraction"]))
    elif kind == "quorum":
        cast = quorum_rule.check(_amount(Fraction(yes + no + abstain)), legal, of_what=of_what)
        majority = thresholds.majority_of_valid(yes, no, blank=abstain)
        verdict = "adopted" if cast.passed and majority.passed else "rejected"
        return Decision(
            True,
            cast.passed and majority.passed,
            f"{quorum.text}; {verdict}: votes cast, {cast.text}; {majority.text}",
        )
    else:
        raise ValueError(f"unknown threshold {kind!r}")
    verdict = "adopted" if result.passed else "rejected"
    return Decision(True, result.passed, f"{quorum.text}; {verdict}: {result.text}")


def tally(votes: Iterable[Mapping[str, Any]]) -> dict[str, Fraction]:
    """Sum of weights per choice of votes ({"choice", "weight"}: a ``Fraction`` or its text)."""
    totals = {c: Fraction(0) for c in CHOICES}
    for vote in votes:
        totals[vote["choice"]] += frac(vote["weight"])
    return totals


def instruction_result(counts: Mapping[str, int]) -> str:
    best = max(int(counts.get(o, 0)) for o in INSTRUCTION_OPTIONS)
    leaders = [o for o in INSTRUCTION_OPTIONS if int(counts.get(o, 0)) == best]
    if best == 0 or len(leaders) > 1:
        return "free"
    return leaders[0]


def is_deviation(instructed: str | None, choice: str) -> bool:
    return instructed not in (None, "", "free") and instructed != choice
