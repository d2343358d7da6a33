"""Assemblies' record entries: sessions, attendance, motions, divisions, instructions, resolutions.

v1 types keep the bytes the first release wrote (times as ``datetime.isoformat()``, the "iso"
format). Three types are new with the "divisions verifiable from their inputs" change:

- ``assembly_division_opened`` v2: the rule and the *snapshot* fixed when the division opens:
  every seat of the body (id, unit) and each sending unit's weight inputs (population and seats
  of the current apportionment), so that the legal number and every seat's weight are recomputed
  by anyone (asamblea.rules.weights) rather than believed.
- ``assembly_votes_cast`` v1: the public votes entered in one transaction (one vote, or a page
  of the tally sheet), written as they are cast: a delegate's vote is public the moment it counts.
- ``assembly_division_result`` v2: v1 plus ``present_seats``, the seats the count took as present;
  the recount replays the record's attendance entries and the opening snapshot and checks the
  list, the amount present, the legal number, each weight and the votes cast.

These three follow the v2 conventions (docs/adr/0009-record-versions.md): every exact number
(the rule's legal number, quorum and fraction, each vote's weight, the amount present, the totals)
is ``"num/den"`` in lowest terms, whole values included (``"400/1"``, ``"0/1"``), declared with
:func:`exact_field`, and the rule is a typed part (:class:`DivisionRuleV2`) with every key always
present (``fraction`` null unless the threshold is qualified). Their v1 counterparts keep
``str(Fraction)`` and a rule dict whose ``fraction`` key appears only for qualified majorities.

Pure: no Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from asamblea.record.entries.base import Entry, Part, entry, exact_field, time_field

_SESSION: dict[str, Any] = {"session_id": 3, "body_id": 12, "body": "comite-sur"}
_RULE: dict[str, Any] = {
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
_VOTE: dict[str, Any] = {
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


@dataclass(frozen=True)
class SessionRef(Entry):
    """The session an entry belongs to (the first three keys of every session entry)."""

    session_id: int
    body_id: int
    body: str


@entry(
    "assembly_session_scheduled",
    1,
    example={
        **_SESSION,
        "title": "Sesión del 28 de diciembre",
        "agenda": ["Paro regional indefinido", "Marcha a Lima"],
        "place": "Juliaca",
        "scheduled_at": "2022-12-28T15:00:00+00:00",
    },
)
@dataclass(frozen=True)
class SessionScheduledV1(SessionRef):
    title: str
    agenda: list[str]
    place: str
    scheduled_at: dt.datetime = time_field("iso")


@entry(
    "assembly_session_opened",
    1,
    example={
        **_SESSION,
        "opened_at": "2022-12-28T15:05:00+00:00",
        "seats": 3,
        "legal": "1300/3",
        "voting_rule": "weighted",
    },
)
@dataclass(frozen=True)
class SessionOpenedV1(SessionRef):
    seats: int
    legal: str
    voting_rule: str
    # Last: mypy takes time_field() for a default (the payload's key order is the canonical one).
    opened_at: dt.datetime = time_field("iso")


@entry("assembly_session_closed", 1, example={**_SESSION, "closed_at": "2022-12-28T19:00:00+00:00"})
@dataclass(frozen=True)
class SessionClosedV1(SessionRef):
    closed_at: dt.datetime = time_field("iso")


@entry(
    "assembly_attendance",
    1,
    example={
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
)
@dataclass(frozen=True)
class AttendanceV1(SessionRef):
    """A seat marked present (with its weight then) or departed (``weight`` None)."""

    seat_id: int
    unit: str
    member: str
    name: str
    mandate_id: int
    standing_in: bool
    present: bool
    weight: str | None


@entry(
    "assembly_motion",
    1,
    example={
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
)
@dataclass(frozen=True)
class MotionV1(SessionRef):
    motion_id: int
    number: int
    amends: int | None
    proposer: str
    proposer_member: str | None
    title: str
    text: str
    threshold: str
    fraction: str | None
    resolution_kind: str | None


@entry("assembly_motion_withdrawn", 1, example={**_SESSION, "motion_id": 5})
@dataclass(frozen=True)
class MotionWithdrawnV1(SessionRef):
    motion_id: int


@entry(
    "assembly_division_opened",
    1,
    example={**_SESSION, "division_id": 2, "motion_id": 5, "rule": _RULE},
)
@dataclass(frozen=True)
class DivisionOpenedV1(SessionRef):
    division_id: int
    motion_id: int
    rule: dict[str, Any]


@dataclass(frozen=True)
class SnapshotSeat(Part):
    seat_id: int
    unit: str


@dataclass(frozen=True)
class SnapshotAllocation(Part):
    """A sending unit's share of the current apportionment: the inputs of its seats' weight."""

    unit: str
    population: int
    seats: int


@dataclass(frozen=True)
class DivisionSnapshot(Part):
    """What the division counts against, fixed when it opens."""

    voting_rule: str
    seats: list[SnapshotSeat]
    allocations: list[SnapshotAllocation]


@dataclass(frozen=True)
class DivisionRuleV2(Part):
    """The rule in force for a division, as v2 entries write it: every key always present,
    exact numbers ``num/den`` (``fraction`` null unless the threshold is ``qualified``)."""

    threshold: str
    basis: str
    seats: int
    quorum_strict: bool
    mandate_mode: str
    voting_rule: str
    # Exact fields last: mypy takes exact_field() for a default (the canonical key order is sorted).
    legal: Fraction = exact_field()
    quorum: Fraction = exact_field()
    fraction: Fraction | None = exact_field()


# The v2 examples: a weighted committee of three seats of one unit (1200 members, 400 per seat),
# so that whole exact numbers show their v2 form ("400/1", "0/1").
_RULE_V2: dict[str, Any] = {
    "threshold": "qualified",
    "fraction": "2/3",
    "basis": "weight",
    "seats": 3,
    "legal": "1200/1",
    "quorum": "1/2",
    "quorum_strict": True,
    "mandate_mode": "report",
    "voting_rule": "weighted",
}
_SNAPSHOT: dict[str, Any] = {
    "voting_rule": "weighted",
    "seats": [
        {"seat_id": 41, "unit": "mina-norte"},
        {"seat_id": 42, "unit": "mina-norte"},
        {"seat_id": 43, "unit": "mina-norte"},
    ],
    "allocations": [{"unit": "mina-norte", "population": 1200, "seats": 3}],
}


@entry(
    "assembly_division_opened",
    2,
    example={
        **_SESSION,
        "division_id": 2,
        "motion_id": 5,
        "rule": _RULE_V2,
        "snapshot": _SNAPSHOT,
    },
)
@dataclass(frozen=True)
class DivisionOpenedV2(SessionRef):
    division_id: int
    motion_id: int
    rule: DivisionRuleV2
    snapshot: DivisionSnapshot


@dataclass(frozen=True)
class VotePart(Part):
    """A seat's public vote as v1 division results write it (``weight`` as ``str(Fraction)``)."""

    seat_id: int
    unit: str
    unit_name: str
    member: str
    name: str
    alternate: bool
    choice: str
    weight: str
    instructed: str | None
    deviation: bool


_RESULT: dict[str, Any] = {
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
}


@entry("assembly_division_result", 1, example=_RESULT)
@dataclass(frozen=True)
class DivisionResultV1(SessionRef):
    division_id: int
    motion_id: int
    motion: str
    rule: dict[str, Any]
    present: str
    seats_present: int
    votes: list[VotePart]
    totals: dict[str, str]
    quorate: bool
    outcome: str
    explanation: str


@dataclass(frozen=True)
class VotePartV2(Part):
    """A seat's public vote in the v2 forms (``weight`` an exact ``num/den``)."""

    seat_id: int
    unit: str
    unit_name: str
    member: str
    name: str
    alternate: bool
    choice: str
    instructed: str | None
    deviation: bool
    weight: Fraction = exact_field()


_VOTE_V2: dict[str, Any] = {**_VOTE, "weight": "400/1"}


@entry(
    "assembly_votes_cast",
    1,
    example={**_SESSION, "division_id": 2, "motion_id": 5, "votes": [_VOTE_V2]},
)
@dataclass(frozen=True)
class VotesCastV1(SessionRef):
    """Public votes entered in one transaction, written as they are cast (v2 conventions)."""

    division_id: int
    motion_id: int
    votes: list[VotePartV2]


@entry(
    "assembly_division_result",
    2,
    example={
        **_RESULT,
        "rule": _RULE_V2,
        "present": "1200/1",
        "votes": [_VOTE_V2],
        "totals": {"for": "400/1", "against": "0/1", "abstain": "0/1"},
        "outcome": "rejected",
        "explanation": "quorum met; rejected",
        "present_seats": [41, 42, 43],
    },
)
@dataclass(frozen=True)
class DivisionResultV2(SessionRef):
    """v1 plus the seats counted as present (checked against the replayed attendance), in the
    v2 forms: a typed rule, exact numbers ``num/den``."""

    division_id: int
    motion_id: int
    motion: str
    rule: DivisionRuleV2
    seats_present: int
    votes: list[VotePartV2]
    quorate: bool
    outcome: str
    explanation: str
    present_seats: list[int]
    present: Fraction = exact_field()
    totals: dict[str, Fraction] = exact_field()


@entry(
    "assembly_deviation",
    1,
    example={
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
)
@dataclass(frozen=True)
class DeviationV1(Entry):
    division_id: int
    motion_id: int
    instruction_id: int
    seat_id: int
    unit: str
    member: str
    name: str
    mandate_id: int
    instructed: str
    choice: str
    mode: str
    consequence: str


@entry(
    "assembly_instruction_opened",
    1,
    example={
        "instruction_id": 4,
        "motion_id": 5,
        "unit": "mina-norte",
        "roll_id": 7,
        "roll_size": 1300,
        "roll_commitment": "0" * 64,
    },
)
@dataclass(frozen=True)
class InstructionOpenedV1(Entry):
    instruction_id: int
    motion_id: int
    unit: str
    roll_id: int
    roll_size: int
    roll_commitment: str


INSTRUCTION_RULE = "the option with the most ballots; a tie for the most leaves the delegates free"


@entry(
    "assembly_instruction_result",
    1,
    example={
        "instruction_id": 4,
        "motion_id": 5,
        "unit": "mina-norte",
        "method": "ballot",
        "roll_id": 7,
        "roll_size": 1300,
        "counts": {"for": 700, "against": 300, "abstain": 20, "free": 10},
        "result": "for",
        "rule": INSTRUCTION_RULE,
    },
)
@dataclass(frozen=True)
class InstructionResultV1(Entry):
    instruction_id: int
    motion_id: int
    unit: str
    method: str
    roll_id: int | None
    roll_size: int
    counts: dict[str, int]
    result: str
    rule: str


@entry(
    "assembly_instruction_opened",
    2,
    example={
        "instruction_id": 4,
        "motion_id": 5,
        "unit": "mina-norte",
        "election": 31,
        "roll_id": 7,
        "roll_size": 1300,
        "roll_commitment": "0" * 64,
    },
)
@dataclass(frozen=True)
class InstructionOpenedV2(Entry):
    """The unit's instruction vote opened as ``election`` (kind "instruction"): its ballots,
    sealing, decryption and count are that election's entries."""

    instruction_id: int
    motion_id: int
    unit: str
    election: int
    roll_id: int
    roll_size: int
    roll_commitment: str


@entry(
    "assembly_instruction_result",
    2,
    example={
        "instruction_id": 4,
        "motion_id": 5,
        "unit": "mina-norte",
        "method": "election",
        "election": 31,
        "roll_id": 7,
        "roll_size": 1300,
        "counts": {"for": 700, "against": 300, "abstain": 20, "free": 10},
        "result": "for",
        "rule": INSTRUCTION_RULE,
    },
)
@dataclass(frozen=True)
class InstructionResultV2(Entry):
    """As v1, with the election whose count (``election_counted``, recounted from the trustees'
    decrypted totals for a sealed vote) the counts must equal; ``election`` is None for a count
    entered by tellers or an assembly."""

    instruction_id: int
    motion_id: int
    unit: str
    method: str
    election: int | None
    roll_id: int | None
    roll_size: int
    counts: dict[str, int]
    result: str
    rule: str


@entry(
    "assembly_resolution_adopted",
    1,
    example={
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
)
@dataclass(frozen=True)
class ResolutionAdoptedV1(Entry):
    resolution_id: int
    body_id: int
    body: str
    motion_id: int
    division_id: int
    kind: str
    title: str
    text: str
    status: str


@entry(
    "assembly_resolution_status",
    1,
    example={
        "resolution_id": 1,
        "body_id": 12,
        "previous": "pending",
        "status": "met",
        "note": "",
    },
)
@dataclass(frozen=True)
class ResolutionStatusV1(Entry):
    resolution_id: int
    body_id: int
    previous: str
    status: str
    note: str
