"""The assemblies demo's regional session: a base unit instructs its delegates by a sealed vote
through the elections machinery, decrypted by the demo trustees, before the division."""

from __future__ import annotations

import datetime as dt

import pytest
from assembly_builders import all_entries, build_body, freeze_roll, make_member
from django.test import override_settings

from asamblea.assemblies import demo
from asamblea.assemblies.models import Division, Instruction, Session
from asamblea.core.clock import now
from asamblea.elections.models import Ballot, Election
from asamblea.record.recount import recounters
from asamblea.registry.models import Body, Mandate, Seat

pytestmark = pytest.mark.django_db


def _federation():  # type: ignore[no-untyped-def]
    regional = build_body(units=[("Mina", 2), ("Mercado", 1)], name="Asamblea regional")
    for unit, size in zip(regional.units, (14, 20), strict=True):
        for i in range(size):
            make_member(regional.org, unit, f"{unit.name} {i}")
        freeze_roll(unit)
    committee = Body.objects.create(
        organisation=regional.org,
        code="comite-lucha-sur",
        name="Comité de lucha del sur",
        kind=Body.Kind.COMMITTEE,
        created_at=now(),
    )
    seat = Seat.objects.create(body=committee, unit=regional.body, number=1, created_at=now())
    Mandate.objects.create(
        seat=seat,
        member=make_member(regional.org, None, "Delegada regional"),
        started_at=now() - dt.timedelta(days=1),
        source="test",
    )
    return regional


def test_the_demo_instructs_by_a_sealed_vote_decrypted_by_its_trustees(tmp_path):  # type: ignore[no-untyped-def]
    from asamblea.trustees.demo import make_demo_board

    regional = _federation()
    with override_settings(VAR_DIR=tmp_path):
        make_demo_board(regional.org, k=2, n=3)
        demo.load(regional.org)
    instruction = Instruction.objects.get()
    # The smallest base unit of 12 or more members votes (Mina: 14 and its two delegates).
    assert instruction.unit.name == "Mina"
    election = instruction.election
    assert election is not None and election.is_sealed
    assert election.kind == Election.Kind.INSTRUCTION and election.state == Election.State.COUNTED
    assert instruction.status == Instruction.Status.CLOSED and instruction.result
    assert sum(instruction.counts().values()) == Ballot.objects.filter(election=election).count()
    division = Division.objects.get(motion=instruction.motion)
    assert division.instructed[str(instruction.unit_id)] == [instruction.pk, instruction.result]
    assert Session.objects.filter(body=regional.body).count() == 1
    entries = all_entries(regional.org)
    table = recounters()
    checked = 0
    for entry in entries:
        if entry["type"] in table:
            table[entry["type"]](entry, entries)
            checked += 1
    assert checked >= 3  # the election's count, the instruction's result, the division's result
    # Idempotent: a second load adds nothing.
    with override_settings(VAR_DIR=tmp_path):
        demo.load(regional.org)
    assert len(all_entries(regional.org)) == len(entries)
