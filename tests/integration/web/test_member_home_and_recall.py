"""Issue 17 items 1 and 2: the member's home and recall on the web, without JavaScript.

A member sees their unit's delegates, starts a recall of one with a reason, signs and withdraws
through plain forms; at the threshold the recall vote opens and shows on the home with a button to
vote. The pages refuse what the actions refuse, and write what the actions write.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elections"))
from elections_builders import build_world, record_entries  # noqa: E402

from asamblea.elections.models import Election, RecallPetition, Signature  # noqa: E402
from asamblea.registry import actions as registry  # noqa: E402

pytestmark = pytest.mark.django_db


def _signed_in(member) -> Client:
    user = get_user_model().objects.create_user(f"user-{member.member_ref}")
    member.user = user
    member.save(update_fields=["user"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    world = build_world(10, seats=1)
    world.mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="test")
    return world


def test_the_home_shows_the_unit_its_delegate_and_a_way_to_recall_them(world):
    client = _signed_in(world.members[1])
    page = client.get("/me/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Mine workers" in html and world.members[0].display_name in html
    assert f"/me/recall/{world.mandate.pk}/" in html
    assert f"/assemblies/delegates/{world.members[0].public_id}/" in html
    # The delegate is not offered to recall themself.
    own = _signed_in(world.members[0]).get("/me/").content.decode()
    assert f"/me/recall/{world.mandate.pk}/" not in own


def test_a_member_starts_signs_and_withdraws_and_the_threshold_opens_the_recall_vote(world):
    opener, second = world.members[1], world.members[2]
    client = _signed_in(opener)
    refused = client.post(f"/me/recall/{world.mandate.pk}/", {"reason": "  "})
    assert refused.status_code == 400 and not RecallPetition.objects.exists()
    started = client.post(f"/me/recall/{world.mandate.pk}/", {"reason": "Voted against us"})
    petition = RecallPetition.objects.get()
    assert started.status_code == 302
    assert started["Location"] == f"/elections/recalls/{petition.pk}/?opened=1"
    assert any(e["type"] == "recall_petition_opened" for e in record_entries(world.org))

    detail = client.get(started["Location"]).content.decode()
    assert "Voted against us" in detail and f"/me/petitions/{petition.pk}/sign/" in detail

    # Sign, withdraw, sign again: one standing signature (threshold: 2 of a roll of 10).
    assert client.post(f"/me/petitions/{petition.pk}/sign/").status_code == 302
    twice = client.post(f"/me/petitions/{petition.pk}/sign/")
    assert twice.status_code == 409
    assert client.post(f"/me/petitions/{petition.pk}/withdraw/").status_code == 302
    assert not Signature.objects.filter(withdrawn_at__isnull=True).exists()
    assert client.post(f"/me/petitions/{petition.pk}/sign/").status_code == 302
    home = client.get("/me/").content.decode()
    assert f"/me/petitions/{petition.pk}/withdraw/" in home
    assert 'max="2" value="1"' in home

    other = _signed_in(second)
    assert other.post(f"/me/petitions/{petition.pk}/sign/").status_code == 302
    petition.refresh_from_db()
    assert petition.state == RecallPetition.State.VOTING
    vote = Election.objects.get(kind=Election.Kind.RECALL)
    assert vote.state == Election.State.OPEN
    home = other.get("/me/").content.decode()
    assert f"/elections/{vote.pk}/vote/" in home


def test_a_member_of_another_unit_cannot_start_a_recall_of_this_delegate(world):
    from asamblea.registry.models import Body, Member, Membership

    elsewhere = registry.do_create_body(
        None, world.org, code="farm", name="Farm", kind=Body.Kind.PEASANT_COMMUNITY
    )
    stranger = Member.objects.create(
        organisation=world.org,
        member_ref="x1",
        display_name="Stranger",
        created_at=world.org.created_at,
    )
    Membership.objects.create(
        member=stranger, unit=elsewhere, joined_on=world.org.created_at.date()
    )
    client = _signed_in(stranger)
    assert client.get(f"/me/recall/{world.mandate.pk}/").status_code == 404
    assert client.post(f"/me/recall/{world.mandate.pk}/", {"reason": "x"}).status_code == 404
    assert not RecallPetition.objects.exists()


def test_signing_needs_a_signed_in_member(world, client):
    from asamblea.elections import actions

    petition = actions.do_open_petition(None, world.mandate, world.members[1], "Reason")
    answer = client.post(f"/me/petitions/{petition.pk}/sign/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert not Signature.objects.exists()


def test_the_refusal_of_an_action_is_shown_in_spanish(world):
    from asamblea.elections import actions

    petition = actions.do_open_petition(None, world.mandate, world.members[1], "Reason")
    client = _signed_in(world.members[3])
    client.post(f"/me/petitions/{petition.pk}/sign/")
    again = client.post(f"/me/petitions/{petition.pk}/sign/", HTTP_ACCEPT_LANGUAGE="es")
    assert again.status_code == 409
    assert "ya firmaste" in again.content.decode().lower()


def test_the_home_takes_a_fixed_number_of_queries_however_many_votes_and_petitions(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from elections_builders import open_election

    from asamblea.elections import actions

    client = _signed_in(world.members[1])
    actions.do_open_petition(None, world.mandate, world.members[1], "Reason")
    open_election(world, method="plurality", candidates=2)
    client.get("/me/")
    with CaptureQueriesContext(connection) as one:
        client.get("/me/")
    for _ in range(3):
        open_election(world, method="plurality", candidates=2)
    with CaptureQueriesContext(connection) as four:
        page = client.get("/me/")
    assert page.content.decode().count("/vote/") >= 4
    assert len(four) == len(one) <= 25
