"""The voting pages without JavaScript: code, ballot, review, cast, receipt; and their refusals."""

from __future__ import annotations

import logging
import re

import pytest
from elections_builders import build_world, open_election

from asamblea.elections import secrecy
from asamblea.elections.models import Ballot, Participation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_guess_budget():
    secrecy.GUESS_LIMIT.reset()
    yield
    secrecy.GUESS_LIMIT.reset()


def _vote_through_pages(client, election, code, marks):
    url = f"/elections/{election.pk}/vote/"
    assert client.get(url).status_code == 200
    page = client.post(url, {"step": "code", "code": secrecy.format_code(code).lower()})
    assert page.status_code == 200
    review = client.post(url, {"step": "review", "code": code, **marks})
    assert review.status_code == 200, review.content
    html = review.content.decode()
    ballot = re.search(r'name="ballot" value="([^"]*)"', html).group(1).replace("&quot;", '"')
    key = re.search(r'name="key" value="([^"]*)"', html).group(1)
    receipt = client.post(url, {"step": "cast", "code": code, "ballot": ballot, "key": key})
    return review, receipt, (ballot, key)


def test_a_member_votes_through_the_pages_and_gets_a_tracking_code(client):
    world = build_world(4)
    election, codes = open_election(world, method="plurality")
    member = world.members[2]
    chosen = world.members[1]
    review, receipt, (ballot, key) = _vote_through_pages(
        client, election, codes[member.pk], {"choice": chosen.public_id}
    )
    assert chosen.display_name in review.content.decode()
    assert receipt.status_code == 200
    # A sealed ballot's tracking code (its hash, 43 characters) in groups of four.
    code = re.search(r'id="tracking-code">([A-Za-z0-9_ -]+)<', receipt.content.decode()).group(1)
    assert len(code.replace(" ", "")) == 43 and code.count(" ") == 10
    assert Ballot.objects.count() == Participation.objects.count() == 1
    # Submitting the same review again (a retry) returns the same receipt and adds nothing.
    again = client.post(
        f"/elections/{election.pk}/vote/",
        {"step": "cast", "code": codes[member.pk], "ballot": ballot, "key": key},
    )
    assert code in again.content.decode()
    assert Ballot.objects.count() == 1
    # The code cannot be used again.
    used = client.post(
        f"/elections/{election.pk}/vote/", {"step": "code", "code": codes[member.pk]}
    )
    assert used.status_code == 409


def test_the_ballot_page_refuses_an_unknown_candidate_and_changes_nothing(client):
    world = build_world(4)
    election, codes = open_election(world)
    url = f"/elections/{election.pk}/vote/"
    page = client.post(
        url, {"step": "review", "code": codes[world.members[0].pk], "choice": "not-a-candidate"}
    )
    assert page.status_code == 400 and "candidato desconocido" in page.content.decode()
    assert Ballot.objects.count() == 0


def test_wrong_codes_slow_a_connection_down_but_a_right_code_is_never_refused(client):
    # Issue 16: a valid code is checked first and never refused because of anyone's guessing.
    world = build_world(3)
    election, codes = open_election(world)
    url = f"/elections/{election.pk}/vote/"
    statuses = [client.post(url, {"code": "A" * 20}).status_code for _ in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[-1] == 429
    slowed = client.post(url, {"code": "B" * 20})
    assert slowed.status_code == 429 and int(slowed["Retry-After"]) >= 1
    assert client.post(url, {"code": codes[world.members[0].pk]}).status_code == 200


def test_a_closed_election_shows_no_ballot(client):
    world = build_world(3)
    election, codes = open_election(world)
    from asamblea.elections import actions

    actions.do_close_election(world.officers[0], election)
    assert client.get(f"/elections/{election.pk}/vote/").status_code == 409
    assert client.get(f"/elections/{election.pk}/").status_code == 200


def test_casting_requests_are_dropped_from_the_server_and_request_logs():
    record = logging.LogRecord(
        "django.server",
        logging.WARNING,
        "",
        0,
        '"%s" %s %s',
        ("POST /elections/7/vote/ HTTP/1.1", 400, 12),
        None,
    )
    other = logging.LogRecord(
        "django.server",
        logging.WARNING,
        "",
        0,
        '"%s" %s %s',
        ("GET /elections/7/ HTTP/1.1", 404, 12),
        None,
    )
    logger = logging.getLogger("django.server")
    assert any(isinstance(f, secrecy.DropCastingRequests) for f in logger.filters)
    assert not logger.filter(record)
    assert logger.filter(other)
    api = logging.LogRecord(
        "django.request",
        logging.ERROR,
        "",
        0,
        "Internal Server Error: %s",
        ("/api/elections/3/vote",),
        None,
    )
    assert not logging.getLogger("django.request").filter(api)


def test_the_recall_page_shows_counts_to_the_public_and_names_to_officers_only(client):
    from asamblea.elections import actions
    from asamblea.registry import actions as registry

    world = build_world(10, seats=1)
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="t")
    petition = actions.do_open_petition(None, mandate, world.members[1], "Ignored the assembly")
    actions.do_sign(None, petition, world.members[7])
    url = f"/elections/recalls/{petition.pk}/"
    public = client.get(url).content.decode()
    assert "Ignored the assembly" in public and "1 de 2" in public
    assert world.members[7].display_name not in public
    client.force_login(world.officers[0])
    assert world.members[7].display_name in client.get(url).content.decode()
    assert client.get("/elections/recalls/").status_code == 200
    assert client.get("/elections/").status_code == 200
