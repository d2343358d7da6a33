"""Small worlds for election tests: one unit sending seats to an assembly, members, officers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from asamblea.core.clock import now
from asamblea.elections import actions
from asamblea.elections.models import Election
from asamblea.registry import actions as registry
from asamblea.registry.models import (
    Body,
    Member,
    Membership,
    OfficerRole,
    Organisation,
    Seat,
)
from fixtures.sample import make_sample_board


@dataclass
class World:
    org: Organisation
    unit: Body
    assembly: Body
    members: list[Member]
    officers: list[Any]
    tellers: list[Any]
    seats: list[Seat] = field(default_factory=list)
    # The organisation's ready board of trustees (2 of 3) and its shares: votes are sealed.
    board: Any = None
    shares: list[Any] = field(default_factory=list)


def build_world(
    n_members: int = 10, *, seats: int = 2, slug: str = "fed", settings: dict | None = None
) -> World:
    org = registry.do_create_organisation(None, slug=slug, name="Federation", settings=settings)
    unit = registry.do_create_body(
        None, org, code="mine", name="Mine workers", kind=Body.Kind.WORKPLACE
    )
    assembly = registry.do_create_body(
        None,
        org,
        code="region",
        name="Regional assembly",
        kind=Body.Kind.ASSEMBLY,
        seat_rule=Body.SeatRule.FIXED,
    )
    registry.do_link_bodies(None, unit, assembly, fixed_seats=seats)
    at = now()
    joined = (at - dt.timedelta(days=30)).date()
    members = Member.objects.bulk_create(
        [
            Member(
                organisation=org,
                member_ref=f"m{i:05d}",
                display_name=f"Member {i}",
                created_at=at,
            )
            for i in range(n_members)
        ]
    )
    members = list(Member.objects.filter(organisation=org).order_by("member_ref"))
    Membership.objects.bulk_create(
        [Membership(member=m, unit=unit, joined_on=joined) for m in members]
    )
    seat_rows = [
        Seat.objects.create(body=assembly, unit=unit, number=i, created_at=at)
        for i in range(1, seats + 1)
    ]
    users = get_user_model()
    officers, tellers = [], []
    for i in range(2):
        officer = users.objects.create_user(f"{slug}-officer{i}", password="x-pass-officer")
        OfficerRole.objects.create(
            user=officer, organisation=org, role=OfficerRole.Role.ELECTION_OFFICER
        )
        officers.append(officer)
        teller = users.objects.create_user(f"{slug}-teller{i}", password="x-pass-teller")
        OfficerRole.objects.create(user=teller, organisation=org, role=OfficerRole.Role.TELLER)
        tellers.append(teller)
    world = World(org, unit, assembly, members, officers, tellers, seat_rows)
    world.board, world.shares = make_sample_board(org, at)
    return world


def decrypt_tally(world: World | list[Any], election: Election) -> None:
    """The trustees (the first two of three) decrypt a closed sealed vote's tally, through the
    trustees' real submission action; the election can then be counted."""
    from asamblea.trustees.models import DecryptionRequest
    from fixtures.trustees import decrypt

    shares = world if isinstance(world, list) else world.shares
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:tally")
    decrypt(request, shares[:2])
    election.refresh_from_db()


def mix_and_decrypt_rankings(
    world: World | list[Any], election: Election, *, shufflers: Sequence[int] = (1, 2)
) -> None:
    """A closed sealed ranked vote: the trustees ``shufflers`` (by index; the board's threshold
    of them) shuffle its sealed rankings in turn with proof, then the first two trustees decrypt
    the mixed list, the last of them counting it (ADR 0015)."""
    from asamblea.trustees.models import DecryptionRequest, MixRequest
    from fixtures.trustees import decrypt, shuffle

    shares = world if isinstance(world, list) else world.shares
    shuffle(MixRequest.objects.get(subject=f"election:{election.pk}:rankings"), shufflers)
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings")
    decrypt(request, shares[:2])
    election.refresh_from_db()


def open_election(
    world: World,
    *,
    method: str = "plurality",
    candidates: int = 3,
    seats: int = 1,
    rules: dict | None = None,
    plaintext: bool = False,
) -> tuple[Election, dict[int, str]]:
    """An open election with the first ``candidates`` members standing; codes by member pk.

    ``plaintext``: as a vote opened before sealing existed (no board, no key), which finishes
    on the plaintext path (ADR 0013's migration)."""
    officer = world.officers[0]
    election = actions.do_create_election(
        officer,
        organisation=world.org,
        unit=world.unit,
        body=world.assembly,
        title="Delegates to the region",
        seats=seats,
        method=method,
        rules=rules,
    )
    actions.do_open_nominations(officer, election)
    for m in world.members[:candidates]:
        actions.do_nominate(officer, election, m)
    opened = actions.do_open_election(officer, election)
    if plaintext:
        Election.objects.filter(pk=election.pk).update(board=None, public_key="", seal_id="")
        actions.BALLOT_BOXES.forget(election.pk)
    election.refresh_from_db()
    return election, opened.printed_codes


def record_entries(org: Organisation, entry_type: str | None = None) -> list[dict]:
    import json

    from asamblea.recordstore.models import RecordEntry

    rows = RecordEntry.objects.filter(organisation=org).order_by("index")
    if entry_type:
        rows = rows.filter(entry_type=entry_type)
    return [json.loads(r.canonical) for r in rows]
