"""Every change of elections and recalls goes through the door: the one permission predicate,
its audit entry and its typed record entry in one transaction; the private actions (casting,
signing, withdrawing a signature) leave no entry that names a voter or a signer."""

from __future__ import annotations

import inspect

import pytest
from django.contrib.auth import get_user_model
from elections_builders import build_world, decrypt_tally, open_election, record_entries

from asamblea.core import approvals
from asamblea.core.action import PRIVATE_ACTIONS
from asamblea.core.errors import ActionError
from asamblea.core.models import Approval, AuditEntry
from asamblea.core.permissions import Forbidden
from asamblea.elections import actions
from asamblea.elections.actions import casting, credentials, lifecycle, recall
from asamblea.elections.models import Election, RecallPetition
from asamblea.registry import actions as registry
from asamblea.registry.models import Member, OfficerRole

pytestmark = pytest.mark.django_db


def _draft(world) -> Election:
    return actions.do_create_election(
        world.officers[0],
        organisation=world.org,
        unit=world.unit,
        body=world.assembly,
        title="Delegates",
    )


def _counted(world) -> Election:
    election, codes = open_election(world, candidates=2)
    member = world.members[0]
    actions.check_cast(election, codes[member.pk], {"choice": member.public_id}, "k" * 20)
    actions.do_close_election(world.officers[0], election)
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    election.refresh_from_db()
    return election


def _user(name: str, **extra):
    return get_user_model().objects.create_user(name, password="x-pass-doors", **extra)


def test_every_elections_action_goes_through_the_door_and_only_the_stated_ones_are_private():
    doors = {}
    for module in (lifecycle, credentials, recall, casting):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("do_") and fn.__module__ == module.__name__:
                doors[name] = getattr(fn, "action_name", None)
    # Casting keeps its one-statement path outside the door's transaction, private all the same.
    assert doors.pop("do_cast") is None
    assert "elections.cast" in PRIVATE_ACTIONS
    assert all(doors.values()), [n for n, a in doors.items() if not a]
    private = {a for a in doors.values() if a in PRIVATE_ACTIONS}
    assert private == {"elections.sign_petition", "elections.withdraw_signature"}


def test_a_superuser_without_the_office_may_not_run_an_election():
    world = build_world(4)
    election = _draft(world)
    operator = get_user_model().objects.create_superuser("root", password="x-pass-root")
    with pytest.raises(Forbidden):
        actions.check_open_nominations(operator, election)
    with pytest.raises(Forbidden):
        actions.check_create_election(
            operator, organisation=world.org, unit=world.unit, body=world.assembly, title="x"
        )
    election.refresh_from_db()
    assert election.state == Election.State.DRAFT


def test_an_officer_of_the_unit_runs_its_election_and_one_of_another_organisation_may_not():
    world = build_world(4)
    other = build_world(2, slug="other")
    election = _draft(world)
    unit_officer = _user("unit-officer")
    OfficerRole.objects.create(
        user=unit_officer,
        organisation=world.org,
        body=world.unit,
        role=OfficerRole.Role.ELECTION_OFFICER,
    )
    with pytest.raises(Forbidden):
        actions.check_open_nominations(other.officers[0], election)
    actions.check_open_nominations(unit_officer, election)
    election.refresh_from_db()
    assert election.state == Election.State.NOMINATIONS


def test_an_inactive_officer_holds_no_office():
    world = build_world(4)
    election = _draft(world)
    officer = world.officers[1]
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    with pytest.raises(Forbidden):
        actions.check_open_nominations(officer, election)


def test_a_member_may_nominate_themself_but_not_another_member():
    world = build_world(4)
    election = _draft(world)
    actions.do_open_nominations(world.officers[0], election)
    me = world.members[2]
    user = _user("member-2")
    Member.objects.filter(pk=me.pk).update(user=user)
    with pytest.raises(Forbidden):
        actions.check_nominate(user, election.pk, world.members[3].public_id)
    candidate = actions.check_nominate(user, election.pk, me.public_id)
    assert candidate.key == me.public_id


def test_a_certification_is_proposed_by_one_officer_and_takes_effect_when_another_approves():
    world = build_world(4)
    election = _counted(world)
    before = len(record_entries(world.org))
    actions.check_certify_election(world.officers[0], election)
    assert len(record_entries(world.org)) == before
    (proposal,) = Approval.objects.filter(kind="elections.certify")
    with pytest.raises(ActionError, match="already proposed"):
        actions.check_certify_election(world.officers[1], election)
    with pytest.raises(Forbidden, match="cannot approve"):
        approvals.check_approve(
            world.officers[0], proposal.pk, fresh_code=None, factor_checked=True
        )
    approvals.check_approve(world.officers[1], proposal.pk, fresh_code=None, factor_checked=True)
    election.refresh_from_db()
    assert election.state == Election.State.CERTIFIED
    given = record_entries(world.org, "election_certification_given")
    assert [(e["election"], e["certifications"]) for e in given] == [(election.pk, 2)]
    assert world.officers[0].username not in str(given)
    assert world.officers[1].username not in str(given)
    assert len(record_entries(world.org, "election_certified")) == 1
    audit = AuditEntry.objects.get(action="certify_election")
    assert audit.actor_label == world.officers[1].get_username()
    assert audit.detail["proposed_by"] == world.officers[0].get_username()


def test_the_system_cannot_certify_in_an_officers_place():
    world = build_world(4)
    election = _counted(world)
    with pytest.raises(Forbidden):
        actions.do_certify_election(None, election)
    assert record_entries(world.org, "election_certification_given") == []


def test_reissuing_credentials_records_how_many_and_never_whose():
    world = build_world(6)
    election, codes = open_election(world)
    voter = world.members[0]
    actions.check_cast(election, codes[voter.pk], {"choice": voter.public_id}, "k" * 20)
    with pytest.raises(Forbidden):
        actions.check_reissue_credentials(_user("nobody"), election, world.members[:3])
    proposal = actions.check_reissue_credentials(world.officers[0], election, world.members[:3])
    assert record_entries(world.org, "credentials_reissued") == []
    approvals.check_approve(world.officers[1], proposal.pk, fresh_code=None, factor_checked=True)
    fresh = approvals.check_take_result(world.officers[0], proposal.pk)["cards"]
    assert set(fresh) == {str(m.pk) for m in world.members[1:3]}
    (entry,) = record_entries(world.org, "credentials_reissued")
    assert entry["election"] == election.pk and entry["count"] == 2
    assert set(entry) - {"type", "v", "index", "at", "org", "prev_root"} == {
        "election",
        "count",
        "reissued_at",
    }
    for member in world.members:
        assert member.public_id not in str(entry)


def test_signing_and_withdrawing_write_no_audit_entry_and_the_threshold_is_the_systems_act():
    world = build_world(10, seats=1)
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="t")
    petition = actions.do_open_petition(None, mandate, world.members[1], "absent")
    signers = []
    for i, member in enumerate(world.members[1:4], start=1):
        user = _user(f"signer-{i}")
        Member.objects.filter(pk=member.pk).update(user=user)
        member.refresh_from_db()
        signers.append((user, member))
    before = AuditEntry.objects.count()
    user, member = signers[0]
    actions.check_sign(user, petition, member)
    actions.check_withdraw_signature(user, petition, member)
    assert AuditEntry.objects.count() == before
    for user, member in signers[:2]:  # two of ten: the threshold (a fifth of the roll)
        actions.check_sign(user, petition, member)
    petition.refresh_from_db()
    assert petition.state == RecallPetition.State.VOTING
    signer_ids = {u.pk for u, _m in signers}
    assert not AuditEntry.objects.filter(actor_id__in=signer_ids).exists()
    labels = set(AuditEntry.objects.filter(pk__gt=0).values_list("actor_label", flat=True))
    assert "system:recall threshold reached" in labels
    assert not any(u.username in label for u, _m in signers for label in labels)


def test_another_member_may_not_sign_for_a_member_but_an_election_officer_enters_paper_lines():
    world = build_world(10, seats=1)
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="t")
    petition = actions.do_open_petition(None, mandate, world.members[1], "absent")
    other = _user("other-member")
    Member.objects.filter(pk=world.members[5].pk).update(user=other)
    with pytest.raises(Forbidden):
        actions.check_sign(other, petition, world.members[1])
    actions.check_sign(world.officers[0], petition, world.members[1])
    assert actions.standing_signatures(petition) == 1


def test_each_teller_entry_is_recorded_and_a_disagreement_writes_nothing():
    world = build_world(10, seats=1)
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="t")
    petition = actions.do_open_petition(None, mandate, world.members[1], "r", "meeting")
    for m in world.members[1:3]:
        actions.do_sign(None, petition, m)
    t1, t2 = world.tellers
    with pytest.raises(Forbidden):
        actions.check_enter_teller_result(
            world.officers[0], petition, present=6, yes=4, no=1, abstain=1
        )
    actions.check_enter_teller_result(t1, petition, present=6, yes=4, no=1, abstain=1)
    assert [e["tellers"] for e in record_entries(world.org, "recall_teller_entered")] == [1]
    entries, audits = len(record_entries(world.org)), AuditEntry.objects.count()
    with pytest.raises(ActionError, match="differ"):
        actions.check_enter_teller_result(t2, petition, present=6, yes=3, no=2, abstain=1)
    assert (len(record_entries(world.org)), AuditEntry.objects.count()) == (entries, audits)
    actions.check_enter_teller_result(t2, petition, present=6, yes=4, no=1, abstain=1)
    assert [e["tellers"] for e in record_entries(world.org, "recall_teller_entered")] == [1, 2]
    assert len(record_entries(world.org, "recall_meeting_result")) == 1


def test_expiring_when_nothing_is_due_changes_nothing_and_writes_nothing():
    world = build_world(4)
    entries, audits = len(record_entries(world.org)), AuditEntry.objects.count()
    assert actions.check_expire_petitions(world.officers[0]) == 0
    assert (len(record_entries(world.org)), AuditEntry.objects.count()) == (entries, audits)


def test_only_the_delegate_resigns_their_own_mandate():
    world = build_world(5, seats=1)
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="t")
    with pytest.raises(ActionError):
        actions.check_resign(world.officers[0], mandate.pk)
    delegate = _user("delegate-0")
    Member.objects.filter(pk=world.members[0].pk).update(user=delegate)
    after = actions.check_resign(delegate, mandate.pk)
    assert isinstance(after, Election) and after.kind == Election.Kind.BY_ELECTION
    mandate.refresh_from_db()
    assert mandate.ended_at is not None
