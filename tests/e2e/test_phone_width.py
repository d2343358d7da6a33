"""Issue 17: no page of the demo is wider than a 360x740 phone, and the structure graph's text is
readable there (12 px or more).

Debian's chromium through Playwright, JavaScript off (every page must be complete without it),
visits every URL pattern of the demo with sampled instances, the largest included: the national
assembly, the longest record entry, the largest roll call (tests/fixtures/demo_pages.py). A page
whose document is wider than the viewport fails the test, naming the widest element. Set
``ASAMBLEA_SCREENSHOTS=DIR`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fixtures.chromium import ARGS, CHROMIUM, PHONE  # noqa: E402
from fixtures.demo_pages import (
    load_demo,
    member_for_pages,
    sampled_pages,
    signed_in_client,
    unsampled_patterns,
)

MIN_GRAPH_TEXT_PX = 12

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The widest element that sticks out, for the failure message (scripts off: evaluated by the
# DevTools protocol, which a page without JavaScript still answers).
WIDEST = """() => {
  const vw = document.documentElement.clientWidth;
  let worst = null, right = 0;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1 && r.right > right) { right = r.right; worst = el; }
  }
  return {width: document.documentElement.scrollWidth, viewport: vw,
          widest: worst ? worst.tagName.toLowerCase() + (worst.className ? '.' + worst.className : '')
                          + ' ' + Math.round(right) + 'px' : ''};
}"""

# Each visible text of the structure graph: its font size times the SVG's scale on screen.
GRAPH_TEXT = """() => Array.from(document.querySelectorAll('svg.graph text'))
  .filter(t => t.getClientRects().length && t.getBoundingClientRect().width > 0)
  .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _session_cookie(member) -> dict[str, str]:
    user = get_user_model().objects.create_user(f"phone-{member.pk}")
    member.user = user
    member.save(update_fields=["user"])
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value}


def test_no_page_of_the_demo_is_wider_than_a_phone(
    chromium_path, live_server, tmp_path, monkeypatch
):
    from playwright.sync_api import sync_playwright

    org = load_demo(tmp_path)
    pages = sampled_pages(org)
    assert unsampled_patterns(pages) == []
    cookie = _session_cookie(member_for_pages(org))
    shots = os.environ.get("ASAMBLEA_SCREENSHOTS")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    too_wide: list[str] = []
    small_text: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS, headless=True)
        contexts = {}
        for who in dict.fromkeys(["public", "member", *(p.who for p in pages)]):
            context = browser.new_context(
                viewport=PHONE,
                java_script_enabled=False,
                is_mobile=True,
                device_scale_factor=1,
                locale="es-PE",
            )
            if who == "member":
                context.add_cookies([{**cookie, "url": live_server.url}])
            elif who != "public":
                # An officer (second factor included), a trustee or a delegate of the demo.
                session = signed_in_client(who).cookies["sessionid"].value
                context.add_cookies(
                    [{"name": "sessionid", "value": session, "url": live_server.url}]
                )
            contexts[who] = context.new_page()
        for page_spec in pages:
            page = contexts[page_spec.who]
            answer = page.goto(live_server.url + page_spec.path)
            assert answer is not None and answer.status < 500, page_spec
            if page_spec.who != "public":
                assert "login" not in page.url, f"{page_spec}: not signed in"
            measured = page.evaluate(WIDEST)
            if measured["width"] > PHONE["width"]:
                too_wide.append(
                    f"{page_spec.path} ({page_spec.note}): {measured['width']} px;"
                    f" widest {measured['widest']}"
                )
            heights = page.evaluate(GRAPH_TEXT)
            if heights and min(heights) < MIN_GRAPH_TEXT_PX:
                small_text.append(f"{page_spec.path}: graph text {min(heights):.1f} px")
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^a-z0-9]+", "-", page_spec.path.lower()).strip("-") or "home"
                page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)
        browser.close()
    assert too_wide == [], "\n".join(too_wide)
    assert small_text == [], "\n".join(small_text)
