"""Builders of organisations, units, seats and mandates for the assemblies tests.

Built with the registry's models directly, the way an apportionment leaves them: one Allocation per
sending unit (population from its frozen roll), Seats, and one Mandate per seat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from asamblea.core.clock import now
from asamblea.registry.models import (
    Allocation,
    Alternate,
    Apportionment,
    Body,
    Mandate,
    Member,
    Membership,
    OfficerRole,
    Organisation,
    Roll,
    RollEntry,
    Seat,
)


@dataclass
class Built:
    org: Organisation
    body: Body
    units: list[Body]
    seats: list[Seat]
    mandates: list[Mandate]
    members_by_unit: dict[int, list[Member]] = field(default_factory=dict)

    def seats_of(self, unit: Body) -> list[Seat]:
        return [s for s in self.seats if s.unit_id == unit.pk]


_counter = [0]


def _next() -> int:
    _counter[0] += 1
    return _counter[0]


def make_org(slug: str = "fed", **settings: Any) -> Organisation:
    return Organisation.objects.create(
        slug=f"{slug}-{_next()}", name=f"Federation {slug}", settings=settings, created_at=now()
    )


def make_unit(org: Organisation, name: str, members: int = 0) -> Body:
    unit = Body.objects.create(
        organisation=org,
        code=f"u{_next()}",
        name=name,
        kind=Body.Kind.WORKPLACE,
        created_at=now(),
    )
    for i in range(members):
        make_member(org, unit, f"{name} member {i + 1}")
    return unit


def make_member(org: Organisation, unit: Body | None, name: str) -> Member:
    member = Member.objects.create(
        organisation=org, member_ref=f"m{_next()}", display_name=name, created_at=now()
    )
    if unit is not None:
        Membership.objects.create(member=member, unit=unit, joined_on=dt.date(2022, 1, 1))
    return member


def freeze_roll(unit: Body, at: dt.datetime | None = None) -> Roll:
    members = list(Member.objects.filter(memberships__unit=unit, memberships__left_on__isnull=True))
    salt = secrets.token_hex(16)
    roll = Roll.objects.create(
        body=unit,
        frozen_at=at or now() - dt.timedelta(seconds=1),
        size=len(members),
        salt=salt,
        commitment=hashlib.sha256(salt.encode()).hexdigest(),
    )
    RollEntry.objects.bulk_create([RollEntry(roll=roll, member=m) for m in members])
    return roll


def apportion(body: Body, populations: dict[Body, tuple[int, int]]) -> Apportionment:
    """Make ``populations`` ({unit: (population, seats)}) the body's current apportionment."""
    Apportionment.objects.filter(receiver=body, is_current=True).update(is_current=False)
    app = Apportionment.objects.create(
        receiver=body,
        computed_at=now(),
        rule=body.seat_rule,
        total_seats=sum(s for _, s in populations.values()),
    )
    for unit, (population, seats) in populations.items():
        Allocation.objects.create(
            apportionment=app, sender=unit, population=population, seats=seats
        )
    return app


def build_body(
    *,
    units: list[tuple[str, int]],
    weighted: bool = False,
    populations: list[int] | None = None,
    kind: str = Body.Kind.ASSEMBLY,
    org: Organisation | None = None,
    name: str = "Regional assembly",
    delegate_names: list[str] | None = None,
    **settings: Any,
) -> Built:
    """A body with seats from ``units`` ([(unit name, seats)]), each seat held by a delegate."""
    org = org or make_org(**settings)
    body = Body.objects.create(
        organisation=org,
        code=f"b{_next()}",
        name=name,
        kind=kind,
        voting_rule=Body.VotingRule.WEIGHTED if weighted else Body.VotingRule.ONE_DELEGATE_ONE_VOTE,
        created_at=now(),
    )
    built = Built(org=org, body=body, units=[], seats=[], mandates=[])
    alloc: dict[Body, tuple[int, int]] = {}
    names = iter(delegate_names or [])
    for i, (unit_name, n_seats) in enumerate(units):
        unit = make_unit(org, unit_name)
        built.units.append(unit)
        population = populations[i] if populations else n_seats
        alloc[unit] = (population, n_seats)
        for number in range(1, n_seats + 1):
            seat = Seat.objects.create(body=body, unit=unit, number=number, created_at=now())
            delegate = make_member(org, unit, next(names, f"Delegate {unit_name} {number}"))
            mandate = Mandate.objects.create(
                seat=seat, member=delegate, started_at=now() - dt.timedelta(days=1), source="test"
            )
            built.seats.append(seat)
            built.mandates.append(mandate)
    apportion(body, alloc)
    return built


def make_alternate(built: Built, unit: Body, name: str, position: int = 1) -> Alternate:
    member = make_member(built.org, unit, name)
    return Alternate.objects.create(
        body=built.body, unit=unit, member=member, position=position, created_at=now()
    )


def make_chair(org: Organisation, username: str = "chair") -> Any:
    user = get_user_model().objects.create_user(username=f"{username}{_next()}", password="x")
    OfficerRole.objects.create(user=user, organisation=org, role=OfficerRole.Role.CHAIR)
    return user


def all_entries(org: Organisation) -> list[dict[str, Any]]:
    """The organisation's whole record, parsed, in order (what a recount reads)."""
    import json

    from asamblea.recordstore.models import RecordEntry

    return [
        json.loads(c)
        for c in RecordEntry.objects.filter(organisation=org)
        .order_by("index")
        .values_list("canonical", flat=True)
    ]
