"""Recounting assemblies' decisions from the public record (pure: no Django, no database).

The same rules that decide when a division closes (:mod:`asamblea.rules.divisions`, with every
weight from :mod:`asamblea.rules.weights`) are run here on what the record published, so anyone
holding the record reaches the recorded outcome or learns, by entry index, that it differs.

A division's result is recounted from its inputs, not from its own claims:

- the rule must be the one published when the division opened, and each vote's instruction the
  one its unit published before it;
- the attendance is replayed from the session's ``assembly_attendance`` entries up to the result:
  the seats present and the amount present must be what the replay gives (v1: the weight each
  attendance entry states; v2: the weights of the opening snapshot), and every vote must come
  from a seat present;
- v2 (opened with a snapshot, ``assembly_division_opened`` v2): the legal number (seats and their
  total weight) and every vote's weight are recomputed from the snapshot's seats and allocations
  (population and seats per unit), and the votes must be exactly those published as they were
  cast (``assembly_votes_cast``);
- the totals are re-added and the decision re-taken.

Exact numbers are read in the form of the entry's version (docs/adr/0009-record-versions.md):
v1 openings and results as before (``str(Fraction)``, read by :func:`frac`); v2 openings and
results, and every ``assembly_votes_cast`` (new with the v2 conventions), only as ``num/den``
(record.encoding.parse_exact), a v1 spelling in them being a mismatch. Everything is compared as
``Fraction``, so the recount stays exact whichever form an entry uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import asamblea.record.entries.assemblies  # noqa: F401  (registers assemblies' entry types)
from asamblea.record.encoding import (
    EXACT_V1,
    EXACT_V2,
    EncodingError,
    parse_exact,
    registered_types,
)
from asamblea.record.recount import RecountMismatch
from asamblea.rules.divisions import (
    CHOICES,
    INSTRUCTION_OPTIONS,
    THRESHOLDS,
    Decision,
    decide,
    fmt,
    frac,
    instruction_result,
    is_deviation,
    tally,
)
from asamblea.rules.weights import total_weight, unit_weights

__all__ = [
    "CHOICES",
    "ENTRY_EXAMPLES",
    "INSTRUCTION_OPTIONS",
    "RECOUNTERS",
    "THRESHOLDS",
    "Decision",
    "RecountMismatch",
    "decide",
    "fmt",
    "frac",
    "instruction_result",
    "is_deviation",
    "recount",
    "tally",
]

# The example payload of every v1 entry type assemblies write (the golden files pin them).
ENTRY_EXAMPLES: dict[str, dict[str, Any]] = {
    t.name: dict(t.example)
    for t in registered_types()
    if t.name.startswith("assembly_") and t.version == 1 and t.example is not None
}


def _exact_form(entry: Mapping[str, Any]) -> int:
    """The exact-number form an entry's numbers are written in (see the module's docstring)."""
    if entry.get("type") == "assembly_votes_cast" or int(entry.get("v", 1)) >= 2:
        return EXACT_V2
    return EXACT_V1


def _number(text: Any, where: str, form: int) -> Fraction:
    if form == EXACT_V1:
        return frac(text)  # v1: read as the first release's recount read it
    try:
        return parse_exact(text, where, EXACT_V2)
    except EncodingError as exc:
        raise RecountMismatch(str(exc)) from None


_RULE_NUMBERS = ("legal", "quorum", "fraction")


def _rule_values(entry: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The entry's rule with its exact numbers as ``Fraction`` and no null ``fraction`` (v2
    always writes the key, v1 only for qualified majorities), to compare rules of any versions."""
    form = _exact_form(entry)
    rule = {k: v for k, v in entry["rule"].items() if not (k in _RULE_NUMBERS and v is None)}
    for key in _RULE_NUMBERS:
        if key in rule:
            rule[key] = _number(rule[key], f"{where}: rule.{key}", form)
    return rule


def _rule(entry: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The rule the decision is re-taken under: a v1 rule as written (as before), v2 as values."""
    if _exact_form(entry) == EXACT_V1:
        return dict(entry["rule"])
    return _rule_values(entry, where)


def _same_rule(opening: Mapping[str, Any], entry: Mapping[str, Any], where: str) -> bool:
    if _exact_form(opening) == _exact_form(entry) == EXACT_V1:
        return bool(opening["rule"] == entry["rule"])  # v1 with v1: the text as written
    return _rule_values(opening, where) == _rule_values(entry, where)


def _votes(entry: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    """The entry's votes with each weight as a ``Fraction``."""
    form = _exact_form(entry)
    return [
        {**v, "weight": _number(v["weight"], f"{where}: seat {v['seat_id']}'s weight", form)}
        for v in entry["votes"]
    ]


def _earlier(
    entries: list[dict[str, Any]], entry: Mapping[str, Any], kind: str
) -> list[dict[str, Any]]:
    index = entry.get("index")
    upto = entries[:index] if isinstance(index, int) else entries
    return [e for e in upto if e.get("type") == kind]


def _opening(entries: list[dict[str, Any]], entry: Mapping[str, Any]) -> dict[str, Any] | None:
    opened = [
        e
        for e in _earlier(entries, entry, "assembly_division_opened")
        if e.get("division_id") == entry["division_id"]
    ]
    return opened[-1] if opened else None


def _replayed_attendance(
    entries: list[dict[str, Any]], entry: Mapping[str, Any]
) -> dict[int, dict[str, Any]] | None:
    """Seat id -> its last attendance entry, for the seats present when ``entry`` was written.

    None when the record does not hold the session from its opening (a partial log): then there
    is nothing to replay.
    """
    session_id = entry["session_id"]
    if not any(
        e.get("session_id") == session_id
        for e in _earlier(entries, entry, "assembly_session_opened")
    ):
        return None
    present: dict[int, dict[str, Any]] = {}
    for e in _earlier(entries, entry, "assembly_attendance"):
        if e.get("session_id") != session_id:
            continue
        if e.get("present"):
            present[int(e["seat_id"])] = e
        else:
            present.pop(int(e["seat_id"]), None)
    return present


def _snapshot_weights(snapshot: Mapping[str, Any]) -> tuple[dict[int, str], dict[str, Fraction]]:
    """(seat id -> unit, unit -> weight of one seat) from a v2 opening's snapshot."""
    seat_unit = {int(s["seat_id"]): str(s["unit"]) for s in snapshot["seats"]}
    if snapshot["voting_rule"] == "weighted":
        weights = unit_weights(
            weighted=True,
            allocations={
                str(a["unit"]): (int(a["population"]), int(a["seats"]))
                for a in snapshot["allocations"]
            },
        )
    else:
        weights = dict.fromkeys(seat_unit.values(), Fraction(1))
    return seat_unit, weights


def _check_attendance(
    where: str,
    entry: Mapping[str, Any],
    present: dict[int, dict[str, Any]],
    seat_weight: Any,
) -> None:
    """The seats and amount present, and each vote's seat, against the replayed attendance."""
    form = _exact_form(entry)
    amount = sum((seat_weight(seat, e) for seat, e in present.items()), Fraction(0))
    if int(entry["seats_present"]) != len(present):
        raise RecountMismatch(
            f"{where}: {entry['seats_present']} seats recorded present, the attendance on the"
            f" record gives {len(present)}"
        )
    if _number(entry["present"], f"{where}: present", form) != amount:
        raise RecountMismatch(
            f"{where}: {entry['present']} recorded present, the attendance on the record gives"
            f" {fmt(amount)}"
        )
    for v in entry["votes"]:
        if int(v["seat_id"]) not in present:
            raise RecountMismatch(
                f"{where}: seat {v['seat_id']} voted but is not present on the record"
            )


def _check_snapshot(
    where: str,
    entry: Mapping[str, Any],
    opening: Mapping[str, Any] | None,
    present: dict[int, dict[str, Any]] | None,
    entries: list[dict[str, Any]],
) -> None:
    """v2: legal number, every weight, present and the votes cast, from the opening snapshot."""
    if opening is None or "snapshot" not in opening:
        raise RecountMismatch(f"{where}: no snapshot was published when the division opened")
    if present is None:
        raise RecountMismatch(f"{where}: the session's opening is not on the record")
    seat_unit, weights = _snapshot_weights(opening["snapshot"])
    counts: dict[str, int] = {}
    for unit in seat_unit.values():
        counts[unit] = counts.get(unit, 0) + 1
    rule = entry["rule"]
    legal = total_weight(weights, counts)
    if int(rule["seats"]) != len(seat_unit) or _rule_values(entry, where)["legal"] != legal:
        raise RecountMismatch(
            f"{where}: the rule states {rule['seats']} seats, legal number {rule['legal']};"
            f" the snapshot gives {len(seat_unit)} seats, {fmt(legal)}"
        )

    def weight_of(seat: int, _attendance: Any = None) -> Fraction:
        unit = seat_unit.get(seat)
        if unit is None:
            raise RecountMismatch(f"{where}: seat {seat} is not a seat of the snapshot")
        return weights.get(unit, Fraction(0))

    for v in _votes(entry, where):
        seat = int(v["seat_id"])
        if seat_unit.get(seat) != v["unit"] or v["weight"] != weight_of(seat):
            raise RecountMismatch(
                f"{where}: seat {seat} votes with weight {v['weight']} for {v['unit']!r}; the"
                f" snapshot gives {fmt(weight_of(seat))} for {seat_unit.get(seat)!r}"
            )
    if sorted(int(s) for s in entry["present_seats"]) != sorted(present):
        raise RecountMismatch(
            f"{where}: the seats recorded present differ from the attendance on the record"
        )
    _check_attendance(where, entry, present, weight_of)
    # Compared as values (weights as Fraction), whichever form each entry writes them in.
    cast = {
        int(v["seat_id"]): v
        for e in _earlier(entries, entry, "assembly_votes_cast")
        if e.get("division_id") == entry["division_id"]
        for v in _votes(e, f"entry {e.get('index')}")
    }
    recorded = {int(v["seat_id"]): v for v in _votes(entry, where)}
    if cast != recorded:
        differ = sorted(s for s in set(cast) | set(recorded) if cast.get(s) != recorded.get(s))
        raise RecountMismatch(
            f"{where}: the votes differ from those published as cast (seats {differ[:10]})"
        )


def _recount_division(entry: Mapping[str, Any], entries: list[dict[str, Any]]) -> None:
    where = f"entry {entry.get('index')} (division {entry.get('division_id')})"
    form = _exact_form(entry)
    rule = _rule(entry, where)
    votes = _votes(entry, where)
    seats = [v["seat_id"] for v in votes]
    if len(set(seats)) != len(seats):
        raise RecountMismatch(f"{where}: a seat voted twice")
    if rule.get("basis", "seats") == "seats" and any(v["weight"] != 1 for v in votes):
        raise RecountMismatch(f"{where}: one delegate, one vote, but a weight is not 1")
    # The rule must be the one published when the division opened.
    opening = _opening(entries, entry)
    if opening is not None and not _same_rule(opening, entry, where):
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
        if v.get("deviation") and rule.get("mandate_mode") == "bound":
            raise RecountMismatch(f"{where}: seat {v['seat_id']} deviated under a bound mandate")
    # Who was present: replayed from the attendance entries, never taken from the result itself.
    present = _replayed_attendance(entries, entry) if entries else None
    if int(entry.get("v", 1)) >= 2:
        if entries:
            _check_snapshot(where, entry, opening, present, entries)
    elif present is not None:
        _check_attendance(where, entry, present, lambda _seat, e: frac(e["weight"]))
    totals = tally(votes)
    recorded = {c: _number(entry["totals"][c], f"{where}: totals.{c}", form) for c in CHOICES}
    if totals != recorded:
        raise RecountMismatch(
            f"{where}: totals recomputed { ({c: fmt(v) for c, v in totals.items()}) }"
            f" differ from recorded {entry['totals']}"
        )
    decision = decide(rule, totals, _number(entry["present"], f"{where}: present", form))
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
    if entry.get("election") is not None and entries:
        _check_instruction_election(entry, entries, where)


def _check_instruction_election(
    entry: Mapping[str, Any], entries: list[dict[str, Any]], where: str
) -> None:
    """A unit's vote through the elections machinery: the counts must be the tally of that
    election's count, itself recounted (for a sealed vote, from the totals the trustees'
    partial decryptions give) by asamblea.record.recount_elections."""
    election = entry["election"]
    opened = [
        e for e in entries if e.get("type") == "election_opened" and e.get("election") == election
    ]
    counted = [
        e
        for e in entries
        if e.get("type") == "election_counted"
        and e.get("election") == election
        and int(e.get("index", 0)) < int(entry.get("index", 0))
    ]
    if len(opened) != 1 or len(counted) != 1:
        raise RecountMismatch(f"{where}: election {election} is not opened and counted before it")
    if opened[0].get("kind") != "instruction" or opened[0].get("unit") != entry["unit"]:
        raise RecountMismatch(f"{where}: election {election} is not this unit's instruction vote")
    if int(opened[0]["roll"]["size"]) != int(entry["roll_size"]):
        raise RecountMismatch(f"{where}: the roll size differs from election {election}'s")
    tally = (counted[0].get("result") or {}).get("tally")
    if tally != dict(entry["counts"]):
        raise RecountMismatch(
            f"{where}: counts {dict(entry['counts'])} differ from election {election}'s {tally}"
        )


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
