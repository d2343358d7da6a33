"""Issue 17: the language is the member's choice (stored), then the organisation's default, then
the browser's; members' mail follows it and carries absolute links (ASAMBLEA_SITE_URL)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elections"))
from elections_builders import build_world, open_election  # noqa: E402

from asamblea.core.models import OutboxMessage  # noqa: E402
from asamblea.registry import actions as registry  # noqa: E402

pytestmark = pytest.mark.django_db


def _signed_in(member) -> Client:
    user = get_user_model().objects.create_user(f"user-{member.member_ref}")
    member.user = user
    member.save(update_fields=["user"])
    client = Client()
    client.force_login(user)
    return client


def test_the_vote_open_mail_is_in_each_members_language_with_an_absolute_link(settings):
    settings.ASAMBLEA_SITE_URL = "https://asamblea.example"
    world = build_world(4)
    spanish, english = world.members[0], world.members[1]
    spanish.email, english.email, english.language = "es@example.org", "en@example.org", "en"
    spanish.save(update_fields=["email"])
    english.save(update_fields=["email", "language"])
    election, _codes = open_election(world)
    link = f"https://asamblea.example/elections/{election.pk}/vote/"
    mail_es = OutboxMessage.objects.get(recipient="es@example.org")
    mail_en = OutboxMessage.objects.get(recipient="en@example.org")
    assert mail_es.subject.startswith("Votación abierta") and link in mail_es.body
    assert mail_en.subject.startswith("Vote open") and link in mail_en.body
    assert "Vote at /elections" not in mail_es.body + mail_en.body


def test_the_organisations_language_comes_before_the_browsers_and_the_members_before_both():
    world = build_world(2)
    registry.do_set_presentation(None, world.org, time_zone="America/Lima", language="en")
    member = world.members[0]
    client = _signed_in(member)
    # The organisation says English; the browser asks for Spanish: the organisation wins.
    page = client.get("/me/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="en">' in page and "Open now" in page
    # The member chooses Spanish in the switcher: stored on them, used from then on.
    client.post("/language/", {"language": "es", "next": "/me/"})
    member.refresh_from_db()
    assert member.language == "es"
    fresh = Client()
    fresh.force_login(member.user)
    page = fresh.get("/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es">' in page and "Abierto ahora" in page


def test_an_unknown_language_or_time_zone_is_refused_and_nothing_changes():
    from asamblea.core.errors import ActionError
    from asamblea.core.permissions import Forbidden
    from asamblea.registry.models import OfficerRole

    world = build_world(1)
    member = world.members[0]
    client = _signed_in(member)
    client.post("/language/", {"language": "xx", "next": "/me/"})
    member.refresh_from_db()
    assert member.language == ""
    # Only a registrar sets the organisation's presentation, and only to a real zone.
    with pytest.raises(Forbidden):
        registry.check_set_presentation(
            world.officers[0], world.org, time_zone="America/Lima", language="es"
        )
    registrar = get_user_model().objects.create_user("registrar")
    OfficerRole.objects.create(
        user=registrar, organisation=world.org, role=OfficerRole.Role.REGISTRAR
    )
    with pytest.raises(ActionError, match="unknown time zone"):
        registry.check_set_presentation(
            registrar, world.org, time_zone="Mars/Olympus", language="es"
        )
    world.org.refresh_from_db()
    assert world.org.time_zone == "UTC"
    registry.check_set_presentation(registrar, world.org, time_zone="America/Lima", language="es")
    world.org.refresh_from_db()
    assert world.org.time_zone == "America/Lima"
