"""Recounting assemblies' decisions from the public record (pure: no Django, no database).

The same :func:`decide` that ``asamblea.assemblies.actions`` uses when a division closes is run
here on the recorded votes, so anyone holding the record reaches the recorded outcome or learns
that it differs.

Comparisons are exact (``Fraction``), as SYSTEM.md states them:

- ``majority_cast``: for > against (abstentions are not votes cast);
- ``absolute_majority``: for × 2 > legal number;
- ``qualified`` with fraction p/q: for × q ≥ p × legal number (two thirds of 130 is 87);
- ``quorum``: votes cast, abstentions included, reach the quorum, and for > against.

The legal number is all the body's seats (basis ``seats``) or their total weight (basis
``weight``), present or not. Quorum: present × q > p × legal when ``quorum_strict`` (the default,
"a majority of the seats"), present × q ≥ p × legal otherwise. A division that is not quorate
adopts nothing.

Instructions (imperative mandates): the option with the most ballots among for, against, abstain
and free; a tie for the most, or no ballot at all, leaves the delegates free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from asamblea.record.encoding import register_entry_type
from asamblea.record.recount import RecountMismatch
from asamblea.rules import thresholds
from asamblea.rules.quorum import QuorumRule

CHOICES = ("for", "against", "abstain")
INSTRUCTION_OPTIONS = ("for", "against", "abstain", "free")
THRESHOLDS = ("majority_cast", "absolute_majority", "qualified", "quorum")
VERSION = 1

_SESSION = {"session_id": 3, "body_id": 12, "body": "comite-sur"}
_RULE = {
    "threshold": "qualified",
    "fraction": "2/3",
    "basis": "weight",
    "seats": 3,
    "legal": "1300/3",
    "quorum": "1/2",
    "quorum_strict": True,
    "mandate_mode": "report",
    "voting_rule": "weighted",
}
_VOTE = {
    "seat_id": 41,
    "unit": "mina-norte",
    "unit_name": "Mina Norte",
    "member": "abcdefghijklmnop",
    "name": "Rosa Quispe Mamani",
    "alternate": False,
    "choice": "for",
    "weight": "1300/3",
    "instructed": "for",
    "deviation": False,
}
# Every entry type assemblies append, with a representative payload (the golden files pin them).
ENTRY_EXAMPLES: dict[str, dict[str, Any]] = {
    "assembly_session_scheduled": {
        **_SESSION,
        "title": "Sesión del 28 de diciembre",
        "agenda": ["Paro regional indefinido", "Marcha a Lima"],
        "place": "Juliaca",
        "scheduled_at": "2022-12-28T15:00:00+00:00",
    },
    "assembly_session_opened": {
        **_SESSION,
        "opened_at": "2022-12-28T15:05:00+00:00",
        "seats": 3,
        "legal": "1300/3",
        "voting_rule": "weighted",
    },
    "assembly_session_closed": {**_SESSION, "closed_at": "2022-12-28T19:00:00+00:00"},
    "assembly_attendance": {
        **_SESSION,
        "seat_id": 41,
        "unit": "mina-norte",
        "member": "abcdefghijklmnop",
        "name": "Rosa Quispe Mamani",
        "mandate_id": 9,
        "standing_in": False,
        "present": True,
        "weight": "1300/3",
    },
    "assembly_motion": {
        **_SESSION,
        "motion_id": 5,
        "number": 1,
        "amends": None,
        "proposer": "Mina Norte",
        "proposer_member": None,
        "title": "Paro regional indefinido",
        "text": "Desde el 4 de enero.",
        "threshold": "qualified",
        "fraction": "2/3",
        "resolution_kind": "strike_call",
    },
    "assembly_motion_withdrawn": {**_SESSION, "motion_id": 5},
    "assembly_division_opened": {**_SESSION, "division_id": 2, "motion_id": 5, "rule": _RULE},
    "assembly_division_result": {
        **_SESSION,
        "division_id": 2,
        "motion_id": 5,
        "motion": "Paro regional indefinido",
        "rule": _RULE,
        "present": "1300/3",
        "seats_present": 3,
        "votes": [_VOTE],
        "totals": {"for": "1300/3", "against": "0", "abstain": "0"},
        "quorate": True,
        "outcome": "adopted",
        "explanation": "quorum met; adopted",
    },
    "assembly_deviation": {
        "division_id": 2,
        "motion_id": 5,
        "instruction_id": 4,
        "seat_id": 41,
        "unit": "mina-norte",
        "member": "abcdefghijklmnop",
        "name": "Rosa Quispe Mamani",
        "mandate_id": 9,
        "instructed": "against",
        "choice": "for",
        "mode": "report",
        "consequence": "",
    },
    "assembly_instruction_opened": {
        "instruction_id": 4,
        "motion_id": 5,
        "unit": "mina-norte",
        "roll_id": 7,
        "roll_size": 1300,
        "roll_commitment": "0" * 64,
    },
    "assembly_instruction_result": {
        "instruction_id": 4,
        "motion_id": 5,
        "unit": "mina-norte",
        "method": "ballot",
        "roll_id": 7,
        "roll_size": 1300,
        "counts": {"for": 700, "against": 300, "abstain": 20, "free": 10},
        "result": "for",
        "rule": "the option with the most ballots; a tie for the most leaves the delegates free",
    },
    "assembly_resolution_adopted": {
        "resolution_id": 1,
        "body_id": 12,
        "body": "comite-sur",
        "motion_id": 5,
        "division_id": 2,
        "kind": "strike_call",
        "title": "Paro regional indefinido",
        "text": "Desde el 4 de enero.",
        "status": "pending",
    },
    "assembly_resolution_status": {
        "resolution_id": 1,
        "body_id": 12,
        "previous": "pending",
        "status": "met",
        "note": "",
    },
}
for _name, _example in ENTRY_EXAMPLES.items():
    register_entry_type(_name, VERSION, _example.keys(), example=_example)


@dataclass(frozen=True, slots=True)
class Decision:
    is_quorate: bool
    is_adopted: bool
    explanation: str


def frac(value: Any) -> Fraction:
    """Parse an exact number written on the record ("87", "1300/3"); floats are refused."""
    if isinstance(value, bool | float):
        raise ValueError(f"not an exact number: {value!r}")
    return Fraction(value)


def fmt(value: Fraction | int) -> str:
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


def tally(votes: list[Mapping[str, Any]]) -> dict[str, Fraction]:
    """Sum of weights per choice of recorded votes ({"choice", "weight"})."""
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


def _earlier(
    entries: list[dict[str, Any]], entry: Mapping[str, Any], kind: str
) -> list[dict[str, Any]]:
    index = entry.get("index")
    upto = entries[:index] if isinstance(index, int) else entries
    return [e for e in upto if e.get("type") == kind]


def _recount_division(entry: Mapping[str, Any], entries: list[dict[str, Any]]) -> None:
    where = f"entry {entry.get('index')} (division {entry.get('division_id')})"
    votes = entry["votes"]
    seats = [v["seat_id"] for v in votes]
    if len(set(seats)) != len(seats):
        raise RecountMismatch(f"{where}: a seat voted twice")
    if entry["rule"].get("basis", "seats") == "seats" and any(
        frac(v["weight"]) != 1 for v in votes
    ):
        raise RecountMismatch(f"{where}: one delegate, one vote, but a weight is not 1")
    # The rule must be the one published when the division opened.
    opened = [
        e
        for e in _earlier(entries, entry, "assembly_division_opened")
        if e.get("division_id") == entry["division_id"]
    ]
    if opened and opened[-1]["rule"] != entry["rule"]:
        raise RecountMismatch(f"{where}: the rule differs from the one published at opening")
    # Each vote's instruction must be the one its unit published before the division.
    published = {
        e["unit"]: e["result"]
        for e in _earlier(entries, entry, "assembly_instruction_result")
        if e.get("motion_id") == entry["motion_id"]
    }
    for v in votes:
        if entries and published.get(v["unit"]) != v.get("instructed"):
            raise RecountMismatch(
                f"{where}: seat {v['seat_id']} is recorded as instructed {v.get('instructed')!r},"
                f" its unit published {published.get(v['unit'])!r}"
            )
        if bool(v.get("deviation")) != is_deviation(v.get("instructed"), v["choice"]):
            raise RecountMismatch(f"{where}: deviation flag of seat {v['seat_id']} is wrong")
        if v.get("deviation") and entry["rule"].get("mandate_mode") == "bound":
            raise RecountMismatch(f"{where}: seat {v['seat_id']} deviated under a bound mandate")
    totals = tally(votes)
    recorded = {c: frac(entry["totals"][c]) for c in CHOICES}
    if totals != recorded:
        raise RecountMismatch(
            f"{where}: totals recomputed { ({c: fmt(v) for c, v in totals.items()}) }"
            f" differ from recorded {entry['totals']}"
        )
    decision = decide(entry["rule"], totals, frac(entry["present"]))
    outcome = "adopted" if decision.is_adopted else "rejected"
    if decision.is_quorate != entry["quorate"] or outcome != entry["outcome"]:
        raise RecountMismatch(
            f"{where}: recomputed {outcome} (quorate {decision.is_quorate}), recorded"
            f" {entry['outcome']} (quorate {entry['quorate']})"
        )


def _recount_instruction(entry: Mapping[str, Any], entries: list[dict[str, Any]]) -> None:
    where = f"entry {entry.get('index')} (instruction {entry.get('instruction_id')})"
    counts = entry["counts"]
    expected = instruction_result(counts)
    if expected != entry["result"]:
        raise RecountMismatch(f"{where}: recomputed {expected}, recorded {entry['result']}")
    if sum(int(counts[o]) for o in INSTRUCTION_OPTIONS) > int(entry["roll_size"]):
        raise RecountMismatch(f"{where}: more ballots than members on its roll")


def _recount_deviation(entry: Mapping[str, Any], entries: list[dict[str, Any]]) -> None:
    where = f"entry {entry.get('index')} (deviation in division {entry.get('division_id')})"
    if entry.get("mode") == "bound":
        raise RecountMismatch(f"{where}: a deviation under a bound mandate")
    if not is_deviation(entry["instructed"], entry["choice"]):
        raise RecountMismatch(f"{where}: flagged a vote that follows its instruction")


_RECOUNT = {
    "assembly_division_result": _recount_division,
    "assembly_instruction_result": _recount_instruction,
    "assembly_deviation": _recount_deviation,
}


def recount(entry: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """Recompute one assemblies entry; raise RecountMismatch if the record states otherwise.

    ``entries`` is the organisation's whole log (parsed, in order); when given, a division's rule
    and its votes' instructions are checked against what was published before it. Pass ``[]`` to
    recount an entry on its own.
    """
    check = _RECOUNT.get(str(entry.get("type")))
    if check is not None:
        check(entry, entries)


RECOUNTERS = dict.fromkeys(_RECOUNT, recount)
