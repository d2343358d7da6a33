"""Pages of assemblies over HTTP: session with tally, division, resolutions, delegate, minutes."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from assembly_builders import build_body, freeze_roll, make_member
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from asamblea.assemblies import actions
from asamblea.core.clock import now

pytestmark = pytest.mark.django_db

NAMES = [
    "Quispe Mamani, Rosa",
    "Huanca Condori, Eulogio",
    "Ñaupari Ccori, Teófilo",
    "Apaza Ticona, Wilma",
]


def session_with_division(n_units=3, seats=2, close=True, names=None, **settings):
    built = build_body(
        units=[(f"Unit {i + 1}", seats) for i in range(n_units)],
        delegate_names=names,
        name="Southern joint strike committee",
        **settings,
    )
    session = actions.do_schedule_session(
        None, built.body, title="Session of 28 December", scheduled_at=now(), agenda="Strike\nMarch"
    )
    actions.do_open_session(None, session)
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(
        None,
        session,
        title="All-out regional strike",
        text="From 4 January.",
        proposer_name="Unit 1",
        resolution_kind="strike_call",
    )
    unit = built.units[0]
    for i in range(4):
        make_member(built.org, unit, f"Member {i}")
    freeze_roll(unit)
    actions.do_record_instruction_count(None, motion, unit, {"for": 0, "against": 3})
    division = actions.do_open_division(None, motion)
    for i, seat in enumerate(built.seats):
        actions.do_cast_vote(None, division, seat, "for" if i % 3 else "abstain")
    if close:
        division = actions.do_close_division(None, division)
    return built, session, division


def test_session_page_shows_the_live_tally_without_javascript_and_refreshes_with_htmx(client):
    built, session, division = session_with_division(close=False)
    html = client.get(f"/assemblies/sessions/{session.pk}/").content.decode()
    assert "All-out regional strike" in html
    assert f'hx-get="/assemblies/divisions/{division.pk}/tally"' in html
    assert "assemblies/htmx.min.js" in html
    # The tally is in the page itself: 4 for, 2 abstaining.
    fragment = client.get(f"/assemblies/divisions/{division.pk}/tally").content.decode()
    assert ">4<" in fragment and ">2<" in fragment
    vote_seat = built.seats[0]
    assert vote_seat  # nothing more to cast: every seat voted
    assert client.get("/static/assemblies/htmx.min.js").status_code == 200


def test_division_page_lists_100_votes_a_page_in_at_most_10_queries(client):
    built, session, division = session_with_division(n_units=30, seats=5)
    assert division.votes.count() == 150
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/assemblies/divisions/{division.pk}/")
    assert response.status_code == 200
    assert len(ctx.captured_queries) <= 10, [q["sql"] for q in ctx.captured_queries]
    html = response.content.decode()
    assert html.count("/assemblies/delegates/") == 100
    assert "desviación" in html  # Unit 1 instructed against; its delegates voted otherwise
    # Keyset pages: the next link starts after the last seat shown, and the page after it
    # links back to the first page's end.
    [next_url] = re.findall(r'<a href="([^"]*)" rel="next">', html)
    assert re.fullmatch(r"\?after=\d+#roll", unescape(next_url)), next_url
    second = client.get(f"/assemblies/divisions/{division.pk}/{unescape(next_url)}")
    second_html = second.content.decode()
    assert second_html.count("/assemblies/delegates/") == 50
    assert 'rel="next"' not in second_html
    [previous_url] = re.findall(r'<a href="([^"]*)" rel="prev">', second_html)
    back = client.get(f"/assemblies/divisions/{division.pk}/{unescape(previous_url)}")
    assert back.content.decode().count("/assemblies/delegates/") == 100
    shown = set(re.findall(r'href="/assemblies/delegates/([^/"]+)/"', html))
    shown_next = set(re.findall(r'href="/assemblies/delegates/([^/"]+)/"', second_html))
    assert len(shown | shown_next) == 150, "a vote shown twice or never"


def test_resolutions_page_lists_adopted_motions_with_status_history(client):
    built, session, division = session_with_division()
    assert division.is_adopted
    resolution = division.motion.resolution
    actions.do_set_resolution_status(None, resolution, "met", note="strike held")
    html = client.get(f"/assemblies/bodies/{built.body.pk}/resolutions/").content.decode()
    assert "All-out regional strike" in html
    assert "strike held" in html


def test_delegate_page_shows_votes_and_deviations(client):
    built, session, division = session_with_division()
    vote = division.votes.filter(is_deviation=True).first()
    html = client.get(f"/assemblies/delegates/{vote.member.public_id}/").content.decode()
    assert "All-out regional strike" in html
    assert "desviación" in html
    stranger = make_member(built.org, built.units[0], "Not a delegate")
    assert client.get(f"/assemblies/delegates/{stranger.public_id}/").status_code == 404


def test_minutes_pdf_opens_and_contains_every_roll_call_name(client):
    built, session, division = session_with_division(n_units=2, names=NAMES)
    response = client.get(f"/assemblies/sessions/{session.pk}/minutes.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    names = list(division.votes.values_list("member_name", flat=True))
    assert len(names) == 4
    for name in names:
        assert name in text, name
    # In the session's language (Spanish by default), or in the one asked for.
    assert "DESVIACIÓN" in text and "Acta:" in text
    english = client.get(f"/assemblies/sessions/{session.pk}/minutes.pdf?lang=en")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages)
    assert "DEVIATION" in text and "Minutes:" in text


def test_minutes_csv_has_a_row_per_vote_with_name_unit_choice_and_weight(client):
    built, session, division = session_with_division(names=NAMES + ["Mamani, José", "Ccama, Ana"])
    response = client.get(f"/assemblies/sessions/{session.pk}/minutes.csv?lang=en")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    votes = [r for r in rows if r["section"] == "vote"]
    assert {r["name"] for r in votes} == set(NAMES + ["Mamani, José", "Ccama, Ana"])
    assert {r["weight"] for r in votes} == {"1"}
    [result] = [r for r in rows if r["section"] == "division"]
    assert result["choice"] == "adopted"
    assert [r["detail"] for r in rows if r["section"] == "agenda"] == ["Strike", "March"]


def test_attendance_page_lists_who_sits_in_each_seat(client):
    built, session, division = session_with_division(names=NAMES + ["Mamani, José", "Ccama, Ana"])
    html = client.get(f"/assemblies/sessions/{session.pk}/attendance/").content.decode()
    for name in NAMES:
        assert name in html
