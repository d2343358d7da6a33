"""A member casts a ballot in a real browser on a phone-sized screen with JavaScript off."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "elections"))
from elections_builders import build_world, open_election  # noqa: E402

from asamblea.crypto import ranked  # noqa: E402
from asamblea.elections import secrecy  # noqa: E402
from asamblea.elections.models import Ballot, Participation  # noqa: E402
from fixtures.chromium import ARGS, CHROMIUM, require_chromium  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_casts_a_ranked_ballot_on_a_small_phone_without_javascript(
    live_server, monkeypatch
):
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    secrecy.GUESS_LIMIT.reset()
    world = build_world(5)
    election, codes = open_election(world, method="irv", candidates=3)
    voter = world.members[4]
    first, second = world.members[2], world.members[0]
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are ours.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            java_script_enabled=False,
            viewport={"width": 320, "height": 568},
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/elections/{election.pk}/vote/")
        page.fill("#code", secrecy.format_code(codes[voter.pk]).lower())
        page.click("button[type=submit]")
        page.select_option(f"select[name=rank_{first.public_id}]", "1")
        page.select_option(f"select[name=rank_{second.public_id}]", "2")
        page.click("button[type=submit]")
        review = page.inner_text("#review")
        assert re.search(rf"1\.\s*{first.display_name}", review)
        assert re.search(rf"2\.\s*{second.display_name}", review)
        # Nothing is cast before the review is confirmed.
        assert Ballot.objects.count() == 0
        page.click("button[name=cast]")
        code = page.inner_text("#tracking-code")
        browser.close()
    # Sealed at the server's door (no JavaScript): the stored ballot is a sealed ranking, its
    # tracking code the hash of it, shown in groups of four.
    assert re.fullmatch(r"(\S{4} ){10}\S{3}", code)
    assert Participation.objects.count() == Ballot.objects.count() == 1
    content = Ballot.objects.get().content
    assert first.public_id not in content and second.public_id not in content
    stored = ranked.ranking_from_json(json.loads(content))
    assert ranked.tracking_code(stored) == code.replace(" ", "")
