"""A phone-sized headless Chromium, JavaScript off, walks the registry pages and signs in.

Needs Debian's chromium (``apt-get install -y chromium``). Without it the test is skipped with a
reason, or fails when ``CI=true`` so that CI never passes without having run it. Set
``ASAMBLEA_SCREENSHOTS=DIR`` to keep a screenshot of each page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from asamblea.registry.models import Member
from fixtures.chromium import ARGS, PHONE, require_chromium
from fixtures.sample import build_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium_path() -> str:
    return require_chromium()


@pytest.fixture
def browser_page(chromium_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own database calls
    # are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS, headless=True)
        context = browser.new_context(
            viewport=PHONE,
            java_script_enabled=False,
            is_mobile=True,
            device_scale_factor=2,
            locale="es-PE",
        )
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def _shot(page, name: str) -> None:
    target = os.environ.get("ASAMBLEA_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def _no_horizontal_scroll(page) -> None:
    """The document is no wider than the phone (the structure graph scrolls inside its figure)."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_a_member_browses_the_structure_and_signs_in_with_a_code_on_a_phone(
    browser_page, live_server, mailoutbox, settings
):
    settings.ASAMBLEA_SIGN_IN_MIN_SECONDS = 0.05
    sample = build_sample(slug="sur")
    member = Member.objects.get(member_ref="ar-puno-puno-1-1")
    page = browser_page

    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Organizaciones"
    page.get_by_role("link", name=sample.org.name).click()
    assert page.url.endswith("/o/sur/")
    assert page.locator("svg.graph").is_visible()
    _shot(page, "organisation")
    _no_horizontal_scroll(page)

    # From the picture of the structure to a regional assembly (an SVG link, no script needed).
    page.locator('svg.graph a[href="/o/sur/b/ar-puno/"]').click()
    assert page.url.endswith("/o/sur/b/ar-puno/")
    assert page.locator("h1").inner_text() == "Asamblea Regional de Puno"
    assert page.get_by_text(member.display_name).first.is_visible()
    _shot(page, "body")
    _no_horizontal_scroll(page)

    page.get_by_role("link", name="Entrar").click()
    page.get_by_label("Tu correo electrónico").fill(member.email)
    page.get_by_role("button", name="Envíame un código").click()
    assert page.url.endswith("/login/code/")
    _shot(page, "code")
    assert len(mailoutbox) == 1
    code = re.search(r"\b(\d{8})\b", mailoutbox[0].body).group(1)
    page.get_by_label("Código").fill(code)
    page.get_by_role("button", name="Entrar").click()

    assert page.url.endswith("/me/")
    assert page.locator("h1").inner_text() == member.display_name
    assert page.get_by_text("Base 1 de Puno").first.is_visible()
    _shot(page, "me")
    _no_horizontal_scroll(page)

    # The language switcher is a plain form.
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Membership history").is_visible()
