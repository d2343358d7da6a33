"""No one alone on the web: the approval page refuses the proposer, and anyone without a fresh
TOTP code typed on the page (a verified session is not enough)."""

from __future__ import annotations

import pytest
from approval_helpers import fresh_code, wrong_code
from django.urls import reverse
from elections_builders import build_world, decrypt_tally, open_election, record_entries

from asamblea.core.models import Approval
from asamblea.elections import actions
from asamblea.elections.models import Election

pytestmark = pytest.mark.django_db


def _counted(world) -> Election:  # type: ignore[no-untyped-def]
    election, codes = open_election(world, candidates=2)
    member = world.members[0]
    actions.check_cast(election, codes[member.pk], {"choice": member.public_id}, "k" * 20)
    actions.do_close_election(world.officers[0], election)
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    election.refresh_from_db()
    return election


def test_one_officer_cannot_certify_alone_on_the_web_and_a_second_needs_a_fresh_code(client):
    world = build_world(4)
    election = _counted(world)
    first, second = world.officers
    actions.check_certify_election(first, election)
    proposal = Approval.objects.get()
    approve = reverse("web:approval_approve", args=[proposal.pk])
    client.force_login(first)
    page = client.get(reverse("web:approval", args=[proposal.pk]))
    html = page.content.decode()
    # The proposer is offered withdrawing, not approving.
    assert page.status_code == 200 and 'name="code"' not in html
    assert reverse("web:approval_withdraw", args=[proposal.pk]) in html
    assert client.post(approve, {"code": fresh_code(first)}).status_code == 403
    client.force_login(second)
    listing = client.get(reverse("web:approvals")).content.decode()
    assert f"certify the result of election {election.pk}" in listing
    assert client.post(approve, {}).status_code == 403
    refused = client.post(approve, {"code": wrong_code(second)})
    assert refused.status_code == 403 and "TOTP" in refused.content.decode()
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    assert client.post(approve, {"code": fresh_code(second)}).status_code == 302
    election.refresh_from_db()
    assert election.state == Election.State.CERTIFIED
    assert len(record_entries(world.org, "election_certified")) == 1


def test_a_reissue_of_cards_waits_for_a_second_officer_on_the_web(client):
    world = build_world(4)
    election, _codes = open_election(world)
    first, second = world.officers
    proposal = actions.check_reissue_credentials(first, election)
    client.force_login(first)
    approve = reverse("web:approval_approve", args=[proposal.pk])
    assert client.post(approve, {"code": fresh_code(first)}).status_code == 403
    assert record_entries(world.org, "credentials_reissued") == []
    client.force_login(second)
    assert client.post(approve, {"code": fresh_code(second)}).status_code == 302
    assert len(record_entries(world.org, "credentials_reissued")) == 1


def test_an_officer_of_another_organisation_does_not_even_see_the_proposal(client):
    world, other = build_world(4), build_world(2, slug="otra")
    election = _counted(world)
    actions.check_certify_election(world.officers[0], election)
    proposal = Approval.objects.get()
    client.force_login(other.officers[0])
    assert client.get(reverse("web:approval", args=[proposal.pk])).status_code == 404
    approve = reverse("web:approval_approve", args=[proposal.pk])
    assert client.post(approve, {"code": fresh_code(other.officers[0])}).status_code == 404
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
