"""The assemblies API over HTTP: a whole session run by the chair's token, and the public reads."""

from __future__ import annotations

import pytest
from assembly_builders import build_body, freeze_roll, make_chair, make_member

from asamblea.registry.actions import do_create_api_token

pytestmark = pytest.mark.django_db


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_chair_runs_a_session_through_the_api_and_anyone_reads_the_roll_call(client):
    built = build_body(
        units=[("Mina Norte", 2), ("Comunidad Sur", 2)], weighted=True, populations=[600, 100]
    )
    chair = make_chair(built.org)
    token, _ = do_create_api_token(None, chair)
    auth = bearer(token)
    south = built.units[1]
    # Entering a unit's instruction is a teller's work (the permission matrix): this chair is
    # also the unit's teller.
    from asamblea.registry.models import OfficerRole

    OfficerRole.objects.create(
        user=chair, organisation=built.org, body=south, role=OfficerRole.Role.TELLER
    )
    for i in range(5):
        make_member(built.org, south, f"Comunera {i}")
    freeze_roll(south)

    r = client.post(
        "/api/sessions",
        {
            "body_id": built.body.pk,
            "title": "Sesión",
            "scheduled_at": "2022-12-28T15:00:00Z",
            "agenda": ["Paro"],
        },
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    session_id = r.json()["id"]
    assert client.post(f"/api/sessions/{session_id}/open", **auth).status_code == 200
    for seat in built.seats:
        r = client.post(
            f"/api/sessions/{session_id}/attendance",
            {"seat_id": seat.pk},
            content_type="application/json",
            **auth,
        )
        assert r.status_code == 200, r.content
    r = client.post(
        f"/api/sessions/{session_id}/motions",
        {
            "title": "Paro regional",
            "text": "Indefinido",
            "proposer_name": "Mina Norte",
            "threshold": "qualified",
            "fraction": "2/3",
            "resolution_kind": "strike_call",
        },
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    motion_id = r.json()["id"]
    r = client.post(
        f"/api/motions/{motion_id}/instructions",
        {"unit_id": south.pk, "counts": {"for": 1, "against": 4}},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    assert r.json()["result"] == "against"
    r = client.post(f"/api/motions/{motion_id}/division", **auth)
    assert r.status_code == 201, r.content
    division_id = r.json()["id"]
    votes = [{"seat_id": s.pk, "choice": "for"} for s in built.seats]
    r = client.post(
        f"/api/divisions/{division_id}/votes",
        {"votes": votes},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"division_id": division_id, "recorded": 4, "deviations": 2}
    again = client.post(
        f"/api/divisions/{division_id}/votes",
        {"votes": votes[:1]},
        content_type="application/json",
        **auth,
    )
    assert again.status_code == 409
    assert again.json()["field"] == "seat_id"
    r = client.post(f"/api/divisions/{division_id}/close", **auth)
    assert r.status_code == 200, r.content

    # Public reads, no token.
    division = client.get(f"/api/divisions/{division_id}").json()
    assert division["is_adopted"] is True
    assert division["totals"] == {"for": "700", "against": "0", "abstain": "0"}
    assert {v["weight"] for v in division["votes"]} == {"300", "50"}
    assert division["rule"]["fraction"] == "2/3"
    assert len(division["deviations"]) == 2
    assert {d["instructed"] for d in division["deviations"]} == {"against"}
    listing = client.get("/api/sessions", {"body_id": built.body.pk}).json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == session_id
    detail = client.get(f"/api/sessions/{session_id}").json()
    assert detail["legal"] == "700" and detail["motions"][0]["status"] == "adopted"
    resolutions = client.get(f"/api/bodies/{built.body.pk}/resolutions").json()
    assert resolutions["count"] == 1
    resolution_id = resolutions["items"][0]["id"]
    r = client.post(
        f"/api/resolutions/{resolution_id}/status",
        {"status": "met", "note": "held"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200
    assert [h["status"] for h in r.json()["history"]] == ["pending", "met"]


def test_writes_need_a_token_and_a_chair(client):
    built = build_body(units=[("Mina Norte", 2)])
    payload = {"body_id": built.body.pk, "title": "S", "scheduled_at": "2022-12-28T15:00:00Z"}
    assert client.post("/api/sessions", payload, content_type="application/json").status_code == 401
    from django.contrib.auth import get_user_model

    stranger = get_user_model().objects.create_user(username="stranger", password="x")
    token, _ = do_create_api_token(None, stranger)
    r = client.post("/api/sessions", payload, content_type="application/json", **bearer(token))
    # The body is public: a user who is not its chair is refused (403, core.permissions).
    assert r.status_code == 403


def test_missing_division_and_session_answer_404_in_the_error_shape(client):
    r = client.get("/api/divisions/999999")
    assert r.status_code == 404
    assert r.json()["detail"] == "division not found"
    assert client.get("/api/sessions/999999").status_code == 404
    assert client.get("/api/bodies/999999/resolutions").status_code == 404


def test_a_delegate_casts_only_their_own_seats_vote(client):
    from django.contrib.auth import get_user_model

    from asamblea.assemblies import actions
    from asamblea.assemblies.models import DelegateVote
    from asamblea.core.clock import now

    built = build_body(units=[("Mina Norte", 2)])
    session = actions.do_open_session(
        None, actions.do_schedule_session(None, built.body, title="S", scheduled_at=now())
    )
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    mine, theirs = built.seats
    delegate = built.mandates[0].member
    delegate.user = get_user_model().objects.create_user(username="delegada", password="x")
    delegate.save()
    token, _ = do_create_api_token(None, delegate.user)
    url = f"/api/divisions/{division.pk}/votes"
    r = client.post(
        url,
        {"votes": [{"seat_id": theirs.pk, "choice": "for"}]},
        content_type="application/json",
        **bearer(token),
    )
    # Not their seat: refused by the permission check (403), naming the field.
    assert r.status_code == 403 and r.json()["field"] == "seat_id"
    r = client.post(
        url,
        {"votes": [{"seat_id": mine.pk, "choice": "against"}]},
        content_type="application/json",
        **bearer(token),
    )
    assert r.status_code == 200, r.content
    assert list(DelegateVote.objects.values_list("seat_id", "choice")) == [(mine.pk, "against")]
    assert "/api/divisions/{division_id}" in client.get("/api/openapi.json").json()["paths"]
