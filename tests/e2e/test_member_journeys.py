"""Issue 17: a member's journeys in Debian's chromium at 360x740, JavaScript on and off, with
axe-core reporting no violation on any page on the way.

Sign in with the e-mail code; vote; check the tracking code once the vote closes; start a recall
petition against the unit's delegate, sign, withdraw and sign again; the petition reaches its
threshold and the recall vote opens on the member's home. Vote an instruction: a member of a
unit with an open instruction vote sees it on their home and votes it with their code.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "elections"))
from axe import format_violations, violations  # noqa: E402
from elections_builders import build_world, open_election  # noqa: E402

from asamblea.elections import actions, secrecy  # noqa: E402
from asamblea.elections.models import Election, RecallPetition  # noqa: E402
from asamblea.registry import actions as registry  # noqa: E402
from fixtures.chromium import ARGS, CHROMIUM, PHONE  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


class Checked:
    """Each page visited is checked by axe-core and for width; problems are collected."""

    def __init__(self, page, javascript: bool) -> None:
        self.page = page
        self.javascript = javascript
        self.problems: list[str] = []

    def __call__(self, what: str) -> None:
        found = violations(self.page, javascript=self.javascript)
        if found:
            self.problems.append(f"{what} ({self.page.url}):\n{format_violations(found)}")
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            self.problems.append(f"{what} ({self.page.url}): {width} px wide")
        shots = os.environ.get("ASAMBLEA_SCREENSHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            name = f"{'js' if self.javascript else 'nojs'}-{re.sub(r'[^a-z0-9]+', '-', what)}"
            self.page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_member_signs_in_votes_checks_the_code_and_recalls_their_delegate(
    chromium_path, live_server, mailoutbox, settings, monkeypatch, javascript
):
    from playwright.sync_api import sync_playwright

    settings.ASAMBLEA_SIGN_IN_MIN_SECONDS = 0.05
    secrecy.GUESS_LIMIT.reset()
    world = build_world(6, seats=1)
    delegate = world.members[0]
    mandate = registry.do_start_mandate(None, world.seats[0], delegate, source="test")
    member = world.members[3]
    member.email = "socia@example.org"
    member.save(update_fields=["email"])
    election, codes = open_election(world, method="plurality", candidates=2)
    candidate = world.members[1]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS, headless=True)
        context = browser.new_context(
            viewport=PHONE, java_script_enabled=javascript, is_mobile=True, locale="es-PE"
        )
        page = context.new_page()
        check = Checked(page, javascript)

        # Sign in with the e-mail code.
        page.goto(live_server.url + "/login/")
        check("sign in")
        page.get_by_label("Tu correo electrónico").fill(member.email)
        page.get_by_role("button", name="Envíame un código").click()
        check("sign in code")
        sent = next(m for m in mailoutbox if "Asamblea" in m.subject)
        code = re.search(r"\b(\d{8})\b", sent.body).group(1)
        page.get_by_label("Código").fill(code)
        page.get_by_role("button", name="Entrar").click()
        assert page.url.endswith("/me/")
        check("home")
        assert page.get_by_role("link", name=election.title).first.is_visible()

        # Vote, from the home's button, with the printed code.
        page.locator(f'a[href="/elections/{election.pk}/vote/"]').first.click()
        check("vote code")
        # The member has an address: their code came by mail, in Spanish, with a full link.
        opened = next(m for m in mailoutbox if m.subject.startswith("Votación abierta"))
        assert f"{settings.ASAMBLEA_SITE_URL}/elections/{election.pk}/vote/" in opened.body
        voting_code = re.search(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})\b", opened.body).group(1)
        assert member.pk not in codes
        page.locator("#code").fill(voting_code)
        page.get_by_role("button", name="Continuar").click()
        check("ballot")
        page.get_by_label(candidate.display_name).check()
        page.get_by_role("button", name="Revisar mi papeleta").click()
        page.locator("button:visible", has_text="Emitir mi voto").click()
        tracking = page.locator("#tracking-code").inner_text()
        check("receipt")
        assert len(tracking.replace(" ", "")) in (12, 43)

        # The vote closes; the member checks their tracking code on the election page.
        actions.do_close_election(world.officers[0], election)
        page.goto(f"{live_server.url}/elections/{election.pk}/")
        check("election")
        page.get_by_label("Código de seguimiento").fill(tracking.lower().replace(" ", "-"))
        page.get_by_role("button", name="Comprobar").click()
        check("code check")
        assert page.get_by_text("Encontrado.").is_visible()

        # Start a recall of the unit's delegate, sign, withdraw, sign again.
        page.goto(live_server.url + "/me/")
        page.get_by_role("link", name="Iniciar una revocatoria").click()
        check("start recall")
        page.get_by_label("¿Por qué se debe revocar a este delegado?").fill(
            "No rinde cuentas a la base."
        )
        page.get_by_role("button", name="Abrir la petición").click()
        check("petition")
        petition = RecallPetition.objects.get(mandate=mandate)
        page.get_by_role("button", name="Firmar la petición").click()
        assert page.get_by_text("Tu firma está contada.").is_visible()
        page.get_by_role("button", name="Retirar mi firma").click()
        assert page.get_by_text("Tu firma está retirada.").is_visible()
        check("withdrawn")
        page.get_by_role("button", name="Firmar la petición").click()
        assert page.get_by_text("Tu firma está contada.").is_visible()

        # Another member's signature reaches the threshold (2 of 6): the recall vote opens.
        actions.do_sign(None, petition, world.members[4])
        petition.refresh_from_db()
        assert petition.state == RecallPetition.State.VOTING
        recall_vote = Election.objects.get(kind=Election.Kind.RECALL)
        page.goto(live_server.url + "/me/")
        check("home with the recall vote")
        assert page.locator(f'a[href="/elections/{recall_vote.pk}/vote/"]').first.is_visible()
        page.goto(f"{live_server.url}/elections/recalls/{petition.pk}/")
        check("recall voting")
        browser.close()
    assert check.problems == [], "\n\n".join(check.problems)


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_member_votes_an_instruction_with_their_code(
    chromium_path, live_server, mailoutbox, settings, monkeypatch, javascript
):
    """A unit's instruction vote is an election of kind "instruction": the member finds it on
    /me/, gives the voting code mailed to them, votes "for" and gets the receipt. (The trustees'
    decryption and the division are covered by the integration tests.)"""
    from playwright.sync_api import sync_playwright

    from asamblea.assemblies import actions as assemblies
    from asamblea.core.clock import now

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "assemblies"))
    from assembly_builders import freeze_roll

    settings.ASAMBLEA_SIGN_IN_MIN_SECONDS = 0.05
    secrecy.GUESS_LIMIT.reset()
    world = build_world(6, seats=1)
    member = world.members[3]
    member.email = "socia@example.org"
    member.save(update_fields=["email"])
    freeze_roll(world.unit)
    session = assemblies.do_schedule_session(
        None, world.assembly, title="Asamblea regional", scheduled_at=now()
    )
    session = assemblies.do_open_session(None, session)
    motion = assemblies.do_propose_motion(
        None, session, title="Huelga indefinida", text="Ir a la huelga.", proposer_name="P"
    )
    instruction = assemblies.do_open_instruction(None, motion, world.unit)
    election = instruction.election
    assert election is not None and election.kind == Election.Kind.INSTRUCTION
    assert member.pk not in instruction.printed_codes
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS, headless=True)
        context = browser.new_context(
            viewport=PHONE, java_script_enabled=javascript, is_mobile=True, locale="es-PE"
        )
        page = context.new_page()
        check = Checked(page, javascript)

        page.goto(live_server.url + "/login/")
        page.get_by_label("Tu correo electrónico").fill(member.email)
        page.get_by_role("button", name="Envíame un código").click()
        sent = next(m for m in mailoutbox if "Asamblea" in m.subject)
        code = re.search(r"\b(\d{8})\b", sent.body).group(1)
        page.get_by_label("Código").fill(code)
        page.get_by_role("button", name="Entrar").click()
        assert page.url.endswith("/me/")
        check("home with the instruction vote")
        vote_link = page.locator(f'a[href="/elections/{election.pk}/vote/"]').first
        assert vote_link.is_visible()

        vote_link.click()
        check("instruction vote code")
        opened = next(m for m in mailoutbox if m.subject.startswith("Votación abierta"))
        voting_code = re.search(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})\b", opened.body).group(1)
        page.locator("#code").fill(voting_code)
        page.get_by_role("button", name="Continuar").click()
        check("instruction ballot")
        assert page.get_by_text("¿Cómo deben votar nuestros delegados").first.is_visible()
        page.get_by_label("A favor").check()
        page.get_by_role("button", name="Revisar mi papeleta").click()
        check("instruction review")
        page.locator("button:visible", has_text="Emitir mi voto").click()
        tracking = page.locator("#tracking-code").inner_text()
        check("instruction receipt")
        assert len(tracking.replace(" ", "")) in (12, 43)
        browser.close()
    assert election.ballots.count() == 1
    assert check.problems == [], "\n\n".join(check.problems)
