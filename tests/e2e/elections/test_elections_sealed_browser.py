"""A member casts a sealed plurality ballot on a 360x740 phone with JavaScript off: the ballot
page carries the seal-params block for the browser's sealer, the server seals the choice at the
door, and the receipt shows the sealed ballot's hash in groups of four."""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "elections"))
from elections_builders import build_world, open_election  # noqa: E402

from asamblea.crypto import ballot as sealed  # noqa: E402
from asamblea.elections import secrecy  # noqa: E402
from asamblea.elections.models import Ballot, Participation  # noqa: E402
from fixtures.chromium import ARGS, CHROMIUM, require_chromium  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("ASAMBLEA_SHOTS", "/tmp/asamblea-shots"))


def test_a_sealed_plurality_ballot_cast_without_javascript_at_360_by_740(live_server, monkeypatch):
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    secrecy.GUESS_LIMIT.reset()
    world = build_world(5)
    election, codes = open_election(world, method="plurality", candidates=3)
    voter, chosen = world.members[4], world.members[1]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": 360, "height": 740}, is_mobile=True
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/elections/{election.pk}/vote/")
        page.fill("#code", secrecy.format_code(codes[voter.pk]))
        page.click("button[type=submit]")
        html = page.content()
        page.screenshot(path=str(SHOTS / "sealed-ballot.png"), full_page=True)
        params = json.loads(page.inner_text("#seal-params"))
        assert params["election"] == election.seal_id
        assert params["public_key"] == election.public_key
        assert params["questions"] == [
            {
                "id": "q1",
                "choices": 3,
                "answers": [m.public_id for m in world.members[:3]],
                "min": 0,
                "max": 1,
            }
        ]
        assert len(gzip.compress(html.encode())) < 50_000
        page.check(f'input[name=choice][value="{chosen.public_id}"]')
        page.click("button[type=submit]")
        assert chosen.display_name in page.inner_text("#review")
        page.click("button[name=cast]")
        code = page.inner_text("#tracking-code")
        page.screenshot(path=str(SHOTS / "sealed-receipt.png"), full_page=True)
        browser.close()
    assert re.fullmatch(r"(\S{4} ){10}\S{3}", code)
    assert Participation.objects.count() == Ballot.objects.count() == 1
    content = Ballot.objects.get().content
    assert chosen.public_id not in content
    assert sealed.tracking_code(sealed.ballot_from_json(json.loads(content))) == code.replace(
        " ", ""
    )
