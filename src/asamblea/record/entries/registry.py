"""The registry's record entries: organisations, bodies, seat links, rolls, seats, mandates.

Every v1 type keeps the bytes the first release wrote; its times are ``micro``
(``YYYY-MM-DDTHH:MM:SS.ffffffZ``). Members, memberships and member lists are never on the
record: a roll appears only as its size and a hiding commitment; a member only as the holder of a
seat or a place among the alternates, by public id and name.

Pure: no Django.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asamblea.record.encoding import EncodingError
from asamblea.record.entries.base import Entry, Part, entry, time_field

_AT = "2026-01-02T03:04:05.000006Z"
_BODY: dict[str, Any] = {
    "code": "fabrica-norte",
    "name": "Fábrica Norte",
    "kind": "workplace",
    "level": "",
    "region": "Altiplano",
    "seat_rule": "per_n",
    "house_size": None,
    "voting_rule": "one_delegate_one_vote",
}


# --- organisations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationPart(Part):
    slug: str
    name: str


@entry(
    "organisation_created",
    1,
    example={"organisation": {"slug": "federacion", "name": "Federación Única"}},
)
@dataclass(frozen=True)
class OrganisationCreatedV1(Entry):
    organisation: OrganisationPart


@entry(
    "organisation_settings_changed",
    1,
    example={"settings": {"recall_threshold": "1/5", "recall_days": 30}},
)
@dataclass(frozen=True)
class OrganisationSettingsChangedV1(Entry):
    """The full settings in force after the change (JSON values as the organisation holds them)."""

    settings: dict[str, Any]


# --- bodies and seat links -----------------------------------------------------------------------


@dataclass(frozen=True)
class BodyPart(Part):
    code: str
    name: str
    kind: str
    level: str
    region: str
    seat_rule: str
    house_size: int | None
    voting_rule: str


@dataclass(frozen=True)
class ChangedBodyPart(BodyPart):
    dissolved_at: dt.datetime | None = time_field("micro")


@entry("body_created", 1, example={"body": _BODY})
@dataclass(frozen=True)
class BodyCreatedV1(Entry):
    body: BodyPart


@entry("body_changed", 1, example={"body": {**_BODY, "dissolved_at": None}})
@dataclass(frozen=True)
class BodyChangedV1(Entry):
    """The body as it is after the change (a dissolution sets ``dissolved_at``)."""

    body: ChangedBodyPart


@dataclass(frozen=True)
class SeatLinkPart(Part):
    sender: str
    receiver: str
    members_per_seat: int | None
    minimum_seats: int
    fixed_seats: int | None


@entry(
    "seat_link_set",
    1,
    example={
        "link": {
            "sender": "fabrica-norte",
            "receiver": "asamblea-regional",
            "members_per_seat": 50,
            "minimum_seats": 1,
            "fixed_seats": None,
        }
    },
)
@dataclass(frozen=True)
class SeatLinkSetV1(Entry):
    link: SeatLinkPart


# --- rolls and seats -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RollPart(Part):
    id: int
    body: str
    purpose: str
    size: int
    commitment: str
    frozen_at: dt.datetime = time_field("micro")


@entry(
    "roll_frozen",
    1,
    example={
        "roll": {
            "id": 7,
            "body": "fabrica-norte",
            "frozen_at": _AT,
            "purpose": "election",
            "size": 120,
            "commitment": "5f" * 32,
        }
    },
)
@dataclass(frozen=True)
class RollFrozenV1(Entry):
    """A roll frozen: its size and a hiding commitment to its members, never the list."""

    roll: RollPart


@dataclass(frozen=True)
class AllocationPart(Part):
    sender: str
    roll_id: int | None
    population: int
    seats: int


@dataclass(frozen=True)
class TiePart(Part):
    tied: list[str]
    seats: int
    chosen: list[str]


# The first apportionments were written before the seed of the lot and its draws were published:
# their entries have neither key. Both keys are absent together or present together.
_APPORTIONMENT_LATER_KEYS = ("seed", "ties")


@dataclass(frozen=True)
class ApportionmentPart(Part):
    id: int
    body: str
    rule: str
    house_size: int | None
    total_seats: int
    allocations: list[AllocationPart]
    seed: str | None = None
    ties: list[TiePart] | None = None

    def to_payload(self) -> dict[str, Any]:
        payload = super().to_payload()
        if self.seed is None and self.ties is None:
            for key in _APPORTIONMENT_LATER_KEYS:
                del payload[key]
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], where: str = "") -> Any:
        where = where or cls.__name__
        if not isinstance(payload, Mapping):
            raise EncodingError(f"{where}: expected an object")
        present = [k for k in _APPORTIONMENT_LATER_KEYS if k in payload]
        if present and len(present) != len(_APPORTIONMENT_LATER_KEYS):
            raise EncodingError(f"{where}: seed and ties come together")
        if present and any(payload[k] is None for k in present):
            raise EncodingError(f"{where}: seed and ties are written only when known")
        if not present:
            payload = {**payload, "seed": None, "ties": None}
        part = super().from_payload(payload, where)
        if part.ties is None:
            return part
        # The union hint leaves the draws as objects; type them like every other part.
        ties = [TiePart.from_payload(t, f"{where}.ties[{i}]") for i, t in enumerate(part.ties)]
        return dataclasses.replace(part, ties=ties)


@entry(
    "seats_apportioned",
    1,
    example={
        "apportionment": {
            "id": 3,
            "body": "asamblea-regional",
            "rule": "per_n",
            "house_size": None,
            "total_seats": 3,
            "allocations": [
                {"sender": "fabrica-norte", "roll_id": 7, "population": 120, "seats": 3}
            ],
        }
    },
)
@dataclass(frozen=True)
class SeatsApportionedV1(Entry):
    apportionment: ApportionmentPart


# --- mandates and alternates ---------------------------------------------------------------------


@dataclass(frozen=True)
class MandateRef(Part):
    id: int
    body: str
    unit: str
    seat_number: int
    member: str


@dataclass(frozen=True)
class MandateStartedPart(MandateRef):
    display_name: str
    source: str
    started_at: dt.datetime = time_field("micro")


@dataclass(frozen=True)
class MandateEndedPart(MandateRef):
    end_reason: str
    ended_at: dt.datetime = time_field("micro")


@entry(
    "mandate_started",
    1,
    example={
        "mandate": {
            "id": 11,
            "body": "asamblea-regional",
            "unit": "fabrica-norte",
            "seat_number": 1,
            "member": "abcdefghijklmnop",
            "display_name": "Rosa Quispe",
            "started_at": _AT,
            "source": "election:4",
        }
    },
)
@dataclass(frozen=True)
class MandateStartedV1(Entry):
    mandate: MandateStartedPart


@entry(
    "mandate_ended",
    1,
    example={
        "mandate": {
            "id": 11,
            "body": "asamblea-regional",
            "unit": "fabrica-norte",
            "seat_number": 1,
            "member": "abcdefghijklmnop",
            "ended_at": _AT,
            "end_reason": "recalled",
        }
    },
)
@dataclass(frozen=True)
class MandateEndedV1(Entry):
    mandate: MandateEndedPart


@dataclass(frozen=True)
class AlternatePlace(Part):
    member: str
    display_name: str
    position: int


@dataclass(frozen=True)
class AlternatesPart(Part):
    body: str
    unit: str
    source: str
    members: list[AlternatePlace]


@entry(
    "alternates_set",
    1,
    example={
        "alternates": {
            "body": "asamblea-regional",
            "unit": "fabrica-norte",
            "source": "election:4",
            "members": [
                {"member": "qrstuvwxyz234567", "display_name": "Juan Mamani", "position": 1}
            ],
        }
    },
)
@dataclass(frozen=True)
class AlternatesSetV1(Entry):
    """A unit's ordered alternates for a body (first in the list is first in line)."""

    alternates: AlternatesPart


# --- offices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficePart(Part):
    """An office held in the organisation: who (the user's number and display name, never a
    sign-in name or contact), which role, for which body (None: the whole organisation)."""

    user_id: int
    name: str
    role: str
    body: str | None
    at: dt.datetime = time_field("micro")


_OFFICE: dict[str, Any] = {
    "user_id": 7,
    "name": "Rosa Quispe",
    "role": "election_officer",
    "body": None,
    "at": _AT,
}


@entry("officer_role_granted", 1, example={"office": _OFFICE})
@dataclass(frozen=True)
class OfficerRoleGrantedV1(Entry):
    """Who holds an office is public: members must know who runs their votes and sessions."""

    office: OfficePart


@entry("officer_role_revoked", 1, example={"office": _OFFICE})
@dataclass(frozen=True)
class OfficerRoleRevokedV1(Entry):
    office: OfficePart
