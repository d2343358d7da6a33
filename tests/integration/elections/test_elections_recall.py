"""Recall by general meeting (two tellers), resignation, by-election, expiry and refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from elections_builders import build_world, record_entries

from asamblea.core.errors import ActionError
from asamblea.elections import actions
from asamblea.elections.models import Election, RecallPetition
from asamblea.record.recount_elections import recount_meeting
from asamblea.registry import actions as registry
from asamblea.registry.models import Mandate

pytestmark = pytest.mark.django_db


def _held(world, alternates=()):
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="test")
    if alternates:
        registry.do_set_alternates(None, world.assembly, world.unit, list(alternates), source="t")
    return mandate


def test_a_general_meeting_recalls_when_two_tellers_agree_and_the_alternate_takes_the_seat():
    world = build_world(10, seats=1)
    mandate = _held(world, [world.members[5]])
    petition = actions.do_open_petition(
        None, mandate, world.members[1], "Broke the mandate", "meeting"
    )
    actions.do_sign(None, petition, world.members[1])
    actions.do_sign(None, petition, world.members[2])
    petition.refresh_from_db()
    assert petition.state == RecallPetition.State.MEETING
    t1, t2 = world.tellers
    actions.do_enter_teller_result(t1, petition, present=6, yes=4, no=1, abstain=1)
    with pytest.raises(ActionError, match="differ"):
        actions.do_enter_teller_result(t2, petition, present=6, yes=3, no=2, abstain=1)
    petition.refresh_from_db()
    assert petition.state == RecallPetition.State.MEETING
    actions.do_enter_teller_result(t2, petition, present=6, yes=4, no=1, abstain=1)
    petition.refresh_from_db()
    assert petition.state == RecallPetition.State.PASSED
    mandate.refresh_from_db()
    assert mandate.end_reason == Mandate.EndReason.RECALLED
    successor = Mandate.objects.get(seat=world.seats[0], ended_at__isnull=True)
    assert successor.member == world.members[5]
    entries = record_entries(world.org)
    result = next(e for e in entries if e["type"] == "recall_meeting_result")
    recount_meeting(result, entries)
    result["yes"] = 1
    with pytest.raises(Exception, match="does not follow"):
        recount_meeting(result, entries)


def test_a_meeting_below_a_third_of_the_roll_does_not_recall():
    world = build_world(12, seats=1)
    mandate = _held(world)
    petition = actions.do_open_petition(None, mandate, world.members[1], "r", "meeting")
    for m in world.members[1:4]:
        actions.do_sign(None, petition, m)
    for t in world.tellers:
        actions.do_enter_teller_result(t, petition, present=3, yes=3, no=0)
    petition.refresh_from_db()
    assert petition.state == RecallPetition.State.FAILED
    mandate.refresh_from_db()
    assert mandate.ended_at is None


def test_a_recall_with_no_alternate_left_opens_a_by_election_for_the_seat():
    world = build_world(5, seats=1)
    mandate = _held(world)
    after = actions.do_resign(None, mandate)
    assert isinstance(after, Election)
    assert after.kind == Election.Kind.BY_ELECTION and after.seat == world.seats[0]
    mandate.refresh_from_db()
    assert mandate.end_reason == Mandate.EndReason.RESIGNED


def test_a_resignation_seats_the_first_alternate_at_once():
    world = build_world(5, seats=1)
    mandate = _held(world, [world.members[3], world.members[4]])
    successor = actions.do_resign(None, mandate)
    assert isinstance(successor, Mandate) and successor.member == world.members[3]


def test_only_members_of_the_unit_open_petitions_and_only_the_roll_signs():
    world = build_world(5, seats=1)
    mandate = _held(world)
    stranger_world = build_world(2, slug="other")
    with pytest.raises(ActionError, match="members of the represented unit"):
        actions.do_open_petition(None, mandate, stranger_world.members[0], "r")
    petition = actions.do_open_petition(None, mandate, world.members[1], "r")
    with pytest.raises(ActionError, match="not on the roll"):
        actions.do_sign(None, petition, stranger_world.members[1])
    with pytest.raises(ActionError, match="under way"):
        actions.do_open_petition(None, mandate, world.members[2], "again")


def test_a_petition_expires_after_its_window_and_takes_no_more_signatures():
    world = build_world(20, seats=1)
    mandate = _held(world)
    petition = actions.do_open_petition(None, mandate, world.members[1], "r")
    RecallPetition.objects.filter(pk=petition.pk).update(
        deadline_at=petition.opened_at - dt.timedelta(seconds=1)
    )
    with pytest.raises(ActionError, match="run out"):
        actions.do_sign(None, petition, world.members[2])
    assert actions.do_expire_petitions(None) == 1
    petition.refresh_from_db()
    assert petition.state == RecallPetition.State.EXPIRED


def test_signatures_are_hidden_from_the_target_even_when_the_target_is_an_officer():
    from django.contrib.auth import get_user_model

    from asamblea.core.errors import NotFoundOrForbidden
    from asamblea.registry.models import Member, OfficerRole

    world = build_world(10, seats=1)
    mandate = _held(world)
    target_user = get_user_model().objects.create_user("target", password="x-target-pass")
    Member.objects.filter(pk=world.members[0].pk).update(user=target_user)
    OfficerRole.objects.create(
        user=target_user, organisation=world.org, role=OfficerRole.Role.ELECTION_OFFICER
    )
    petition = actions.do_open_petition(None, mandate, world.members[1], "r")
    actions.do_sign(None, petition, world.members[1])
    petition = actions.access_petition_by_id(petition.pk)
    with pytest.raises(NotFoundOrForbidden):
        actions.access_signatures_by_user(target_user, petition)
    assert len(actions.access_signatures_by_user(world.officers[0], petition)) == 1
