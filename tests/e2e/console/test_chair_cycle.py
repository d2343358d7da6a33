"""A chair runs a session in a phone-sized Chromium, and delegates vote by roll call on theirs.

Debian's chromium at 360x740, JavaScript off (the pages are complete without it) and once with it
on (htmx then refreshes the tally in place, with no reload): the chair opens the session, checks
attendance (searching by name, an alternate standing in), puts a motion, opens a division with
the threshold and quorum in words; three delegates vote on their own pages, one against their
unit's instruction; the tally updates; the chair closes the division, the motion is adopted and
its resolution's status updated; the minutes download in Spanish. axe-core checks every page.

Without /usr/bin/chromium the test is skipped with a reason (failed when ``CI=true``). Set
``ASAMBLEA_SCREENSHOTS=DIR`` to keep a screenshot of each page.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "assemblies"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from assembly_builders import (  # noqa: E402
    build_body,
    freeze_roll,
    make_alternate,
    make_chair,
    make_member,
)

from asamblea.assemblies import actions  # noqa: E402
from asamblea.assemblies.models import DelegateVote, Division, Motion, Resolution  # noqa: E402
from asamblea.core.clock import now  # noqa: E402
from fixtures.chromium import ARGS, CHROMIUM, PHONE  # noqa: E402

NAMES = ["Quispe Mamani, Rosa", "Huanca Condori, Eulogio", "Apaza Ticona, Wilma"]

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _session_cookie(user, *, verified: bool) -> str:
    """A signed-in session as the sign-in pages leave it (officers: with their TOTP device)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client.cookies["sessionid"].value


def _user(member, name):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=name, password=None)
    member.user = user
    member.save(update_fields=["user"])
    return user


def _world():
    built = build_body(
        units=[(f"Sindicato {n}", 1) for n in ("minero", "textil", "docente")],
        delegate_names=NAMES,
        name="Comité de lucha del sur",
    )
    chair = make_chair(built.org)
    delegates = [_user(m.member, f"delegada{i}") for i, m in enumerate(built.mandates)]
    alternate = make_alternate(built, built.units[2], "Ccama Yupanqui, Ana")
    alt_user = _user(alternate.member, "suplente")
    for i in range(2):
        make_member(built.org, built.units[0], f"Socia {i}")
    freeze_roll(built.units[0])
    session = actions.do_schedule_session(
        None,
        built.body,
        title="Sesión ordinaria de diciembre",
        scheduled_at=now(),
        agenda="Pliego de reclamos\nMarcha regional",
        place="Local sindical, Puno",
    )
    return built, chair, delegates, alt_user, session


class Browser:
    def __init__(self, pw, base: str, javascript: bool, shots: str | None) -> None:
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        self.base = base
        self.javascript = javascript
        self.shots = shots
        self.checked: list[str] = []

    def page_for(self, cookie: str):
        context = self.browser.new_context(
            viewport=PHONE,
            java_script_enabled=self.javascript,
            is_mobile=True,
            device_scale_factor=2,
            locale="es-PE",
            accept_downloads=True,
        )
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": self.base}])
        return context.new_page()

    def look(self, page, name: str) -> None:
        """Screenshot, no wider than the phone, and no axe-core violation."""
        from axe import format_violations, violations

        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            suffix = "js" if self.javascript else "nojs"
            page.screenshot(path=f"{self.shots}/{name}-{suffix}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        if self.javascript:
            assert width <= PHONE["width"], f"{name}: {width}px wide"
        else:
            for element in page.locator("main table, main dl, main form, main h1").all():
                box = element.bounding_box()
                assert box is None or box["x"] + box["width"] <= PHONE["width"] + 1, (name, box)
        found = violations(page, javascript=self.javascript)
        assert found == [], f"{name}: " + format_violations(found)
        self.checked.append(name)


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
def test_a_chair_runs_a_session_and_delegates_vote_by_roll_call_on_their_phones(
    chromium_path, live_server, monkeypatch, javascript
):
    from playwright.sync_api import expect, sync_playwright
    from pypdf import PdfReader

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    built, chair, delegates, alt_user, session = _world()
    base = live_server.url
    with sync_playwright() as pw:
        b = Browser(pw, base, javascript, os.environ.get("ASAMBLEA_SCREENSHOTS"))
        page = b.page_for(_session_cookie(chair, verified=True))
        # The chair's console lists the session; open it.
        page.goto(f"{base}/console/sessions/")
        b.look(page, "01-console-index")
        page.get_by_role("link", name="Sesión ordinaria de diciembre").click()
        page.get_by_role("button", name="Abrir la sesión").click()
        assert page.get_by_text("Sesión abierta.").is_visible()
        # Attendance: find a delegate by name; mark two present; an alternate stands in.
        page.get_by_role("link", name="registro de asistencia").click()
        page.get_by_label("Buscar por nombre o base").fill("Quispe")
        page.get_by_role("button", name="Buscar").click()
        b.look(page, "02-attendance-search")
        page.get_by_role("button", name="Quispe Mamani, Rosa está presente").click()
        page.goto(f"{base}/console/sessions/{session.pk}/attendance/")
        page.get_by_role("button", name="Huanca Condori, Eulogio está presente").click()
        page.get_by_label("Suplente que reemplaza").select_option(label="1. Ccama Yupanqui, Ana")
        page.get_by_role("button", name="Reemplaza").click()
        assert page.get_by_text("Presentes: 3 de 3 escaños").is_visible()
        b.look(page, "03-attendance-done")
        # Put a motion that becomes a demand.
        page.goto(f"{base}/console/sessions/{session.pk}/")
        if not page.get_by_label("Título").is_visible():
            page.get_by_text("Presentar una moción o una enmienda").click()
        page.get_by_label("Título").fill("Pliego de reclamos regional")
        page.get_by_label("Texto", exact=True).fill("Aprobar el pliego y presentarlo al gobierno.")
        page.get_by_label("Propuesta por").fill("Sindicato minero")
        page.get_by_label("Al aprobarse se convierte en").select_option("demand")
        page.get_by_role("button", name="Presentar la moción").click()
        motion = Motion.objects.get(session=session)
        # The miners' base instructs its delegate to vote against (a teller enters the count).
        actions.do_record_instruction_count(
            None, motion, built.units[0], {"for": 0, "against": 2, "abstain": 0, "free": 0}
        )
        page.reload()
        page.get_by_role("button", name="Abrir una votación").click()
        division = Division.objects.get(motion=motion)
        assert page.get_by_text("Se aprueba con más votos a favor que en contra").is_visible()
        assert page.get_by_text("Quórum: más de la mitad de los 3 escaños").is_visible()
        b.look(page, "04-console-division-open")
        # Delegates vote on their own pages: the miners' delegate deviates.
        votes = [(delegates[0], "A favor"), (delegates[1], "A favor"), (alt_user, "Abstención")]
        for i, (user, label) in enumerate(votes):
            mine = b.page_for(_session_cookie(user, verified=False))
            mine.goto(f"{base}/assemblies/sessions/{session.pk}/")
            mine.get_by_role("link", name="Emite tu voto").click()
            if i == 0:
                assert mine.get_by_text("Instrucción de tu base: En contra.").is_visible()
                b.look(mine, "05-delegate-vote")
            mine.get_by_label(label).check()
            mine.get_by_role("button", name="Emitir mi voto").click()
            assert mine.get_by_text("Votaste:").is_visible()
            if i == 0:
                assert mine.locator("strong.error", has_text="desviación").first.is_visible()
                b.look(mine, "06-delegate-voted")
            if i == 1 and javascript:
                # The chair's page updates by itself (htmx polls the tally): no reload.
                first = page.locator(".tally tbody tr").first.locator("td").nth(1)
                expect(first).to_have_text("2", timeout=10_000)
            mine.context.close()
        if javascript:
            # The abstention arrives by itself too; the deviations list is read on a reload.
            third = page.locator(".tally tbody tr").nth(2).locator("td").nth(1)
            expect(third).to_have_text("1", timeout=10_000)
        page.reload()
        tally = page.locator(".tally tbody tr")
        assert tally.nth(0).locator("td").nth(1).inner_text().strip() == "2"
        assert tally.nth(2).locator("td").nth(1).inner_text().strip() == "1"
        assert page.locator("#deviations ~ ul").get_by_text("Quispe Mamani, Rosa").is_visible()
        b.look(page, "07-console-tally")
        # The hall's screen.
        hall = b.page_for(_session_cookie(chair, verified=True))
        hall.set_viewport_size({"width": 1280, "height": 720})
        hall.goto(f"{base}/assemblies/sessions/{session.pk}/projector/")
        if b.shots:
            hall.screenshot(path=f"{b.shots}/08-projector-{'js' if javascript else 'nojs'}.png")
        assert hall.get_by_text("Votación abierta").is_visible()
        hall.context.close()
        # Close and count: adopted; the demand becomes a resolution; update its status.
        page.get_by_role("button", name="Cerrar la votación y contar").click()
        assert page.get_by_text("Votación cerrada y contada.").is_visible()
        resolution = Resolution.objects.get(motion=motion)
        page.get_by_label("Nuevo estado").select_option("partly_met")
        page.get_by_label("Nota").fill("El gobierno regional recibió el pliego")
        page.get_by_role("button", name="Actualizar el estado").click()
        resolution.refresh_from_db()
        assert resolution.status == "partly_met"
        assert page.get_by_text("El gobierno regional recibió el pliego").is_visible()
        b.look(page, "09-console-resolution")
        # The public pages of the division, the resolutions, and the hall's screen on a phone.
        page.goto(f"{base}/assemblies/divisions/{division.pk}/")
        assert page.get_by_text("Aprobada", exact=True).is_visible()
        b.look(page, "10-division")
        page.goto(f"{base}/assemblies/bodies/{built.body.pk}/resolutions/")
        assert page.get_by_text("cumplida en parte").first.is_visible()
        b.look(page, "11-resolutions")
        page.goto(f"{base}/assemblies/sessions/{session.pk}/projector/")
        b.look(page, "12-projector-phone")
        page.goto(f"{base}/console/sessions/{session.pk}/")
        # The minutes, in Spanish.
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV").click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][:3] == ["sección", "moción", "base"]
        assert any(r[0] == "voto" and r[4] == "Quispe Mamani, Rosa" and r[8] == "sí" for r in rows)
        pdf = page.context.request.get(f"{base}/assemblies/sessions/{session.pk}/minutes.pdf")
        reader = PdfReader(io.BytesIO(pdf.body()))
        words = " ".join(p.extract_text() for p in reader.pages)
        assert "Acta:" in words and "DESVIACIÓN" in words and "aprobada" in words
        # The public session page lists the deviation; the session closes.
        page.get_by_role("button", name="Cerrar la sesión").click()
        page.goto(f"{base}/assemblies/sessions/{session.pk}/")
        assert page.get_by_text("3 de 3 escaños").first.is_visible()
        b.look(page, "13-public-session")
        b.browser.close()
    vote = DelegateVote.objects.get(division=division, member=built.mandates[0].member)
    assert vote.is_deviation and vote.choice == "for"
    assert len(b.checked) == 12
