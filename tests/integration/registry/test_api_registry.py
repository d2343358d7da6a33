"""The registry's JSON API: shapes, pagination, errors, and the registrar's write endpoint."""

from __future__ import annotations

import pytest

from asamblea.core.models import AuditEntry
from asamblea.registry import actions
from asamblea.registry.models import Body, Mandate, Member, Membership, OfficerRole
from fixtures.sample import build_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    return build_sample()


def test_organisations_list_is_paginated_with_items_and_count(client, sample):
    build_sample(slug="otra", regions=("Tacna",), units_per_region=1)
    page = client.get("/api/organisations?limit=1&offset=1").json()
    assert page["count"] == 2
    assert [o["slug"] for o in page["items"]] == ["otra"]
    assert client.get("/api/organisations?offset=5").json() == {"items": [], "count": 2}


def test_organisation_detail_lists_its_bodies(client, sample):
    data = client.get(f"/api/organisations/{sample.org.pk}").json()
    assert data["slug"] == "sample"
    codes = {b["code"] for b in data["bodies"]}
    assert codes == set(Body.objects.filter(organisation=sample.org).values_list("code", flat=True))
    assert all(isinstance(b["id"], int) for b in data["bodies"])


def test_organisation_bodies_can_be_filtered_by_kind(client, sample):
    data = client.get(f"/api/organisations/{sample.org.pk}/bodies?kind=assembly&limit=2").json()
    assert data["count"] == 4 and len(data["items"]) == 2
    assert {b["kind"] for b in data["items"]} == {"assembly"}


def test_body_detail_has_roll_and_links_with_seat_counts(client, sample):
    unit = sample.units[0]
    data = client.get(f"/api/bodies/{unit.pk}").json()
    assert data["latest_roll"]["size"] == 120
    assert data["sends_to"] == [
        {"body": {**data["sends_to"][0]["body"], "code": "ar-puno"}, "seats": 2}
    ]
    ra = client.get(f"/api/bodies/{sample.assemblies[0].pk}").json()
    assert ra["seats"] == 6 and ra["latest_roll"] is None
    assert sorted(link["body"]["code"] for link in ra["receives_from"]) == [
        "puno-1",
        "puno-2",
        "puno-3",
    ]
    assert {link["body"]["code"] for link in ra["sends_to"]} == {"asamblea-nacional", "comite-sur"}


def test_seats_show_holders_and_exact_weights(client, sample):
    ra = sample.assemblies[0]
    data = client.get(f"/api/bodies/{ra.pk}/seats?limit=500").json()
    assert data["count"] == 6
    by_unit = {}
    for seat in data["items"]:
        by_unit.setdefault(seat["unit"]["code"], []).append(seat)
        assert seat["holder"]["member"]["public_id"]
        assert set(seat["holder"]["member"]) == {"public_id", "display_name"}  # no contact data
    assert [s["weight"] for s in by_unit["puno-1"]] == ["60", "60"]
    assert [s["weight"] for s in by_unit["puno-2"]] == ["157/2", "157/2"]


def test_seats_of_a_one_delegate_one_vote_body_carry_no_weight(client, sample):
    data = client.get(f"/api/bodies/{sample.committee.pk}/seats").json()
    assert data["count"] == 4 and {s["weight"] for s in data["items"]} == {None}


def test_mandates_can_be_filtered_to_current_or_ended(client, sample):
    ra = sample.assemblies[0]
    everything = client.get(f"/api/bodies/{ra.pk}/mandates").json()
    current = client.get(f"/api/bodies/{ra.pk}/mandates?current=true").json()
    ended = client.get(f"/api/bodies/{ra.pk}/mandates?current=false").json()
    assert everything["count"] == 7 and current["count"] == 6 and ended["count"] == 1
    assert {m["ended_at"] for m in current["items"]} == {None}
    assert ended["items"][0]["end_reason"] == "recalled"
    assert Mandate.objects.filter(seat__body=ra, ended_at__isnull=True).count() == 6


@pytest.mark.parametrize(
    "url",
    [
        "/api/organisations/999999",
        "/api/organisations/999999/bodies",
        "/api/bodies/999999",
        "/api/bodies/999999/seats",
        "/api/bodies/999999/mandates",
    ],
)
def test_unknown_ids_are_404_with_detail_and_field(client, sample, url):
    response = client.get(url)
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"detail", "field"} and body["detail"].endswith("not found")


@pytest.mark.parametrize(
    "query,field",
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("current=maybe", "current"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client, sample, query, field):
    response = client.get(f"/api/bodies/{sample.assemblies[0].pk}/mandates?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field and response.json()["detail"]


def test_non_integer_id_is_422(client, sample):
    response = client.get("/api/bodies/abc")
    assert response.status_code == 422 and response.json()["field"] == "body_id"


def test_openapi_document_describes_the_registry_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in [
        "/api/organisations",
        "/api/organisations/{organisation_id}",
        "/api/bodies/{body_id}",
        "/api/bodies/{body_id}/seats",
        "/api/bodies/{body_id}/mandates",
        "/api/organisations/{organisation_id}/members",
    ]:
        assert path in paths
    assert client.get("/api/docs").status_code == 200


# --- writes -------------------------------------------------------------------------------------


@pytest.fixture
def registrar(sample, django_user_model):
    user = django_user_model.objects.create_user("registrar", password="not-used-here-1")
    actions.do_grant_role(None, user, sample.org, OfficerRole.Role.REGISTRAR)
    token, _row = actions.do_create_api_token(None, user, label="test")
    return user, token


NEW_MEMBER = {
    "unit_code": "puno-1",
    "member_ref": "PUNO-NEW-1",
    "display_name": "Rosa Quispe",
    "email": "rosa@example.org",
    "joined_on": "2023-01-05",
}


def test_registrar_adds_a_member_with_a_bearer_token(client, sample, registrar):
    user, token = registrar
    response = client.post(
        f"/api/organisations/{sample.org.pk}/members",
        NEW_MEMBER,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    member = Member.objects.get(public_id=created["public_id"])
    assert member.member_ref == "PUNO-NEW-1" and member.organisation == sample.org
    assert Membership.objects.get(member=member, left_on__isnull=True).unit.code == "puno-1"
    assert AuditEntry.objects.filter(action="member.add", actor=user).count() == 1


def test_adding_a_member_twice_is_refused_and_writes_nothing(client, sample, registrar):
    _user, token = registrar
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/organisations/{sample.org.pk}/members"
    assert (
        client.post(url, NEW_MEMBER, content_type="application/json", headers=headers).status_code
        == 201
    )
    before = Member.objects.count()
    again = client.post(url, NEW_MEMBER, content_type="application/json", headers=headers)
    assert again.status_code == 400 and again.json()["field"] == "member_ref"
    assert Member.objects.count() == before


def test_writes_need_a_valid_bearer_token_and_ignore_cookies(client, sample, registrar):
    user, _token = registrar
    url = f"/api/organisations/{sample.org.pk}/members"
    client.force_login(user)  # a session cookie is not an API credential
    assert client.post(url, NEW_MEMBER, content_type="application/json").status_code == 401
    bad = client.post(
        url, NEW_MEMBER, content_type="application/json", headers={"Authorization": "Bearer nope"}
    )
    assert bad.status_code == 401 and bad.json() == {
        "detail": "authentication required",
        "field": None,
    }
    assert not Member.objects.filter(member_ref="PUNO-NEW-1").exists()


def test_a_token_without_the_registrar_role_gets_the_same_404_as_an_unknown_unit(
    client, sample, django_user_model
):
    user = django_user_model.objects.create_user("nobody")
    token, _ = actions.do_create_api_token(None, user)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/organisations/{sample.org.pk}/members"
    forbidden = client.post(url, NEW_MEMBER, content_type="application/json", headers=headers)
    missing = client.post(
        url,
        {**NEW_MEMBER, "unit_code": "no-such-unit"},
        content_type="application/json",
        headers=headers,
    )
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == {"detail": "unit not found", "field": "unit_code"}
    assert not Member.objects.filter(member_ref="PUNO-NEW-1").exists()


def test_a_registrar_limited_to_one_unit_cannot_add_to_another(client, sample, django_user_model):
    user = django_user_model.objects.create_user("unit-registrar")
    actions.do_grant_role(None, user, sample.org, OfficerRole.Role.REGISTRAR, sample.units[1])
    token, _ = actions.do_create_api_token(None, user)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/organisations/{sample.org.pk}/members"
    assert (
        client.post(url, NEW_MEMBER, content_type="application/json", headers=headers).status_code
        == 404
    )
    ok = client.post(
        url,
        {**NEW_MEMBER, "unit_code": sample.units[1].code},
        content_type="application/json",
        headers=headers,
    )
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "change,field,status",
    [
        ({"joined_on": "yesterday"}, "joined_on", 422),
        ({"display_name": ""}, "display_name", 422),
        ({"email": "not-an-address"}, "email", 400),
        ({"unit_code": "ar-puno"}, "unit_code", 400),
    ],
)
def test_bad_member_input_names_the_field_and_writes_nothing(
    client, sample, registrar, change, field, status
):
    _user, token = registrar
    response = client.post(
        f"/api/organisations/{sample.org.pk}/members",
        {**NEW_MEMBER, **change},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert not Member.objects.filter(member_ref="PUNO-NEW-1").exists()
