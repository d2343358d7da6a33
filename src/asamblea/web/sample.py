"""A small invented federation for the page, API and browser tests.

Written with the models directly (not through the registry's actions) so the web tests do not
depend on how the demo or the apportionment are built; the shape is the demo's: base units per
region, a regional assembly per region, a joint committee fed by the assemblies and a student
body, and a national assembly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.utils.text import slugify

from asamblea.core.clock import now
from asamblea.registry.models import (
    Allocation,
    Alternate,
    Apportionment,
    Body,
    Mandate,
    Member,
    Membership,
    Organisation,
    Roll,
    Seat,
    SeatLink,
)

KINDS = [Body.Kind.WORKPLACE, Body.Kind.NEIGHBOURHOOD, Body.Kind.PEASANT_COMMUNITY]


@dataclass
class Sample:
    org: Organisation
    units: list[Body] = field(default_factory=list)
    assemblies: list[Body] = field(default_factory=list)
    committee: Body | None = None
    national: Body | None = None
    members: list[Member] = field(default_factory=list)


def _roll(body: Body, size: int, at: dt.datetime) -> Roll:
    salt = hashlib.sha256(f"salt:{body.code}".encode()).hexdigest()[:32]
    commitment = hashlib.sha256(f"{salt}:{body.code}:{size}".encode()).hexdigest()
    return Roll.objects.create(
        body=body, frozen_at=at, purpose="sample", size=size, salt=salt, commitment=commitment
    )


def _member(org: Organisation, unit: Body, ref: str, name: str, at: dt.datetime) -> Member:
    member = Member.objects.create(
        organisation=org,
        member_ref=ref,
        display_name=name,
        email=f"{ref}@example.org",
        created_at=at,
    )
    Membership.objects.create(member=member, unit=unit, joined_on=dt.date(2022, 1, 10))
    return member


def _delegation(
    receiver: Body,
    sender: Body,
    seats: int,
    population: int,
    apportionment: Apportionment,
    roll: Roll | None,
    home: Body,
    org: Organisation,
    at: dt.datetime,
    sample: Sample,
) -> None:
    SeatLink.objects.create(sender=sender, receiver=receiver, members_per_seat=100)
    Allocation.objects.create(
        apportionment=apportionment, sender=sender, roll=roll, population=population, seats=seats
    )
    for number in range(1, seats + 1):
        seat = Seat.objects.create(body=receiver, unit=sender, number=number, created_at=at)
        ref = f"{receiver.code}-{sender.code}-{number}"
        holder = _member(org, home, ref, f"Delegada {ref}", at)
        sample.members.append(holder)
        Mandate.objects.create(seat=seat, member=holder, started_at=at, source="sample")
    for position in (1, 2):
        ref = f"{receiver.code}-{sender.code}-alt{position}"
        alt = _member(org, home, ref, f"Suplente {ref}", at)
        Alternate.objects.create(
            body=receiver, unit=sender, member=alt, position=position, created_at=at
        )


def build_sample(
    slug: str = "sample",
    regions: tuple[str, ...] = ("Puno", "Cusco", "Arequipa"),
    units_per_region: int = 3,
    seats_per_unit: int = 2,
    ended_mandates: int = 1,
) -> Sample:
    at = now() - dt.timedelta(days=30)
    org = Organisation.objects.create(slug=slug, name=f"Federación {slug}", created_at=at)
    sample = Sample(org=org)
    national = Body.objects.create(
        organisation=org,
        code="asamblea-nacional",
        name="Asamblea Nacional de Trabajadores y Campesinos",
        kind=Body.Kind.ASSEMBLY,
        level="national",
        voting_rule=Body.VotingRule.WEIGHTED,
        created_at=at,
    )
    committee = Body.objects.create(
        organisation=org,
        code="comite-sur",
        name="Comité de Lucha del Sur",
        kind=Body.Kind.COMMITTEE,
        created_at=at,
    )
    sample.national, sample.committee = national, committee
    nat_app = Apportionment.objects.create(
        receiver=national, computed_at=at, rule="per_n", total_seats=0
    )
    com_app = Apportionment.objects.create(
        receiver=committee, computed_at=at, rule="fixed", total_seats=0
    )
    for r, region in enumerate(regions):
        key = slugify(region)
        ra = Body.objects.create(
            organisation=org,
            code=f"ar-{key}",
            name=f"Asamblea Regional de {region}",
            kind=Body.Kind.ASSEMBLY,
            level="regional",
            region=region,
            voting_rule=Body.VotingRule.WEIGHTED,
            created_at=at,
        )
        sample.assemblies.append(ra)
        ra_app = Apportionment.objects.create(
            receiver=ra, computed_at=at, rule="per_n", total_seats=0
        )
        region_population = 0
        for u in range(units_per_region):
            size = 120 + 37 * u + 11 * r
            region_population += size
            unit = Body.objects.create(
                organisation=org,
                code=f"{key}-{u + 1}",
                name=f"Base {u + 1} de {region}",
                kind=KINDS[u % len(KINDS)],
                region=region,
                created_at=at,
            )
            sample.units.append(unit)
            roll = _roll(unit, size, at)
            _delegation(ra, unit, seats_per_unit, size, ra_app, roll, unit, org, at, sample)
        home = sample.units[-1]
        _delegation(national, ra, 2, region_population, nat_app, None, home, org, at, sample)
        _delegation(committee, ra, 1, region_population, com_app, None, home, org, at, sample)
    students = Body.objects.create(
        organisation=org,
        code="fed-estudiantes",
        name="Federación de Estudiantes del Sur",
        kind=Body.Kind.STUDENT_BODY,
        region=regions[0],
        created_at=at,
    )
    sample.units.append(students)
    roll = _roll(students, 900, at)
    _delegation(committee, students, 1, 900, com_app, roll, students, org, at, sample)
    # Some history: mandates that ended, replaced by the first alternate's successor.
    for i, mandate in enumerate(
        Mandate.objects.filter(seat__body=sample.assemblies[0]).order_by("pk")[:ended_mandates]
    ):
        ended = at + dt.timedelta(days=10 + i)
        Mandate.objects.filter(pk=mandate.pk).update(
            ended_at=ended, end_reason=Mandate.EndReason.RECALLED
        )
        ref = f"successor-{slug}-{i}"
        successor = _member(org, mandate.seat.unit, ref, f"Sucesora {i}", at)
        sample.members.append(successor)
        Mandate.objects.create(
            seat=mandate.seat, member=successor, started_at=ended, source="sample"
        )
    for app in (nat_app, com_app, *Apportionment.objects.filter(receiver__in=sample.assemblies)):
        Apportionment.objects.filter(pk=app.pk).update(
            total_seats=Seat.objects.filter(body=app.receiver).count()
        )
    return sample
