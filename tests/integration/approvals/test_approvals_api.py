"""No one alone through the API: certify, export and reissue are proposals that a different
officer approves with their own token and a fresh TOTP code (issue 16: "two usernames typed")."""

from __future__ import annotations

import datetime as dt

import pytest
from approval_helpers import fresh_code, token_for, wrong_code
from django.test import Client
from elections_builders import build_world, decrypt_tally, open_election, record_entries

from asamblea.core import clock
from asamblea.core.errors import ActionError
from asamblea.core.models import Approval, AuditEntry, OutboxMessage
from asamblea.elections import actions
from asamblea.elections.models import Election
from asamblea.registry.models import Member, OfficerRole

pytestmark = pytest.mark.django_db(transaction=False)


def _counted(world) -> Election:
    election, codes = open_election(world, candidates=2)
    member = world.members[0]
    actions.check_cast(election, codes[member.pk], {"choice": member.public_id}, "k" * 20)
    actions.do_close_election(world.officers[0], election)
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    election.refresh_from_db()
    return election


def _post(path: str, token: str, code: str | None = None, **data):  # type: ignore[no-untyped-def]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if code is not None:
        headers["HTTP_X_ASAMBLEA_TOTP"] = code
    return Client().post(path, data or {}, content_type="application/json", **headers)


def test_one_officer_cannot_certify_alone_through_the_api_not_even_with_a_second_token():
    world = build_world(4)
    election = _counted(world)
    first, second = world.officers
    mine, mine_again = token_for(first), token_for(first)
    response = _post(f"/api/elections/{election.pk}/certify", mine)
    assert response.status_code == 200
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    proposal = Approval.objects.get(kind="elections.certify")
    # The proposer's own second token and a fresh code of their own device: still one person.
    refused = _post(f"/api/approvals/{proposal.pk}/approve", mine_again, fresh_code(first))
    assert refused.status_code == 403
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    assert record_entries(world.org, "election_certified") == []
    theirs = token_for(second)
    approved = _post(f"/api/approvals/{proposal.pk}/approve", theirs, fresh_code(second))
    assert approved.status_code == 200, approved.content
    election.refresh_from_db()
    assert election.state == Election.State.CERTIFIED
    audit = AuditEntry.objects.get(action="approval.approve")
    assert (audit.detail["proposer"], audit.detail["approver"]) == (
        first.username,
        second.username,
    )


def test_approval_through_the_api_without_or_with_a_wrong_totp_code_is_refused():
    world = build_world(4)
    election = _counted(world)
    first, second = world.officers
    actions.check_certify_election(first, election)
    proposal = Approval.objects.get()
    theirs = token_for(second)
    assert _post(f"/api/approvals/{proposal.pk}/approve", theirs).status_code == 403
    wrong = _post(f"/api/approvals/{proposal.pk}/approve", theirs, wrong_code(second))
    assert wrong.status_code == 403
    assert "TOTP" in wrong.json()["detail"]
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    # The code in the body works like the header.
    ok = _post(f"/api/approvals/{proposal.pk}/approve", theirs, None, totp=fresh_code(second))
    assert ok.status_code == 200


def test_an_expired_proposal_cannot_be_approved(monkeypatch):
    world = build_world(4)
    election = _counted(world)
    first, second = world.officers
    actions.check_certify_election(first, election)
    proposal = Approval.objects.get()
    later = clock.now() + dt.timedelta(hours=24, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = _post(f"/api/approvals/{proposal.pk}/approve", token_for(second), fresh_code(second))
    assert response.status_code == 409
    assert "expired" in response.json()["detail"]
    proposal.refresh_from_db()
    assert proposal.state == Approval.State.EXPIRED
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED


def test_one_officer_cannot_export_a_register_alone_and_only_the_proposer_fetches_it_once():
    world = build_world(5)
    first, second = world.officers
    OfficerRole.objects.create(user=first, organisation=world.org, role="registrar")
    path = f"/api/organisations/{world.org.pk}/units/{world.unit.code}/export"
    mine, theirs = token_for(first), token_for(second)
    proposed = _post(path, mine)
    assert proposed.status_code == 202, proposed.content
    approval_id = proposed.json()["approval_id"]
    fetch = Client().get(f"{path}?approval={approval_id}", HTTP_AUTHORIZATION=f"Bearer {mine}")
    assert fetch.status_code == 409  # not approved yet: nothing to fetch
    assert (
        _post(f"/api/approvals/{approval_id}/approve", mine, fresh_code(first)).status_code == 403
    )
    ok = _post(f"/api/approvals/{approval_id}/approve", theirs, fresh_code(second))
    assert ok.status_code == 200
    other = Client().get(f"{path}?approval={approval_id}", HTTP_AUTHORIZATION=f"Bearer {theirs}")
    assert other.status_code == 404
    csv = Client().get(f"{path}?approval={approval_id}", HTTP_AUTHORIZATION=f"Bearer {mine}")
    assert csv.status_code == 200
    assert csv.content.decode().count("\n") == 1 + 5
    again = Client().get(f"{path}?approval={approval_id}", HTTP_AUTHORIZATION=f"Bearer {mine}")
    assert again.status_code == 409
    assert Approval.objects.get(pk=approval_id).result is None


def test_a_credential_reissue_needs_a_second_officer_goes_on_the_record_and_tells_the_member():
    world = build_world(4)
    election, codes = open_election(world)
    first, second = world.officers
    member = world.members[1]
    old_code = codes[member.pk]  # printed on a card at open
    # The member has since given an address: the notice goes there.
    Member.objects.filter(pk=member.pk).update(email="socia@example.org")
    member.refresh_from_db()
    proposal = actions.check_reissue_credentials(first, election, [member])
    assert record_entries(world.org, "credentials_reissued") == []
    refused = _post(f"/api/approvals/{proposal.pk}/approve", token_for(first), fresh_code(first))
    assert refused.status_code == 403
    ok = _post(f"/api/approvals/{proposal.pk}/approve", token_for(second), fresh_code(second))
    assert ok.status_code == 200
    (entry,) = record_entries(world.org, "credentials_reissued")
    assert (entry["election"], entry["count"]) == (election.pk, 1)
    assert member.public_id not in str(entry)
    # In the member's language (the site's default, Spanish: issue 17).
    notice = OutboxMessage.objects.get(subject__startswith="Tu tarjeta de votación fue reemplazada")
    assert notice.recipient == "socia@example.org" and "fue reemplazada el" in notice.body
    assert not notice.is_secret and "no pediste" in notice.body
    with pytest.raises(ActionError, match="this card was replaced on"):
        actions.check_cast(election, old_code, {"choice": member.public_id}, "r" * 20)
    # Any other unknown code keeps the one answer.
    with pytest.raises(ActionError, match="not valid for this election"):
        actions.check_cast(election, "x" * len(old_code), {"choice": member.public_id}, "s" * 20)
