"""Issue 15 item 4 in a browser: a closed vote's page of tracking codes and a large record entry's
summary, at 360x740 with JavaScript off, fit the phone and work by their links alone.

Set ``ASAMBLEA_SCREENSHOTS=DIR`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fixtures.chromium import ARGS, PHONE, require_chromium

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "elections"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "web"))

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTH = "() => document.documentElement.scrollWidth"


def test_the_closed_votes_pages_fit_a_phone_and_page_without_javascript(
    live_server, tmp_path, monkeypatch
):
    from elections_builders import build_world
    from playwright.sync_api import sync_playwright
    from test_pages_do_not_grow import closed_entry, closed_vote

    from asamblea.recordstore.pages import ITEMS_PER_PAGE

    chromium = require_chromium()
    world = build_world(4)
    election = closed_vote(world, 180)
    entry = closed_entry(world, 2_000)
    shots = Path(os.environ.get("ASAMBLEA_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        page = browser.new_context(
            viewport=PHONE, java_script_enabled=False, is_mobile=True, locale="es-PE"
        ).new_page()
        page.goto(f"{live_server.url}/elections/{election.pk}/")
        page.click("summary")  # the list of codes, closed at first
        page.click("a[rel=next]")
        assert "after=" in page.url and page.evaluate(WIDTH) <= PHONE["width"]
        assert page.locator("ul.codes li").count() == 50
        page.screenshot(path=str(shots / "election-codes-page-2.png"), full_page=True)
        page.locator("#codes-list").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "election-codes-list.png"))
        page.locator("#codes-list .pager").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "election-codes-pager.png"))
        page.click("a[rel=prev]")
        assert "before=" in page.url and page.locator("ul.codes li").count() == 50

        page.goto(f"{live_server.url}/record/fed/{entry.index}/")
        assert page.evaluate(WIDTH) <= PHONE["width"]
        page.screenshot(path=str(shots / "record-large-entry.png"), full_page=True)
        page.screenshot(path=str(shots / "record-large-entry-top.png"))
        page.fill("#from", "1951")  # the last page: items 1,951 to 2,000
        page.click('form[action="#items"] button')
        assert page.locator("h4.item").count() == ITEMS_PER_PAGE
        page.click("a[rel=prev]")
        first = page.locator("h4.item").first.inner_text()
        assert first.replace("\xa0", "").replace(" ", "") == f"Elemento{1951 - ITEMS_PER_PAGE}"
        with page.expect_download() as download:
            page.click("a[download]")
        assert Path(download.value.path()).read_bytes() == entry.canonical.encode()
        browser.close()
