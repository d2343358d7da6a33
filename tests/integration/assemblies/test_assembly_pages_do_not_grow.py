"""Issue 15: a 10,000-delegate assembly's division page and body page do not grow with it.

Each page is asserted at N and 2N delegates (all present, all voted): the same number of queries,
one keyset page of rows, and the same size within a few hundred bytes, under the 50 KB compressed
budget of every page. The seats, delegates and attendance are bulk-inserted (the point is the
pages, not the set-up); the votes go through the casting action, which keeps the running tally.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
from html import unescape

import pytest
from assembly_builders import apportion, make_org
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from asamblea.assemblies import actions
from asamblea.assemblies.models import Attendance
from asamblea.core.clock import now
from asamblea.registry.models import Body, Mandate, Member, Seat

pytestmark = pytest.mark.django_db

N = 200
PER_UNIT = 10
# Every page's budget (tests/integration/test_demo_federation.py), compressed.
PAGE_BUDGET = 50_000


def assembly(delegates: int):  # type: ignore[no-untyped-def]
    """A weighted assembly of ``delegates`` seats, everyone present, a division with every vote."""
    org = make_org("grande")
    at = now()
    body = Body.objects.create(
        organisation=org,
        code=f"nacional-{org.pk}",
        name="Asamblea nacional",
        kind=Body.Kind.ASSEMBLY,
        voting_rule=Body.VotingRule.WEIGHTED,
        created_at=at,
    )
    units = Body.objects.bulk_create(
        Body(
            organisation=org,
            code=f"u{org.pk}-{i:04d}",
            name=f"Sindicato {i:04d}",
            kind=Body.Kind.WORKPLACE,
            created_at=at,
        )
        for i in range(delegates // PER_UNIT)
    )
    apportion(body, {u: (20 + 37 * i % 2981, PER_UNIT) for i, u in enumerate(units)})
    seats = Seat.objects.bulk_create(
        Seat(body=body, unit=u, number=k + 1, created_at=at) for u in units for k in range(PER_UNIT)
    )
    members = Member.objects.bulk_create(
        Member(
            organisation=org,
            member_ref=f"d{org.pk}-{i}",
            display_name=f"Delegada {i:05d} Quispe",
            created_at=at,
        )
        for i in range(len(seats))
    )
    mandates = Mandate.objects.bulk_create(
        Mandate(seat=s, member=m, started_at=at - dt.timedelta(days=1), source="test")
        for s, m in zip(seats, members, strict=True)
    )
    session = actions.do_schedule_session(None, body, title="Congreso", scheduled_at=at)
    session = actions.do_open_session(None, session)
    Attendance.objects.bulk_create(
        Attendance(session=session, seat=s, mandate=md, member=m, arrived_at=at)
        for s, md, m in zip(seats, mandates, members, strict=True)
    )
    motion = actions.do_propose_motion(
        None, session, title="Huelga general", text="Desde el lunes.", proposer_name="Mesa"
    )
    division = actions.do_open_division(None, motion)
    choices = ("for", "for", "against", "abstain")
    votes = [(s.pk, choices[i % len(choices)]) for i, s in enumerate(seats)]
    for k in range(0, len(votes), 100):
        actions.do_cast_votes(None, division, votes[k : k + 100])
    return org, body, division


def get(client: Client, url: str) -> tuple[int, str, int]:
    """(queries, html, compressed bytes) of one page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return (
        len(ctx.captured_queries),
        response.content.decode(),
        len(gzip.compress(response.content)),
    )


def walk(client: Client, url: str) -> dict[str, tuple[int, str, int]]:
    """The first page, the one after it, the one before that, and a search."""
    pages = {"first": get(client, url)}
    [following] = re.findall(r'<a href="([^"]*)" rel="next">', pages["first"][1])
    pages["next"] = get(client, url + unescape(following))
    [previous] = re.findall(r'<a href="([^"]*)" rel="prev">', pages["next"][1])
    pages["previous"] = get(client, url + unescape(previous))
    pages["find"] = get(client, url + "?q=Sindicato+0007")
    return pages


def division_pages(client: Client, division) -> dict[str, tuple[int, str, int]]:  # type: ignore[no-untyped-def]
    return walk(client, f"/assemblies/divisions/{division.pk}/")


def body_pages(client: Client, org, body) -> dict[str, tuple[int, str, int]]:  # type: ignore[no-untyped-def]
    return walk(client, f"/o/{org.slug}/b/{body.code}/")


def rows(html: str) -> int:
    return html.count("/assemblies/delegates/")


def assert_same_shape(small: dict, large: dict, per_page: int) -> None:  # type: ignore[type-arg]
    for name in small:
        queries_small, html_small, bytes_small = small[name]
        queries_large, html_large, bytes_large = large[name]
        assert queries_small == queries_large, name
        assert bytes_large <= PAGE_BUDGET, (name, bytes_large)
        # The same rows shown; the byte counts differ only by numbers and names.
        assert rows(html_small) == rows(html_large), name
        assert abs(len(html_large) - len(html_small)) < 2_000, (name, len(html_small))
        assert abs(bytes_large - bytes_small) < 1_000, (name, bytes_small, bytes_large)
    assert rows(large["first"][1]) == rows(large["previous"][1]) == per_page
    # The search found unit 7's ten delegates and no one else.
    assert rows(large["find"][1]) == PER_UNIT
    assert large["find"][1].count("Sindicato 0007") >= 1


def test_the_division_page_does_not_grow_with_the_roll_call_open_or_closed():
    client = Client()
    small_org, small_body, small = assembly(N)
    large_org, large_body, large = assembly(2 * N)
    small_pages, large_pages = division_pages(client, small), division_pages(client, large)
    assert_same_shape(small_pages, large_pages, per_page=100)
    # The totals at the top come from the running tally: 2N votes, half of them for.
    assert f"{2 * N} votos emitidos" in large_pages["next"][1].replace(".", "")
    assert large_pages["first"][0] <= 6
    small_closed = actions.do_close_division(None, small)
    large_closed = actions.do_close_division(None, large)
    assert_same_shape(
        division_pages(client, small_closed), division_pages(client, large_closed), per_page=100
    )


def test_the_body_page_does_not_grow_with_the_assembly():
    client = Client()
    small_org, small_body, _small = assembly(N)
    large_org, large_body, _large = assembly(2 * N)
    small_pages = body_pages(client, small_org, small_body)
    large_pages = body_pages(client, large_org, large_body)
    assert_same_shape(small_pages, large_pages, per_page=100)
    assert large_pages["first"][0] <= 14


def test_a_cursor_typed_by_hand_shows_the_roll_call_from_its_start_and_says_so():
    _org, _body, division = assembly(N)
    client = Client()
    html = client.get(f"/assemblies/divisions/{division.pk}/?after=abc").content.decode()
    assert "no es válido" in html
    assert rows(html) == 100
    too_long = client.get(f"/assemblies/divisions/{division.pk}/?q={'x' * 101}").content.decode()
    assert "como máximo 100 caracteres" in too_long
    assert rows(too_long) == 100
