"""The elections API: lists, detail, ballots after close, casting refusals changing nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "elections"))
from elections_builders import build_world, open_election  # noqa: E402

from asamblea.elections import actions, secrecy  # noqa: E402
from asamblea.elections.models import Ballot, Participation  # noqa: E402

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_guess_budget():
    secrecy.GUESS_LIMIT.reset()
    yield
    secrecy.GUESS_LIMIT.reset()


def _vote(client, election, code, ballot, key="api-key-0001-abcdefgh"):
    return client.post(
        f"/api/elections/{election.pk}/vote",
        {"code": code, "ballot": ballot, "key": key},
        content_type="application/json",
    )


def test_bad_ballots_get_a_clear_error_with_the_field_and_change_nothing(client):
    world = build_world(4)
    election, codes = open_election(world)
    code = codes[world.members[0].pk]
    r = _vote(client, election, code, {"choice": "nobody"})
    assert r.status_code == 400 and r.json() == {"detail": "unknown candidate", "field": "choice"}
    r = _vote(
        client, election, code, {"choice": [world.members[0].public_id, world.members[1].public_id]}
    )
    assert r.status_code == 400 and "too many choices" in r.json()["detail"]
    r = _vote(client, election, "B" * 20, {"choice": None})
    assert r.status_code == 400 and r.json()["field"] == "code"
    assert Ballot.objects.count() == Participation.objects.count() == 0
    assert _vote(client, election, code, {"choice": None}).status_code == 200
    replay = _vote(client, election, code, {"choice": None}, key="api-key-0002-abcdefgh")
    assert replay.status_code == 409 and "already been used" in replay.json()["detail"]
    assert Ballot.objects.count() == 1


def test_ballots_are_published_only_after_close_and_the_lists_show_state(client):
    world = build_world(4)
    election, codes = open_election(world)
    assert _vote(client, election, codes[world.members[0].pk], {"choice": None}).status_code == 200
    assert client.get(f"/api/elections/{election.pk}/ballots").status_code == 409
    listing = client.get("/api/elections?state=open").json()
    assert listing["count"] == 1 and listing["items"][0]["state"] == "open"
    detail = client.get(f"/api/elections/{election.pk}").json()
    assert detail["seed"] is None and len(detail["seed_commitment"]) == 64
    actions.do_close_election(world.officers[0], election)
    ballots = client.get(f"/api/elections/{election.pk}/ballots").json()
    # A sealed ballot (ciphertexts and proofs), bound to this election: never the choice.
    assert ballots["count"] == 1 and ballots["items"][0]["election"] == election.seal_id
    assert set(ballots["items"][0]) == {"v", "election", "answers"}
    assert client.get(f"/api/elections/{election.pk}/tracking-codes").json()["count"] == 1
    closed = _vote(client, election, codes[world.members[1].pk], {"choice": None})
    assert closed.status_code == 409 and "not open" in closed.json()["detail"]
    assert client.get("/api/recalls").json() == {"items": [], "count": 0}
    assert client.get("/api/elections/999999").status_code == 404
