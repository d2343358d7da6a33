"""The chair's console (/console/sessions/) and the delegates' roll-call page, over HTTP.

Every form calls the same ``check_*`` as the API and the CLI; these tests drive them as a chair and
as delegates would, and check who may reach each page, CSRF on every form, the page weight, and
the attendance shown for a closed session (it said "Present 0 of 89" beside quorate divisions).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re

import pytest
from assembly_builders import build_body, make_alternate, make_chair, make_member
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from asamblea.assemblies import actions
from asamblea.assemblies.models import (
    Attendance,
    DelegateVote,
    Deviation,
    Division,
    Motion,
    Resolution,
    Session,
)
from asamblea.core.clock import now
from asamblea.recordstore.models import RecordEntry

pytestmark = pytest.mark.django_db

NAMES = ["Quispe Mamani, Rosa", "Huanca Condori, Eulogio", "Apaza Ticona, Wilma"]


_n = [0]


def _user_for(member, name):
    _n[0] += 1
    user = get_user_model().objects.create_user(username=f"{name}-{_n[0]}", password=None)
    member.user = user
    member.save(update_fields=["user"])
    return user


def world(**settings):
    built = build_body(
        units=[(f"Unidad {i + 1}", 1) for i in range(3)],
        delegate_names=NAMES,
        name="Comité de lucha del sur",
        **settings,
    )
    chair = make_chair(built.org)
    delegates = [_user_for(m.member, f"delegate{i}") for i, m in enumerate(built.mandates)]
    alternate = make_alternate(built, built.units[2], "Ccama Yupanqui, Ana")
    alt_user = _user_for(alternate.member, "alternate")
    return built, chair, delegates, alternate, alt_user


def signed_in(user, **kwargs):
    """Signed in as the officers' sign-in leaves a session: with a verified TOTP device (a
    member's e-mail code is no second factor for the console; delegates need none to vote)."""
    client = Client(**kwargs)
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def scheduled(built, title="Sesión del 28 de diciembre"):
    return actions.do_schedule_session(
        None, built.body, title=title, scheduled_at=now(), agenda="Paro\nMarcha"
    )


def test_a_chair_runs_a_whole_session_from_the_console_and_delegates_vote_on_their_pages():
    built, chair, delegates, alternate, alt_user = world()
    c = signed_in(chair)
    # Schedule in the organisation's time zone (UTC here), then open.
    r = c.post(
        reverse("console:sessions:schedule"),
        {
            "body_id": built.body.pk,
            "title": "Sesión ordinaria",
            "scheduled_at": "2026-12-28T10:00",
            "agenda": "Paro regional\nMarcha",
        },
    )
    assert r.status_code == 302
    session = Session.objects.get(title="Sesión ordinaria")
    assert r["Location"] == reverse("console:sessions:session", args=[session.pk])
    assert c.post(reverse("console:sessions:open", args=[session.pk])).status_code == 302
    session.refresh_from_db()
    assert session.status == "open"
    # Attendance: two delegates by name; the third seat's alternate stands in.
    page = c.get(reverse("console:sessions:attendance", args=[session.pk]), {"q": "Quispe"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Quispe Mamani, Rosa" in html and "Huanca Condori" not in html
    seats = built.seats
    attend = reverse("console:sessions:attend", args=[session.pk])
    for seat in seats[:2]:
        assert c.post(attend, {"seat_id": seat.pk}).status_code == 302
    r = c.post(attend, {"seat_id": seats[2].pk, "member_id": alternate.member.public_id})
    assert r.status_code == 302
    sitting = Attendance.objects.get(session=session, seat=seats[2], left_at__isnull=True)
    assert sitting.member_id == alternate.member_id and sitting.standing_in_id == alternate.pk
    # A motion that becomes a demand, with a unit's instruction against it.
    r = c.post(
        reverse("console:sessions:propose", args=[session.pk]),
        {
            "title": "Pliego de reclamos",
            "text": "Aprobar el pliego.",
            "proposer_name": "Unidad 1",
            "threshold": "majority_cast",
            "resolution_kind": "demand",
        },
    )
    assert r.status_code == 302
    motion = Motion.objects.get(session=session, title="Pliego de reclamos")
    make_member(built.org, built.units[0], "Socia de base")
    from assembly_builders import freeze_roll

    freeze_roll(built.units[0])
    actions.do_record_instruction_count(None, motion, built.units[0], {"for": 0, "against": 2})
    console = c.get(reverse("console:sessions:session", args=[session.pk])).content.decode()
    assert "Abrir una votación" in console or "Open a division" in console
    r = c.post(reverse("console:sessions:open_division", args=[session.pk, motion.pk]))
    assert r.status_code == 302
    division = Division.objects.get(motion=motion)
    console = c.get(reverse("console:sessions:session", args=[session.pk])).content.decode()
    # The threshold and the quorum in words, and the live tally that htmx polls.
    assert "2 o más" in console or "2 or more" in console
    assert f'hx-get="/assemblies/divisions/{division.pk}/tally"' in console
    # Each delegate votes on their own page; the first deviates from the instruction.
    vote_url = reverse("assemblies:vote", args=[division.pk])
    d0 = signed_in(delegates[0])
    mine = d0.get(vote_url).content.decode()
    assert "En contra" in mine or "Against" in mine
    assert d0.post(vote_url, {"seat_id": seats[0].pk, "choice": "for"}).status_code == 303
    assert (
        signed_in(delegates[1])
        .post(vote_url, {"seat_id": seats[1].pk, "choice": "for"})
        .status_code
        == 303
    )
    a = signed_in(alt_user)
    assert a.post(vote_url, {"seat_id": seats[2].pk, "choice": "abstain"}).status_code == 303
    vote = DelegateVote.objects.get(division=division, seat=seats[0])
    assert vote.is_deviation and Deviation.objects.filter(vote=vote).exists()
    assert DelegateVote.objects.get(division=division, seat=seats[2]).is_alternate
    # The live tally fragment counts them.
    tally = Client().get(reverse("assemblies:division_tally", args=[division.pk])).content
    assert b'<td class="num">2</td>' in tally
    # The chair closes the division: adopted, the resolution follows.
    r = c.post(reverse("console:sessions:close_division", args=[session.pk, division.pk]))
    assert r.status_code == 302
    division.refresh_from_db()
    assert division.status == "closed" and division.is_adopted
    resolution = Resolution.objects.get(motion=motion)
    r = c.post(
        reverse("console:sessions:resolution_status", args=[session.pk, resolution.pk]),
        {"status": "partly_met", "note": "El ministerio recibió el pliego"},
    )
    assert r.status_code == 302
    resolution.refresh_from_db()
    assert resolution.status == "partly_met"
    assert list(resolution.history.values_list("status", flat=True)) == ["pending", "partly_met"]
    console = c.get(reverse("console:sessions:session", args=[session.pk])).content.decode()
    assert "El ministerio recibió el pliego" in console
    assert "Quispe Mamani, Rosa" in console  # the deviation listed
    # Close the session; attendance at the close is still shown (the "Present 0 of 3" bug).
    assert c.post(reverse("console:sessions:close", args=[session.pk])).status_code == 302
    public = Client().get(reverse("assemblies:session", args=[session.pk])).content.decode()
    assert re.search(r"3 de 3 escaños|3 of 3 seats", public), public
    # Minutes in Spanish by default.
    rows = list(
        csv.reader(
            io.StringIO(
                Client().get(reverse("assemblies:minutes_csv", args=[session.pk])).content.decode()
            )
        )
    )
    assert rows[0][0] == "sección"
    assert any(row[0] == "voto" and row[5] == "A favor" for row in rows)
    # Every step went on the public record.
    types = set(
        RecordEntry.objects.filter(organisation=built.org).values_list("entry_type", flat=True)
    )
    assert {
        "assembly_session_scheduled",
        "assembly_session_opened",
        "assembly_attendance",
        "assembly_motion",
        "assembly_division_opened",
        "assembly_votes_cast",
        "assembly_deviation",
        "assembly_division_result",
        "assembly_resolution_adopted",
        "assembly_resolution_status",
        "assembly_session_closed",
    } <= types


def test_the_console_says_in_spanish_what_blocks_a_division():
    built, chair, *_ = world()
    session = actions.do_open_session(None, scheduled(built))
    motion = actions.do_propose_motion(None, session, title="M", text="T", proposer_name="P")
    actions.do_propose_motion(
        None, session, title="Enmienda", text="T", proposer_name="P", amends=motion
    )
    html = signed_in(chair).get(reverse("console:sessions:session", args=[session.pk]))
    assert "Primero debe votarse 1 enmienda." in html.content.decode()


def test_a_form_refused_for_its_input_writes_nothing_and_says_why():
    built, chair, *_ = world()
    session = actions.do_open_session(None, scheduled(built))
    c = signed_in(chair)
    r = c.post(
        reverse("console:sessions:propose", args=[session.pk]),
        {"title": "", "text": "", "proposer_name": "", "threshold": "majority_cast"},
        follow=True,
    )
    assert r.status_code == 200
    assert not Motion.objects.filter(session=session).exists()
    assert "proposer_name" in r.content.decode() or "title" in r.content.decode()
    r = c.post(
        reverse("console:sessions:schedule"),
        {"body_id": built.body.pk, "title": "X", "scheduled_at": "mañana"},
        follow=True,
    )
    assert "scheduled_at" in r.content.decode()
    assert Session.objects.filter(title="X").count() == 0


def _console_pages(session, division):
    return [
        reverse("console:sessions:index"),
        reverse("console:sessions:session", args=[session.pk]),
        reverse("console:sessions:attendance", args=[session.pk]),
    ]


def test_only_the_bodys_chair_reaches_the_console_pages():
    built, chair, delegates, _alt, alt_user = world()
    other, other_chair, *_ = world()
    session = actions.do_open_session(None, scheduled(built))
    pages = _console_pages(session, None)
    for url in pages:
        assert signed_in(chair).get(url).status_code == 200, url
        anon = Client().get(url)
        assert anon.status_code == 302 and "/officer/login/" in anon["Location"], url
        assert signed_in(delegates[0]).get(url).status_code == 403, url
    for url in pages[1:]:
        assert signed_in(other_chair).get(url).status_code == 403, url
    missing = reverse("console:sessions:session", args=[session.pk + 999])
    assert signed_in(chair).get(missing).status_code == 404


def test_a_chair_of_another_body_cannot_act_on_this_session():
    built, chair, *_ = world()
    other, other_chair, *_ = world()
    session = scheduled(built)
    r = signed_in(other_chair).post(reverse("console:sessions:open", args=[session.pk]))
    assert r.status_code == 403
    session.refresh_from_db()
    assert session.status == "scheduled"


def _post_patterns():
    resolver = get_resolver()
    console = resolver.url_patterns
    found = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLPattern):
                if namespace == "console:sessions":
                    found.append(p.name)
            else:
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else p.namespace
                walk(p.url_patterns, prefix, ns or namespace)

    walk(console, "", "")
    return found


POST_ARGS = {
    "schedule": [],
    "open": ["session"],
    "close": ["session"],
    "attend": ["session"],
    "depart": ["session"],
    "attend_all": ["session"],
    "propose": ["session"],
    "withdraw": ["session", "motion"],
    "open_division": ["session", "motion"],
    "close_division": ["session", "division"],
    "record_vote": ["session", "division"],
    "resolution_status": ["session", "resolution"],
}
GET_PAGES = {"index", "session", "attendance"}


def test_every_console_form_refuses_a_post_without_its_csrf_token_and_a_get():
    built, chair, *_ = world()
    session = actions.do_open_session(None, scheduled(built))
    objects = {"session": session.pk, "motion": 1, "division": 1, "resolution": 1}
    names = set(_post_patterns())
    assert names == set(POST_ARGS) | GET_PAGES, "a console URL is missing from this test"
    strict = signed_in(chair, enforce_csrf_checks=True)
    for name, args in POST_ARGS.items():
        url = reverse(f"console:sessions:{name}", args=[objects[a] for a in args])
        assert strict.post(url, {}).status_code == 403, name
        assert signed_in(chair).get(url).status_code == 405, name
    page = signed_in(chair).get(reverse("console:sessions:session", args=[session.pk]))
    html = page.content.decode()
    assert html.count("<form") == html.count("csrfmiddlewaretoken") > 0


def test_a_delegate_not_sitting_in_the_session_cannot_vote_and_nothing_is_written():
    built, chair, delegates, _alt, alt_user = world()
    session = actions.do_open_session(None, scheduled(built))
    actions.do_record_attendance(None, session, built.seats[0])
    motion = actions.do_propose_motion(None, session, title="M", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    url = reverse("assemblies:vote", args=[division.pk])
    assert Client().get(url).status_code == 302
    assert signed_in(delegates[1]).get(url).status_code == 403
    r = signed_in(delegates[1]).post(url, {"seat_id": built.seats[0].pk, "choice": "for"})
    assert r.status_code == 403
    # The alternate is not standing in: refused too.
    r = signed_in(alt_user).post(url, {"seat_id": built.seats[2].pk, "choice": "for"})
    assert r.status_code == 403
    assert not DelegateVote.objects.filter(division=division).exists()
    mine = signed_in(delegates[0])
    assert mine.post(url, {"seat_id": built.seats[0].pk, "choice": "against"}).status_code == 303
    again = mine.post(url, {"seat_id": built.seats[0].pk, "choice": "for"})
    assert again.status_code == 409
    assert "Este escaño ya votó." in again.content.decode()
    assert DelegateVote.objects.get(division=division).choice == "against"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(delegates[0])
    assert strict.post(url, {"seat_id": built.seats[0].pk, "choice": "for"}).status_code == 403


def test_a_bound_mandate_refuses_a_vote_against_the_instruction_on_the_page():
    built, chair, delegates, *_ = world(mandate_mode="bound")
    session = actions.do_open_session(None, scheduled(built))
    actions.do_record_attendance(None, session, built.seats[0])
    motion = actions.do_propose_motion(None, session, title="M", text="T", proposer_name="P")
    from assembly_builders import freeze_roll

    make_member(built.org, built.units[0], "Base")
    freeze_roll(built.units[0])
    actions.do_record_instruction_count(None, motion, built.units[0], {"for": 2, "against": 0})
    division = actions.do_open_division(None, motion)
    url = reverse("assemblies:vote", args=[division.pk])
    c = signed_in(delegates[0])
    r = c.post(url, {"seat_id": built.seats[0].pk, "choice": "against"})
    assert r.status_code == 409
    assert "solo puedes votar A favor, como instruyó tu base" in r.content.decode()
    assert not DelegateVote.objects.filter(division=division).exists()


def _weight(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return len(gzip.compress(response.content))


def test_every_page_of_the_console_and_the_roll_call_is_under_50_kb_compressed():
    built = build_body(units=[(f"Unidad {i}", 1) for i in range(200)], name="Asamblea nacional")
    chair = make_chair(built.org)
    session = actions.do_open_session(None, scheduled(built))
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    for i in range(30):
        actions.do_propose_motion(
            None, session, title=f"Moción {i}", text="Texto " * 40, proposer_name="Base"
        )
    motion = Motion.objects.filter(session=session).first()
    division = actions.do_open_division(None, motion)
    delegate = _user_for(built.mandates[0].member, "d0")
    c = signed_in(chair)
    for url in [
        reverse("console:sessions:index"),
        reverse("console:sessions:session", args=[session.pk]),
        reverse("console:sessions:attendance", args=[session.pk]),
        reverse("assemblies:projector", args=[session.pk]),
        reverse("assemblies:session", args=[session.pk]),
    ]:
        assert _weight(c, url) < 50_000, url
    assert _weight(signed_in(delegate), reverse("assemblies:vote", args=[division.pk])) < 50_000


def test_the_projector_shows_the_current_division_with_no_controls_and_refreshes_itself():
    built, chair, *_ = world()
    session = actions.do_open_session(None, scheduled(built))
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(
        None, session, title="Marcha a la capital", text="T", proposer_name="P"
    )
    division = actions.do_open_division(None, motion)
    actions.do_cast_vote(None, division, built.seats[0], "for")
    html = Client().get(reverse("assemblies:projector", args=[session.pk])).content.decode()
    assert "Marcha a la capital" in html
    assert 'http-equiv="refresh"' not in html and 'hx-trigger="every 3s"' in html
    auto = reverse("assemblies:projector", args=[session.pk]) + "?auto=1"
    assert '<meta http-equiv="refresh" content="5">' in Client().get(auto).content.decode()
    assert "<form" not in html and "<button" not in html
    assert "3 de 3 escaños" in html or "3 of 3 seats" in html


def test_weights_show_as_decimals_with_separators_and_the_exact_fraction_on_demand():
    built = build_body(units=[("Norte", 3), ("Sur", 1)], weighted=True, populations=[4000, 1300])
    session = actions.do_open_session(None, scheduled(built))
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(None, session, title="M", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    actions.do_cast_vote(None, division, built.seats[0], "for")  # Norte: 4000/3
    html = Client().get(reverse("assemblies:division", args=[division.pk])).content.decode()
    assert re.search(r"1(\xa0|&nbsp;| |\.)333,33", html)  # Spanish separators
    assert "4000/3" in html  # the exact amount, in a <details>
    english = Client(headers={"accept-language": "en"})
    english.cookies["django_language"] = "en"
    html = english.get(reverse("assemblies:division", args=[division.pk])).content.decode()
    assert "1,333.33" in html


def test_a_closed_session_shows_who_sat_at_its_close_not_zero():
    built, chair, *_ = world()
    session = actions.do_open_session(None, scheduled(built))
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(None, session, title="M", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    for seat in built.seats:
        actions.do_cast_vote(None, division, seat, "for")
    actions.do_close_division(None, division)
    actions.do_close_session(None, session)
    session.refresh_from_db()
    summary = actions.session_summary(session)
    assert summary["seats_present"] == 3
    html = Client().get(reverse("assemblies:session", args=[session.pk])).content.decode()
    assert "Presentes al cierre" in html or "Present at the close" in html
    assert "0 de 3" not in html and "0 of 3" not in html
    attendance = Client().get(reverse("assemblies:attendance", args=[session.pk])).content
    for name in NAMES:
        assert name.encode() in attendance
    # The API and the CLI read the same summary.
    api = Client().get(f"/api/sessions/{session.pk}").json()
    assert (api["seats_present"], api["seats"]) == (3, 3)
    console = signed_in(chair).get(reverse("console:sessions:attendance", args=[session.pk]))
    html = console.content.decode()
    assert "Presentes: 3 de 3 escaños" in html and html.count("Ocupa el escaño") == 3


def test_times_show_in_the_organisations_zone_and_minutes_in_its_language():
    built, chair, *_ = world()
    built.org.time_zone = "America/Lima"
    built.org.language = "en"
    built.org.save(update_fields=["time_zone", "language"])
    session = actions.do_schedule_session(
        None,
        built.body,
        title="Sesión",
        scheduled_at=dt.datetime(2026, 12, 28, 15, 0, tzinfo=dt.UTC),
    )
    html = Client().get(reverse("assemblies:session", args=[session.pk])).content.decode()
    assert "2026-12-28 10:00" in html and "Lima" in html
    console = signed_in(chair).get(reverse("console:sessions:session", args=[session.pk]))
    assert "2026-12-28 10:00" in console.content.decode()
    # Scheduling from the console reads the time in the organisation's zone.
    signed_in(chair).post(
        reverse("console:sessions:schedule"),
        {"body_id": built.body.pk, "title": "Otra", "scheduled_at": "2026-12-29T09:30"},
    )
    other = Session.objects.get(title="Otra")
    assert other.scheduled_at == dt.datetime(2026, 12, 29, 14, 30, tzinfo=dt.UTC)
    text = Client().get(reverse("assemblies:minutes_csv", args=[session.pk])).content.decode()
    assert text.startswith("section,motion,unit")
    assert "2026-12-28 10:00" in text and "America/Lima" in text


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _hot_page_queries(n_units):
    built = build_body(units=[(f"Unidad {i}", 2) for i in range(n_units)], name="Asamblea")
    chair = make_chair(built.org)
    session = actions.do_open_session(None, scheduled(built))
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(None, session, title="M", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    actions.do_cast_votes(None, division, [(s.pk, "for") for s in built.seats[2:]])
    delegate = _user_for(built.mandates[0].member, "d")
    return (
        _queries(signed_in(delegate), reverse("assemblies:vote", args=[division.pk])),
        _queries(signed_in(chair), reverse("console:sessions:session", args=[session.pk])),
        _queries(Client(), reverse("assemblies:division_tally", args=[division.pk])),
    )


def test_the_roll_call_and_console_pages_cost_the_same_queries_whatever_the_body_size():
    """Hot pages during a division: the delegate's vote page, the chair's console and the
    tally that htmx polls answer in a number of queries that does not grow with the seats."""
    small, large = _hot_page_queries(3), _hot_page_queries(40)
    assert small == large, f"queries grew with the body: {small} -> {large}"
