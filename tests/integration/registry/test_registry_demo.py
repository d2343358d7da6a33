"""The demo federation meets the scenario's numbers and its seats are filled by the rules."""

from __future__ import annotations

import pytest

from asamblea.registry import actions
from asamblea.registry import demo as registry_demo
from asamblea.registry.demo_data import DEMO_SLUG
from asamblea.registry.models import Body, Member, Seat

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_the_demo_federation_loads_with_the_scenarios_structure(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    org, loaded = registry_demo.load()
    assert loaded
    base = Body.objects.filter(organisation=org, kind__in=list(Body.BASE_UNIT_KINDS))
    assert base.count() >= 40
    assert len(set(base.values_list("region", flat=True)) - {"Lima"}) >= 5
    assert "Lima" in set(base.values_list("region", flat=True))
    assert Member.objects.filter(organisation=org).count() >= 20_000
    sizes = [u.rolls.get().size for u in base]
    assert min(sizes) >= 20 and max(sizes) <= 3000
    regional = Body.objects.filter(organisation=org, level="regional")
    assert regional.count() == len(set(base.values_list("region", flat=True)))
    committee = Body.objects.get(organisation=org, code="comite-lucha-sur")
    senders = set(committee.links_in.values_list("sender__level", flat=True))
    assert senders == {"regional", "student_federation"}
    assert Seat.objects.filter(body=committee, abolished_at__isnull=True).count() == 41
    # Every seat of every body is held, and each committee delegate is a regional or
    # federation delegate.
    for body in Body.objects.filter(organisation=org).exclude(kind__in=list(Body.BASE_UNIT_KINDS)):
        open_seats = Seat.objects.filter(body=body, abolished_at__isnull=True).count()
        assert actions.current_mandates(body).count() == open_seats > 0, body.code
    for mandate in actions.current_mandates(committee):
        assert actions.current_mandates(mandate.seat.unit).filter(member=mandate.member).exists()
    access = (tmp_path / "demo-access.txt").read_text(encoding="utf-8")
    assert "otpauth://totp/" in access
    assert "@demo.example" in access
    # A second load finds the organisation and loads nothing.
    again, loaded_again = registry_demo.load()
    assert again.pk == org.pk
    assert not loaded_again
    assert (
        Body.objects.filter(organisation__slug=DEMO_SLUG).count()
        == Body.objects.filter(organisation=org).count()
    )
