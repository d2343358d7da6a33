"""The assemblies demo on a small federation: the committee's strike, the national demands."""

from __future__ import annotations

import pytest
from assembly_builders import all_entries, build_body, freeze_roll, make_member

from asamblea.assemblies import demo
from asamblea.assemblies.models import Deviation, Division, Resolution, Session
from asamblea.record.recount_assemblies import recount
from asamblea.registry.models import Body

pytestmark = pytest.mark.django_db


def small_federation():
    committee = build_body(
        units=[("Mina", 3), ("Comunidad", 2), ("Mercado", 1)],
        weighted=True,
        populations=[300, 120, 40],
        kind=Body.Kind.COMMITTEE,
        name="Comité de lucha del sur",
    )
    Body.objects.filter(pk=committee.body.pk).update(code="comite-lucha-sur")
    for unit in committee.units:
        for i in range(4):
            make_member(committee.org, unit, f"{unit.name} {i}")
        freeze_roll(unit)
    national = build_body(
        units=[("Barrio", 4), ("Escuela", 3)], org=committee.org, name="Asamblea nacional"
    )
    Body.objects.filter(pk=national.body.pk).update(code="asamblea-nacional")
    return committee.org


def test_demo_loads_the_committee_strike_with_one_deviation_and_the_national_demands_once():
    org = small_federation()
    demo.load(org)
    strike = Division.objects.get(motion__title="Paro regional indefinido")
    assert strike.is_adopted is True
    assert strike.motion.instructions.count() == 2
    assert Deviation.objects.count() == 1
    assert Resolution.objects.filter(body__code="asamblea-nacional").count() == len(demo.DEMANDS)
    assert Resolution.objects.get(title="Nuevas elecciones").status == "partly_met"
    assert Resolution.objects.get(title="Paro regional indefinido").kind == "strike_call"
    entries = all_entries(org)
    results = [e for e in entries if e["type"] == "assembly_division_result"]
    assert len(results) == 2 + len(demo.DEMANDS)
    for entry in results:
        recount(entry, entries)
    sessions = Session.objects.count()
    demo.load(org)
    assert Session.objects.count() == sessions == 2
    assert len(all_entries(org)) == len(entries)
