"""Issue 16, item 2: a member whose credential was used by someone else finds out on their own
page and can report it. Before, ``/me/`` said nothing about votes and there was no report."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from elections_builders import build_world, open_election

from asamblea.core.models import AuditEntry
from asamblea.elections import actions
from asamblea.registry.models import Member

pytestmark = pytest.mark.django_db


def _signed_in(client, member: Member):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(f"member-{member.public_id}")
    Member.objects.filter(pk=member.pk).update(user=user)
    client.force_login(user)
    return user


def _cast(election, code):  # type: ignore[no-untyped-def]
    box = actions.BallotBox.cached(election.pk)
    actions.check_cast(box, code, {"choice": None}, f"key-{code}-abcdefgh")


def test_a_members_page_shows_whether_a_ballot_was_recorded_for_them_and_never_what(client):
    world = build_world(4)
    election, codes = open_election(world)
    voter, abstainer = world.members[0], world.members[1]
    _cast(election, codes[voter.pk])
    _signed_in(client, voter)
    page = client.get(reverse("web:me")).content.decode()
    assert election.title in page and "papeleta registrada a tu nombre" in page
    assert reverse("web:report_misuse", args=[election.pk]) in page
    client.logout()
    _signed_in(client, abstainer)
    page = client.get(reverse("web:me")).content.decode()
    assert election.title in page
    assert reverse("web:report_misuse", args=[election.pk]) not in page


def test_a_member_reports_a_ballot_they_did_not_cast_and_it_is_audited(client):
    world = build_world(4)
    election, codes = open_election(world)
    victim = world.members[2]
    _cast(election, codes[victim.pk])  # someone else used the victim's credential
    user = _signed_in(client, victim)
    r = client.post(
        reverse("web:report_misuse", args=[election.pk]), {"note": "I was away that week"}
    )
    assert r.status_code == 302 and r["Location"].endswith("?reported=1")
    entry = AuditEntry.objects.get(action="ballot_misuse_reported")
    assert entry.actor == user
    assert entry.detail["member"] == victim.public_id
    assert entry.detail["note"] == "I was away that week"


def test_a_report_is_refused_where_no_ballot_was_recorded_or_the_vote_is_not_theirs(client):
    world = build_world(4)
    election, _codes = open_election(world)
    _signed_in(client, world.members[3])
    r = client.post(reverse("web:report_misuse", args=[election.pk]), {"note": "x"})
    assert r.status_code == 400
    r = client.post(reverse("web:report_misuse", args=[election.pk + 999]), {"note": "x"})
    assert r.status_code == 404
    client.logout()
    r = client.post(reverse("web:report_misuse", args=[election.pk]), {"note": "x"})
    assert r.status_code == 302 and reverse("web:login") in r["Location"]
    assert not AuditEntry.objects.filter(action="ballot_misuse_reported").exists()
