"""The registry's pages: what they show, what they weigh, how many queries they make."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from asamblea.registry.models import Body, Mandate, Member, Seat
from fixtures.sample import build_sample

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 50 * 1024
DEPARTMENTS = ("Puno", "Cusco", "Arequipa", "Ayacucho", "Apurímac", "Moquegua", "Tacna", "Lima")


@pytest.fixture
def sample():
    return build_sample()


@pytest.fixture
def big_sample():
    # 67 bodies: 8 departments x 7 units, 8 regional assemblies, a committee, a national assembly.
    return build_sample(slug="grande", regions=DEPARTMENTS, units_per_region=7, seats_per_unit=3)


def _gzip_size(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=6))


def _css_size() -> int:
    path = finders.find("web/asamblea.css")
    assert path
    with open(path, "rb") as fh:
        return _gzip_size(fh.read())


def test_home_page_lists_organisations_with_links(client, sample):
    html = client.get("/").content.decode()
    assert sample.org.name in html
    assert reverse("registry:organisation", args=[sample.org.slug]) in html


def test_organisation_page_draws_the_graph_with_seat_counts(client, sample):
    response = client.get(reverse("registry:organisation", args=[sample.org.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    svg = re.search(r"<svg class=\"graph\".*?</svg>", html, re.S)
    assert svg, "the structure picture is inline SVG"
    svg_text = svg.group(0)
    # Units of a region are one box with their count, linked to the list of those units.
    assert "Puno" in svg_text and "3 unidades" in svg_text
    assert "/o/sample/units/?region=Puno" in svg_text
    # Each assembly appears with its seats; the national assembly has 2 seats per region.
    assert "Asamblea Nacional" in svg_text and "6 escaños" in svg_text
    # Edge labels: the regional assembly of Puno receives 3 units x 2 seats from Puno's units.
    assert '<text class="n"' in svg_text and ">6<title>" in svg_text


def test_units_page_filters_by_region_and_links_each_unit(client, sample):
    url = reverse("registry:units", args=[sample.org.slug]) + "?region=Cusco"
    html = client.get(url).content.decode()
    assert "Base 1 de Cusco" in html and "Base 1 de Puno" not in html
    assert reverse("registry:body", args=[sample.org.slug, "cusco-1"]) in html


def test_body_page_shows_roll_seats_delegates_alternates_and_history(client, sample):
    ra = sample.assemblies[0]
    html = client.get(reverse("registry:body", args=[sample.org.slug, ra.code])).content.decode()
    assert "Asamblea Regional de Puno" in html
    # Delegates of the current mandates, alternates in order, and the ended mandate with reason.
    current = Mandate.objects.filter(seat__body=ra, ended_at__isnull=True).select_related("member")
    for mandate in current:
        assert mandate.member.display_name in html
    assert html.index("Suplente ar-puno-puno-1-alt1") < html.index("Suplente ar-puno-puno-1-alt2")
    assert "revocado" in html  # the recalled mandate's end reason, in Spanish
    assert "Sucesora 0" in html
    # It sends delegates to the national assembly and the committee.
    assert reverse("registry:body", args=[sample.org.slug, "asamblea-nacional"]) in html
    assert reverse("registry:body", args=[sample.org.slug, "comite-sur"]) in html


def test_body_page_of_a_unit_shows_members_from_the_latest_frozen_roll(client, sample):
    unit = sample.units[1]
    html = client.get(reverse("registry:body", args=[sample.org.slug, unit.code])).content.decode()
    assert "157 en el padrón congelado" in html
    assert "Asamblea Regional de Puno" in html  # where it sends delegates


def test_weighted_body_shows_each_seat_weight_exactly(client, sample):
    html = client.get(
        reverse("registry:body", args=[sample.org.slug, sample.assemblies[0].code])
    ).content.decode()
    # Puno's first unit: 120 members over 2 seats; second: 157 over 2, shown as a decimal with
    # the exact fraction on demand (issue 17).
    assert ">60<" in html and "<summary>78,50</summary>" in html and "157/2" in html


def test_unknown_organisation_and_body_are_404(client, sample):
    assert client.get("/o/nope/").status_code == 404
    assert client.get(f"/o/{sample.org.slug}/b/nope/").status_code == 404
    # A body is found only under its own organisation.
    other = build_sample(slug="otra", regions=("Tacna",), units_per_region=1)
    assert client.get(f"/o/{other.org.slug}/b/{sample.assemblies[0].code}/").status_code == 404


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_body_page_query_count_does_not_grow_with_seats(client, sample, big_sample):
    small = _queries(client, reverse("registry:body", args=[sample.org.slug, "asamblea-nacional"]))
    large = _queries(
        client, reverse("registry:body", args=[big_sample.org.slug, "asamblea-nacional"])
    )
    assert (
        Seat.objects.filter(body=big_sample.national).count()
        > 2 * Seat.objects.filter(body=sample.national).count()
    )
    assert small == large
    assert large <= 14


def test_organisation_page_query_count_does_not_grow_with_bodies(client, sample, big_sample):
    small = _queries(client, reverse("registry:organisation", args=[sample.org.slug]))
    large = _queries(client, reverse("registry:organisation", args=[big_sample.org.slug]))
    assert small == large <= 6


@pytest.mark.parametrize(
    "name,args",
    [
        ("web:home", []),
        ("registry:organisation", ["grande"]),
        ("registry:units", ["grande"]),
        ("registry:body", ["grande", "asamblea-nacional"]),
        ("registry:body", ["grande", "ar-puno"]),
        ("registry:body", ["grande", "comite-sur"]),
        ("registry:body", ["grande", "puno-1"]),
        ("web:login", []),
        ("web:officer_login", []),
    ],
)
def test_each_page_weighs_under_50_kb_compressed_with_its_stylesheet(
    client, big_sample, name, args
):
    assert Body.objects.filter(organisation=big_sample.org).count() >= 60
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert _gzip_size(response.content) + _css_size() <= PAGE_BUDGET


def test_body_page_with_many_seats_is_paginated_and_stays_under_budget(client):
    sample = build_sample(slug="masiva", regions=("Puno",), units_per_region=1, seats_per_unit=1)
    unit = sample.units[0]
    at = sample.org.created_at
    seats = [
        Seat(body=sample.national, unit=unit, number=n, created_at=at) for n in range(10, 1210)
    ]
    Seat.objects.bulk_create(seats)
    url = reverse("registry:body", args=[sample.org.slug, "asamblea-nacional"])
    first = client.get(url)
    assert _gzip_size(first.content) + _css_size() <= PAGE_BUDGET
    html = first.content.decode()
    # Keyset pages of 100 seats (issue 15): follow "next" to the last page, every seat once.
    seen, pages = [], 0
    while True:
        pages += 1
        seen += re.findall(r'<td class="num">(\d+)</td><td>(?:<a|<em)', html)
        following = re.findall(r'<a href="([^"]*)" rel="next">', html)
        if not following:
            break
        response = client.get(url + unescape(following[0]))
        assert _gzip_size(response.content) + _css_size() <= PAGE_BUDGET
        html = response.content.decode()
    total = Seat.objects.filter(body=sample.national, abolished_at__isnull=True).count()
    assert total > 1200
    assert pages == -(-total // 100)
    assert len(seen) == total, "a seat shown twice or never"


def test_member_page_needs_sign_in(client, sample):
    response = client.get(reverse("web:me"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_member_page_shows_only_the_signed_in_members_own_data(client, sample, django_user_model):
    holder = Member.objects.get(member_ref="ar-puno-puno-1-1")
    other = Member.objects.get(member_ref="ar-puno-puno-2-1")
    user = django_user_model.objects.create_user("member-x")
    Member.objects.filter(pk=holder.pk).update(user=user)
    client.force_login(user)
    html = client.get(reverse("web:me")).content.decode()
    assert holder.display_name in html and holder.public_id in html
    assert "Base 1 de Puno" in html  # their unit
    assert "Asamblea Regional de Puno" in html  # their mandate
    assert other.display_name not in html and other.public_id not in html
    assert holder.email not in html or holder.email == ""
    # No parameter selects another member.
    html2 = client.get(reverse("web:me") + f"?member={other.pk}").content.decode()
    assert other.display_name not in html2


def test_member_page_lists_ended_mandates_with_their_end_reason(client, sample, django_user_model):
    recalled = Mandate.objects.filter(ended_at__isnull=False).select_related("member").first()
    user = django_user_model.objects.create_user("member-y")
    Member.objects.filter(pk=recalled.member_id).update(user=user)
    client.force_login(user)
    html = client.get(reverse("web:me")).content.decode()
    assert recalled.ended_at.strftime("%Y-%m-%d") in html and "revocado" in html


def test_language_switcher_is_a_plain_form_and_switches_to_english(client, sample):
    html = client.get("/").content.decode()
    assert 'action="/language/"' in html and 'name="language" value="en"' in html
    assert "<script" not in html
    response = client.post("/language/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("registry:organisation", args=[sample.org.slug])).content.decode()
    assert 'lang="en"' in html and "Assemblies and committees" in html
    client.post("/language/", {"language": "es", "next": "/"})
    html = client.get(reverse("registry:organisation", args=[sample.org.slug])).content.decode()
    assert "Asambleas y comités" in html


def test_pages_are_spanish_by_default(client, sample):
    html = client.get(reverse("registry:organisation", args=[sample.org.slug])).content.decode()
    assert 'lang="es"' in html and "Estructura" in html


def test_dates_on_pages_are_utc(client, sample):
    unit = sample.units[0]
    roll = unit.rolls.get()
    html = client.get(reverse("registry:body", args=[sample.org.slug, unit.code])).content.decode()
    assert roll.frozen_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") in html
