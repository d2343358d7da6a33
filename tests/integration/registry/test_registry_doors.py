"""The registry's doors: every public action writes its record entry, every check asks the one
permission predicate, and who may act is decided by role and organisation, never by a bypass."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest
from django.db import transaction

from asamblea.core.action import DOORS, PRIVATE_ACTIONS, MissingRecordEntry, Operator, System, door
from asamblea.core.errors import NotFoundOrForbidden
from asamblea.core.models import AuditEntry
from asamblea.core.permissions import Forbidden
from asamblea.recordstore.models import RecordEntry
from asamblea.registry import actions
from asamblea.registry.models import ApiToken, Body, Member, OfficerRole, Organisation, Roll, Seat

ACTOR = System("test")
NEW_MEMBER = {
    "unit_code": "mina",
    "member_ref": "NUEVO-1",
    "display_name": "Nueva socia",
    "joined_on": "2022-12-01",
}


def _entries(org, entry_type: str) -> int:
    return RecordEntry.objects.filter(organisation=org, entry_type=entry_type).count()


def _token_headers(user) -> dict[str, str]:
    token, _row = actions.do_create_api_token(ACTOR, user, label="test")
    return {"Authorization": f"Bearer {token}"}


# --- the door ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_public_door_that_writes_no_record_entry_raises_and_rolls_back():
    @door("test.forgets_the_record")
    def do_forget(ctx, slug):
        Organisation.objects.create(slug=slug, name="Olvidada", created_at=dt.datetime.now(dt.UTC))
        ctx.audit("test.forget", None)

    with pytest.raises(MissingRecordEntry):
        do_forget(ACTOR, "olvidada")
    assert not Organisation.objects.filter(slug="olvidada").exists()
    assert not AuditEntry.objects.filter(action="test.forget").exists()
    DOORS.pop("test.forgets_the_record", None)


def test_every_registry_action_goes_through_a_door():
    names = {name for name in DOORS if name.startswith("registry.")}
    do_functions = {n for n in actions.__all__ if n.startswith("do_")}
    assert {getattr(actions, n).action_name for n in do_functions} == names


def test_the_registrys_private_actions_are_the_register_and_credentials_each_with_a_reason():
    private = {name for name in PRIVATE_ACTIONS if name.startswith("registry.")}
    assert private == {
        "registry.add_member",
        "registry.update_member",
        "registry.join",
        "registry.leave",
        "registry.transfer",
        "registry.import_members",
        "registry.export_members",
        "registry.create_api_token",
        "registry.revoke_api_token",
        # How pages are shown (a member's language, an organisation's time zone): issue 17.
        "registry.set_member_language",
        "registry.set_presentation",
    }
    assert all(PRIVATE_ACTIONS[name].strip() for name in private)


def test_actors_that_are_strings_are_refused(org):
    with pytest.raises(TypeError):
        actions.do_create_body("cli:root", org, code="x", name="X", kind=Body.Kind.WORKPLACE)


def test_every_public_registry_action_writes_its_record_entry(org, units, populated):
    mine, assembly = units["mina"], units["asamblea"]
    assert _entries(org, "organisation_created") == 1
    assert _entries(org, "body_created") == 4
    assert _entries(org, "seat_link_set") == 3
    assert _entries(org, "roll_frozen") == 3
    actions.do_change_organisation_settings(ACTOR, org, {"recall_days": 30})
    assert _entries(org, "organisation_settings_changed") == 1
    actions.do_change_body(ACTOR, mine, name="Mina grande")
    assert _entries(org, "body_changed") == 1
    actions.do_apportion(ACTOR, assembly)
    assert _entries(org, "seats_apportioned") == 1
    seat = Seat.objects.get(body=assembly, unit=mine, number=1)
    mandate = actions.do_start_mandate(ACTOR, seat, populated["mina"][0], source="test")
    assert _entries(org, "mandate_started") == 1
    actions.do_set_alternates(ACTOR, assembly, mine, [populated["mina"][1]], source="test")
    assert _entries(org, "alternates_set") == 1
    actions.do_end_mandate(ACTOR, mandate, reason="resigned")
    assert _entries(org, "mandate_ended") == 1
    assert actions.do_fill_seat_from_alternates(ACTOR, seat, source="test") is not None
    assert _entries(org, "mandate_started") == 2
    # None left: nothing public changes, and the door accepts that it said so.
    actions.do_end_mandate(ACTOR, seat.mandates.get(ended_at__isnull=True), reason="resigned")
    assert actions.do_fill_seat_from_alternates(ACTOR, seat, source="test") is None
    actions.do_dissolve_body(ACTOR, units["mercado"])
    assert _entries(org, "body_changed") == 2


def test_entries_written_by_the_registry_read_back_through_their_typed_classes(
    org, units, populated
):
    from asamblea.record.encoding import ENVELOPE_KEYS
    from asamblea.record.entries.base import entry_class
    from asamblea.record.entries.registry import RollFrozenV1

    actions.do_apportion(ACTOR, units["asamblea"])
    actions.do_dissolve_body(ACTOR, units["mercado"])
    rows = list(RecordEntry.objects.filter(organisation=org).order_by("index"))
    assert len(rows) > 10
    typed = []
    for row in rows:
        entry = json.loads(row.canonical)
        payload = {k: v for k, v in entry.items() if k not in ENVELOPE_KEYS}
        cls = entry_class(row.entry_type, row.version)
        assert cls is not None, row.entry_type
        value = cls.from_payload(payload)
        assert value.to_payload() == payload
        typed.append(value)
    rolls = [t for t in typed if isinstance(t, RollFrozenV1)]
    assert [r.roll.size for r in rolls] == [25, 7, 10]
    assert all(r.roll.frozen_at.tzinfo is not None for r in rolls)


# --- rolls: the one freezing, for units and for assemblies ---------------------------------------


def test_an_assemblys_roll_is_its_current_delegates(org, units, populated):
    assembly = units["asamblea"]
    actions.do_apportion(ACTOR, assembly)
    seats = Seat.objects.filter(body=assembly, unit=units["mina"]).order_by("number")
    for seat, member in zip(seats, populated["mina"], strict=False):
        actions.do_start_mandate(ACTOR, seat, member, source="test")
    roll = actions.do_freeze_roll(ACTOR, assembly, purpose="election of the committee")
    assert roll.size == seats.count() == 2
    assert set(roll.entries.values_list("member_id", flat=True)) == {
        m.pk for m in populated["mina"][:2]
    }
    assert _entries(org, "roll_frozen") == 4


def test_a_roll_frozen_inside_another_action_commits_with_it(org, units, populated):
    @door("test.opens_a_vote")
    def do_open(ctx, unit):
        return actions.do_freeze_roll(ctx, unit, purpose="vote")

    roll = do_open(ACTOR, units["mina"])
    assert roll.size == 25

    @door("test.fails_after_freezing")
    def do_fail(ctx, unit):
        actions.do_freeze_roll(ctx, unit, purpose="vote")
        raise RuntimeError("the vote could not open")

    before = Roll.objects.count()
    with pytest.raises(RuntimeError):
        do_fail(ACTOR, units["mina"])
    assert Roll.objects.count() == before
    DOORS.pop("test.opens_a_vote", None)
    DOORS.pop("test.fails_after_freezing", None)


def test_seat_weight_is_zero_without_an_allocation_and_follows_the_one_rule(org, units, populated):
    assembly = units["asamblea"]
    assert actions.seat_weight(assembly, units["mina"]) == 0
    actions.do_apportion(ACTOR, assembly)
    # 25 members, one seat per full 10, at least one: 2 seats of 25/2.
    assert actions.seat_weight(assembly, units["mina"]) == Fraction(25, 2)


# --- who may act ---------------------------------------------------------------------------------


@pytest.fixture
def other_org(db):
    other = actions.do_create_organisation(ACTOR, slug="otra", name="Otra federación")
    actions.do_create_body(ACTOR, other, code="mina", name="Otra mina", kind=Body.Kind.WORKPLACE)
    return other


def test_a_registrar_of_one_organisation_cannot_add_members_to_another_through_the_api(
    client, org, units, other_org, django_user_model
):
    user = django_user_model.objects.create_user("reg-otra")
    actions.do_grant_role(ACTOR, user, other_org, OfficerRole.Role.REGISTRAR)
    headers = _token_headers(user)
    response = client.post(
        f"/api/organisations/{org.pk}/members",
        NEW_MEMBER,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 404
    assert not Member.objects.filter(member_ref="NUEVO-1").exists()
    allowed = client.post(
        f"/api/organisations/{other_org.pk}/members",
        NEW_MEMBER,
        content_type="application/json",
        headers=headers,
    )
    assert allowed.status_code == 201
    assert Member.objects.get(member_ref="NUEVO-1").organisation == other_org


def test_a_superuser_without_a_role_is_refused_like_anyone(client, org, units, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    response = client.post(
        f"/api/organisations/{org.pk}/members",
        NEW_MEMBER,
        content_type="application/json",
        headers=_token_headers(admin),
    )
    assert response.status_code == 404
    with pytest.raises(Forbidden):
        actions.check_freeze_roll(admin, units["mina"])
    with pytest.raises(Forbidden):
        actions.check_apportion(admin, units["asamblea"])
    assert not Member.objects.filter(member_ref="NUEVO-1").exists()


def test_registry_checks_refuse_a_registrar_of_another_organisation(
    org, units, populated, other_org, django_user_model
):
    user = django_user_model.objects.create_user("reg-otra")
    actions.do_grant_role(ACTOR, user, other_org, OfficerRole.Role.REGISTRAR)
    member = populated["mina"][0]
    refused = [
        lambda: actions.check_freeze_roll(user, units["mina"]),
        lambda: actions.check_apportion(user, units["asamblea"]),
        lambda: actions.check_create_body(
            user, org, code="nueva", name="Nueva", kind=Body.Kind.WORKPLACE
        ),
        lambda: actions.check_change_body(user, units["mina"], name="Otra"),
        lambda: actions.check_update_member(user, member, display_name="Otra"),
        lambda: actions.check_leave(user, member, left_on=dt.date(2023, 1, 1)),
        lambda: actions.check_grant_role(user, user, org, OfficerRole.Role.REGISTRAR),
    ]
    for attempt in refused:
        with transaction.atomic(), pytest.raises(Forbidden):
            attempt()
    assert not OfficerRole.objects.filter(user=user, organisation=org).exists()
    assert Member.objects.get(pk=member.pk).display_name == member.display_name


def test_a_registrar_of_the_organisation_may_do_the_registrys_work(
    org, units, populated, django_user_model
):
    user = django_user_model.objects.create_user("reg")
    actions.do_grant_role(ACTOR, user, org, OfficerRole.Role.REGISTRAR)
    roll = actions.check_freeze_roll(user, units["mina"], purpose="check")
    assert AuditEntry.objects.get(action="roll.freeze", target_id=str(roll.pk)).actor == user
    actions.check_apportion(user, units["asamblea"])
    member = actions.check_update_member(user, populated["mina"][0], display_name="Corregida")
    assert member.display_name == "Corregida"


def test_the_operator_grants_the_first_two_officers_and_every_later_grant_needs_an_approval(
    org, units, other_org, django_user_model
):
    from asamblea.core import approvals

    admin = django_user_model.objects.create_superuser("root", password="x")
    registrar = django_user_model.objects.create_user("reg")
    chair = django_user_model.objects.create_user("presi")
    newcomer = django_user_model.objects.create_user("nueva")
    outsider = django_user_model.objects.create_user("otra")
    actions.check_grant_role(admin, registrar, org, OfficerRole.Role.REGISTRAR)
    actions.check_grant_role(admin, chair, org, OfficerRole.Role.CHAIR)
    # Bootstrap is over: not even the operator grants alone now.
    with pytest.raises(Forbidden):
        actions.check_grant_role(admin, newcomer, org, OfficerRole.Role.TELLER)
    proposal = actions.check_grant_role(
        registrar, newcomer, org, OfficerRole.Role.TELLER, units["mina"]
    )
    assert not OfficerRole.objects.filter(user=newcomer).exists()
    with pytest.raises(Forbidden):
        approvals.check_approve(registrar, proposal.pk, fresh_code=None, factor_checked=True)
    approvals.check_approve(chair, proposal.pk, fresh_code=None, factor_checked=True)
    assert OfficerRole.objects.filter(user=newcomer, organisation=org, role="teller").exists()
    with pytest.raises(Forbidden):
        actions.check_grant_role(newcomer, newcomer, org, OfficerRole.Role.REGISTRAR)
    with pytest.raises(Forbidden):
        actions.check_grant_role(registrar, registrar, org, OfficerRole.Role.ELECTION_OFFICER)
    with pytest.raises(Forbidden):
        actions.check_grant_role(registrar, outsider, other_org, OfficerRole.Role.REGISTRAR)
    with pytest.raises(Forbidden):
        actions.check_grant_role(outsider, outsider, org, OfficerRole.Role.REGISTRAR)
    revoke = actions.check_revoke_role(registrar, newcomer, org, "teller", units["mina"])
    approvals.check_approve(chair, revoke.pk, fresh_code=None, factor_checked=True)
    grants = AuditEntry.objects.filter(action="officer.grant")
    assert {(e.actor.username, e.detail["user"]) for e in grants} == {
        ("root", "reg"),
        ("root", "presi"),
        ("presi", "nueva"),
    }
    approved = AuditEntry.objects.filter(action="approval.approve")
    assert {(e.detail["proposer"], e.detail["approver"]) for e in approved} == {("reg", "presi")}
    # Offices are public: each grant and revocation is on the record, by display name and number,
    # never by sign-in name.
    offices = [
        (e.entry_type, json.loads(e.canonical)["office"])
        for e in RecordEntry.objects.filter(
            organisation=org, entry_type__in=["officer_role_granted", "officer_role_revoked"]
        ).order_by("index")
    ]
    assert [(t, o["user_id"], o["role"], o["body"]) for t, o in offices] == [
        ("officer_role_granted", registrar.pk, "registrar", None),
        ("officer_role_granted", chair.pk, "chair", None),
        ("officer_role_granted", newcomer.pk, "teller", "mina"),
        ("officer_role_revoked", newcomer.pk, "teller", "mina"),
    ]
    assert all("nueva" not in o["name"] and o["name"] != "reg" for _t, o in offices)


def test_tokens_are_managed_by_their_owner_or_the_operator_and_audited(db, django_user_model):
    owner = django_user_model.objects.create_user("owner")
    other = django_user_model.objects.create_user("other")
    admin = django_user_model.objects.create_superuser("root", password="x")
    # A fresh install: whoever runs the server creates the first token.
    _token, first = actions.check_create_api_token(Operator("ops"), owner, label="first")
    with pytest.raises(Forbidden):
        actions.check_create_api_token(Operator("ops"), other)
    with pytest.raises(Forbidden):
        actions.check_create_api_token(other, owner)
    with pytest.raises(Forbidden):
        actions.check_revoke_api_token(other, first)
    actions.check_create_api_token(admin, other, label="for other")
    actions.check_revoke_api_token(owner, first)
    assert ApiToken.objects.get(pk=first.pk).revoked_at is not None
    assert AuditEntry.objects.get(action="token.create", target_id=str(first.pk)).actor_label == (
        "operator:ops"
    )
    assert AuditEntry.objects.get(action="token.revoke").actor == owner
    # Private: credentials never reach the public record.
    assert not RecordEntry.objects.exists()


def test_an_import_by_a_registrar_of_one_unit_is_refused_whole_when_it_touches_another(
    org, units, django_user_model
):
    from asamblea.registry.actions import MemberRow

    user = django_user_model.objects.create_user("reg-mina")
    actions.do_grant_role(ACTOR, user, org, OfficerRole.Role.REGISTRAR, units["mina"])
    actions.do_add_member(
        ACTOR,
        org,
        units["escuela"],
        member_ref="e-0",
        display_name="Persona e 0",
        joined_on=dt.date(2020, 1, 1),
    )
    moving = MemberRow(2, "mina", "e-0", "Persona e 0", "", "", dt.date(2022, 1, 1))
    plan = actions.plan_import(org, [moving])
    assert plan.transfer
    with pytest.raises(Forbidden, match="escuela"):
        actions.check_import_members(user, org, plan)
    assert (
        Member.objects.get(member_ref="e-0").memberships.get(left_on__isnull=True).unit
        == (units["escuela"])
    )


def test_a_trustee_is_no_officer_approves_no_grant_and_does_not_end_the_bootstrap(
    org, units, django_user_model
):
    """The trustee role (a share of a board's key) is granted like an office but is none: a
    trustee who holds nothing else cannot approve an officer's grant, and trustees do not count
    towards the two officers that end the operator's bootstrap."""
    from asamblea.core import approvals
    from asamblea.registry.actions import officers

    admin = django_user_model.objects.create_superuser("root", password="x")
    registrar = django_user_model.objects.create_user("reg")
    keeper = django_user_model.objects.create_user("guardiana")
    newcomer = django_user_model.objects.create_user("nueva")
    OfficerRole.objects.create(user=keeper, organisation=org, role="trustee")
    actions.check_grant_role(admin, registrar, org, OfficerRole.Role.REGISTRAR)
    # One officer and one trustee: still the bootstrap, so the operator grants the second officer.
    assert officers.is_bootstrap(org)
    chair = django_user_model.objects.create_user("presi")
    actions.check_grant_role(admin, chair, org, OfficerRole.Role.CHAIR)
    assert not officers.is_bootstrap(org)
    proposal = actions.check_grant_role(registrar, newcomer, org, OfficerRole.Role.TELLER)
    # Hidden from a non-officer, as from anyone who may not act on it.
    with pytest.raises(NotFoundOrForbidden):
        approvals.check_approve(keeper, proposal.pk, fresh_code=None, factor_checked=True)
    assert not OfficerRole.objects.filter(user=newcomer).exists()
    approvals.check_approve(chair, proposal.pk, fresh_code=None, factor_checked=True)
    assert OfficerRole.objects.filter(user=newcomer, role="teller").exists()
