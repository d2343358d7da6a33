"""Registry actions: each writes its audit entry and its public record entry, or refuses."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest

from asamblea.core.action import System
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.models import AuditEntry
from asamblea.record.commitment import roll_commitment
from asamblea.recordstore.models import RecordEntry
from asamblea.registry import actions
from asamblea.registry.models import Body, Mandate, Membership, OfficerRole, RollEntry, Seat

# Fixtures are built by the platform itself; the tests of who may act go through check_*.
ACTOR = System("test")


def entries(org, entry_type):
    return [
        json.loads(e.canonical)
        for e in RecordEntry.objects.filter(organisation=org, entry_type=entry_type)
    ]


def test_creating_an_organisation_writes_audit_and_record(org):
    assert entries(org, "organisation_created")[0]["organisation"] == {
        "slug": "fed",
        "name": "Federación de prueba",
    }
    assert AuditEntry.objects.filter(action="organisation.create").count() == 1


def test_creating_a_body_records_its_rules(org, units):
    body = entries(org, "body_created")[-1]["body"]
    assert body == {
        "code": "asamblea-arequipa",
        "name": "Asamblea regional de Arequipa",
        "kind": "assembly",
        "level": "regional",
        "region": "",
        "seat_rule": "per_n",
        "house_size": None,
        "voting_rule": "weighted",
    }
    assert len(entries(org, "seat_link_set")) == 3


def test_a_duplicate_body_code_is_refused_and_writes_nothing(org, units):
    before = RecordEntry.objects.count()
    with pytest.raises(ActionError) as exc:
        actions.do_create_body(ACTOR, org, code="mina", name="Otra", kind=Body.Kind.WORKPLACE)
    assert exc.value.field == "code"
    assert RecordEntry.objects.count() == before


def test_largest_remainder_body_without_house_size_is_refused(org):
    with pytest.raises(ActionError) as exc:
        actions.do_create_body(
            ACTOR, org, code="c", name="C", kind=Body.Kind.COMMITTEE, seat_rule="largest_remainder"
        )
    assert exc.value.field == "house_size"


def test_a_link_that_would_make_a_cycle_is_refused(org, units):
    national = actions.do_create_body(
        ACTOR, org, code="nacional", name="Nacional", kind=Body.Kind.ASSEMBLY, level="national"
    )
    actions.do_link_bodies(ACTOR, units["asamblea"], national, members_per_seat=5)
    with pytest.raises(ActionError):
        actions.do_link_bodies(ACTOR, national, units["asamblea"], members_per_seat=5)


def test_freezing_a_roll_records_size_and_commitment_but_no_member(org, units, populated):
    roll = units["mina"].rolls.get()
    assert roll.size == 25
    assert RollEntry.objects.filter(roll=roll).count() == 25
    public_ids = [m.public_id for m in populated["mina"]]
    assert roll.commitment == roll_commitment(roll.salt, public_ids)
    recorded = [e for e in entries(org, "roll_frozen") if e["roll"]["body"] == "mina"][0]
    assert recorded["roll"]["size"] == 25
    assert recorded["roll"]["commitment"] == roll.commitment
    canonical = RecordEntry.objects.filter(entry_type="roll_frozen").values_list(
        "canonical", flat=True
    )
    for text in canonical:
        assert roll.salt not in text
        assert all(pid not in text for pid in public_ids)


def test_a_roll_counts_only_open_memberships(org, units, populated):
    actions.do_leave(ACTOR, populated["mina"][0], left_on=dt.date(2021, 1, 1))
    roll = actions.do_freeze_roll(ACTOR, units["mina"])
    assert roll.size == 24


def test_membership_changes_never_reach_the_public_record(org, units, populated):
    before = RecordEntry.objects.count()
    member = populated["mina"][0]
    actions.do_transfer(ACTOR, member, units["escuela"], on=dt.date(2022, 12, 1))
    actions.do_update_member(ACTOR, member, display_name="Nuevo nombre")
    assert RecordEntry.objects.count() == before
    assert AuditEntry.objects.filter(action="member.transfer").count() == 1


def test_transfer_keeps_the_history_of_memberships(org, units, populated):
    member = populated["mina"][0]
    new = actions.do_transfer(ACTOR, member, units["escuela"], on=dt.date(2022, 12, 1))
    old = Membership.objects.get(member=member, unit=units["mina"])
    assert old.left_on == dt.date(2022, 12, 1)
    assert old.end_reason == "transferred"
    assert old.transferred_to_id == new.pk
    assert actions.open_membership(member).unit == units["escuela"]


def test_joining_twice_is_refused(org, units, populated):
    with pytest.raises(ActionError):
        actions.do_join(
            ACTOR, populated["mina"][0], units["escuela"], joined_on=dt.date(2022, 1, 1)
        )


def test_apportionment_per_n_with_minimum_creates_seats_and_records_them(org, units, populated):
    appt = actions.do_apportion(ACTOR, units["asamblea"])
    seats = dict(appt.allocations.values_list("sender__code", "seats"))
    # 25 // 10 = 2; 7 // 10 = 0 raised to the minimum 1; 10 // 10 = 1.
    assert seats == {"mina": 2, "escuela": 1, "mercado": 1}
    assert appt.total_seats == 4
    assert Seat.objects.filter(body=units["asamblea"], abolished_at__isnull=True).count() == 4
    recorded = entries(org, "seats_apportioned")[-1]["apportionment"]
    assert recorded["total_seats"] == 4
    assert {a["sender"]: a["population"] for a in recorded["allocations"]} == {
        "escuela": 7,
        "mercado": 10,
        "mina": 25,
    }


def test_reapportioning_after_members_leave_abolishes_a_seat_and_ends_its_mandate(
    org, units, populated
):
    assembly = units["asamblea"]
    actions.do_apportion(ACTOR, assembly)
    seat2 = Seat.objects.get(body=assembly, unit=units["mina"], number=2)
    mandate = actions.do_start_mandate(ACTOR, seat2, populated["mina"][1], source="test")
    for m in populated["mina"][:10]:
        actions.do_leave(ACTOR, m, left_on=dt.date(2022, 1, 1))
    actions.do_freeze_roll(ACTOR, units["mina"])
    actions.do_apportion(ACTOR, assembly)
    seat2.refresh_from_db()
    mandate.refresh_from_db()
    assert seat2.abolished_at is not None
    assert mandate.end_reason == "seat_abolished"
    assert entries(org, "mandate_ended")[-1]["mandate"]["end_reason"] == "seat_abolished"
    assert assembly.apportionments.filter(is_current=True).count() == 1


def test_mandate_weight_follows_the_current_allocation(org, units, populated):
    actions.do_apportion(ACTOR, units["asamblea"])
    seat = Seat.objects.get(body=units["asamblea"], unit=units["mina"], number=1)
    mandate = actions.do_start_mandate(ACTOR, seat, populated["mina"][0], source="test")
    assert actions.mandate_weight(mandate) == Fraction(25, 2)
    Body.objects.filter(pk=units["asamblea"].pk).update(voting_rule="one_delegate_one_vote")
    mandate = Mandate.objects.get(pk=mandate.pk)
    assert actions.mandate_weight(mandate) == 1


def test_a_seat_goes_only_to_a_member_of_the_unit_it_represents(org, units, populated):
    actions.do_apportion(ACTOR, units["asamblea"])
    seat = Seat.objects.get(body=units["asamblea"], unit=units["mina"], number=1)
    with pytest.raises(ActionError) as exc:
        actions.do_start_mandate(ACTOR, seat, populated["escuela"][0], source="test")
    assert exc.value.field == "member"


def test_a_held_seat_cannot_be_given_twice(org, units, populated):
    actions.do_apportion(ACTOR, units["asamblea"])
    seat = Seat.objects.get(body=units["asamblea"], unit=units["mina"], number=1)
    actions.do_start_mandate(ACTOR, seat, populated["mina"][0], source="test")
    with pytest.raises(ActionError):
        actions.do_start_mandate(ACTOR, seat, populated["mina"][1], source="test")


def test_ending_a_mandate_records_it_and_the_first_alternate_takes_the_seat(org, units, populated):
    assembly = units["asamblea"]
    actions.do_apportion(ACTOR, assembly)
    seat = Seat.objects.get(body=assembly, unit=units["mina"], number=1)
    mandate = actions.do_start_mandate(ACTOR, seat, populated["mina"][0], source="test")
    actions.do_set_alternates(
        ACTOR, assembly, units["mina"], [populated["mina"][5], populated["mina"][6]], source="test"
    )
    recorded = entries(org, "alternates_set")[-1]["alternates"]
    assert [m["position"] for m in recorded["members"]] == [1, 2]
    assert recorded["members"][0]["member"] == populated["mina"][5].public_id
    actions.do_end_mandate(ACTOR, mandate, reason="recalled")
    successor = actions.do_fill_seat_from_alternates(ACTOR, seat, source=f"succession:{mandate.pk}")
    assert successor.member == populated["mina"][5]
    assert [a.member for a in actions.current_alternates(assembly, units["mina"])] == [
        populated["mina"][6]
    ]
    ended = entries(org, "mandate_ended")[-1]["mandate"]
    assert ended["end_reason"] == "recalled"
    assert ended["member"] == populated["mina"][0].public_id
    assert list(actions.current_mandates(assembly)) == [successor]


def test_population_of_an_assembly_sender_is_the_sum_of_its_allocations(org, units, populated):
    committee = actions.do_create_body(
        ACTOR,
        org,
        code="comite",
        name="Comité de lucha",
        kind=Body.Kind.COMMITTEE,
        seat_rule="largest_remainder",
        house_size=5,
    )
    actions.do_link_bodies(ACTOR, units["asamblea"], committee, minimum_seats=1)
    with pytest.raises(ActionError):
        actions.do_apportion(ACTOR, committee)
    actions.do_apportion(ACTOR, units["asamblea"])
    appt = actions.do_apportion(ACTOR, committee)
    allocation = appt.allocations.get()
    assert allocation.population == 42
    assert allocation.roll is None
    assert allocation.seats == 5


def test_export_is_proposed_by_one_officer_approved_by_another_and_fetched_once_by_the_proposer(
    org, units, populated, django_user_model
):
    from asamblea.core import approvals
    from asamblea.core.permissions import Forbidden
    from asamblea.registry.actions.members import check_propose_export_members

    clerk = django_user_model.objects.create_user("clerk", password="x")
    second = django_user_model.objects.create_user("second", password="x")
    with pytest.raises(NotFoundOrForbidden):
        check_propose_export_members(clerk, org, "mina")
    actions.do_grant_role(ACTOR, clerk, org, OfficerRole.Role.REGISTRAR)
    # Two officers' credentials in one invocation are no longer a second person.
    with pytest.raises(ActionError, match="approval"):
        actions.check_export_members(clerk, second, org, "mina")
    proposal = check_propose_export_members(clerk, org, "mina")
    with pytest.raises(NotFoundOrForbidden):
        approvals.check_approve(second, proposal.pk, fresh_code=None, factor_checked=True)
    actions.do_grant_role(ACTOR, second, org, OfficerRole.Role.ELECTION_OFFICER)
    with pytest.raises(Forbidden):
        approvals.check_approve(clerk, proposal.pk, fresh_code=None, factor_checked=True)
    assert not AuditEntry.objects.filter(action="members.export").exists()
    approvals.check_approve(second, proposal.pk, fresh_code=None, factor_checked=True)
    with pytest.raises(NotFoundOrForbidden):
        approvals.check_take_result(second, proposal.pk)
    rows = approvals.check_take_result(clerk, proposal.pk)
    assert len(rows) == 25
    with pytest.raises(ActionError, match="gone"):
        approvals.check_take_result(clerk, proposal.pk)
    entry = AuditEntry.objects.get(action="members.export", actor=second)
    assert entry.detail["second_officer"] == "clerk"
    with pytest.raises(NotFoundOrForbidden):
        actions.access_unit_register_by_officer(clerk, org, "no-such-unit")


def test_api_tokens_are_stored_only_as_their_hash(django_user_model):
    from asamblea.core.credentials import hash_token

    user = django_user_model.objects.create_user("officer", password="x")
    token, row = actions.do_create_api_token(ACTOR, user, label="cli")
    assert row.token_hash == hash_token(token)
    assert token not in json.dumps(list(AuditEntry.objects.values("detail")))
    actions.do_revoke_api_token(ACTOR, row)
    with pytest.raises(ActionError):
        actions.do_revoke_api_token(ACTOR, row)


def test_dissolving_a_unit_ends_its_mandates_seats_and_memberships(org, units, populated):
    assembly = units["asamblea"]
    actions.do_apportion(ACTOR, assembly)
    seat = Seat.objects.get(body=assembly, unit=units["mercado"], number=1)
    mandate = actions.do_start_mandate(ACTOR, seat, populated["mercado"][0], source="test")
    actions.do_dissolve_body(ACTOR, units["mercado"], on=dt.date(2023, 1, 10))
    mandate.refresh_from_db()
    seat.refresh_from_db()
    assert mandate.end_reason == "unit_dissolved"
    assert seat.abolished_at is not None
    assert not Membership.objects.filter(unit=units["mercado"], left_on__isnull=True).exists()
    changed = entries(org, "body_changed")[-1]["body"]
    assert changed["code"] == "mercado"
    assert changed["dissolved_at"].endswith("Z")
    # The next apportionment leaves the dissolved unit out.
    appt = actions.do_apportion(ACTOR, assembly)
    assert set(appt.allocations.values_list("sender__code", flat=True)) == {"mina", "escuela"}
    with pytest.raises(ActionError):
        actions.do_freeze_roll(ACTOR, units["mercado"])


def test_the_default_seed_of_a_body_with_many_senders_fits_its_column(org):
    # Regression: the seed used to list every sender's population and overflowed
    # varchar(200) on PostgreSQL for the joint committee of the demo.
    national = actions.do_create_body(
        ACTOR,
        org,
        code="nacional",
        name="Nacional",
        kind=Body.Kind.ASSEMBLY,
        seat_rule="largest_remainder",
        house_size=100,
    )
    for i in range(60):
        unit = actions.do_create_body(
            ACTOR, org, code=f"unidad-con-nombre-largo-{i:03d}", name=f"U{i}", kind="workplace"
        )
        actions.do_link_bodies(ACTOR, unit, national)
        actions.do_freeze_roll(ACTOR, unit)
    appt = actions.do_apportion(ACTOR, national)
    appt.refresh_from_db()
    assert appt.seed.startswith("sha256:")
    assert len(appt.seed) <= 200


def test_a_body_code_must_be_a_slug(org):
    with pytest.raises(ActionError) as exc:
        actions.do_create_body(ACTOR, org, code="con espacio", name="X", kind="workplace")
    assert exc.value.field == "code"
