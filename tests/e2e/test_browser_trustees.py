"""The trustees' pages on a 360x740 phone in Debian's chromium, JavaScript off: the public board
(fingerprints, what k and n mean), the list, a trustee's own steps; none wider than the phone,
each under 50 KB compressed. Set ``ASAMBLEA_SCREENSHOTS=DIR`` to keep a screenshot of each."""

from __future__ import annotations

import gzip
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration" / "trustees"))

from trustees_helpers import request_for  # noqa: E402

from asamblea.core.clock import now  # noqa: E402
from asamblea.registry.models import Organisation  # noqa: E402
from asamblea.trustees.models import Trustee  # noqa: E402
from fixtures.chromium import ARGS, PHONE, require_chromium  # noqa: E402
from fixtures.trustees import make_board  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium_path() -> str:
    return require_chromium()


def _shot(page: Any, name: str) -> None:
    target = os.environ.get("ASAMBLEA_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def test_trustee_pages_fit_a_phone(live_server: Any, chromium_path: str, monkeypatch: Any) -> None:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    org = Organisation.objects.create(
        slug="sindicato-minero", name="Sindicato Minero del Sur", created_at=now()
    )
    board, shares = make_board(org, k=3, n=5)
    request_for(board, ("q1", [1, 2]))
    trustee = Trustee.objects.get(board=board, index=1).user
    client = Client()
    client.force_login(trustee)
    session = client.cookies["sessionid"].value
    pages = {
        "trustees-list": "/trustees/",
        "trustees-board": f"/trustees/{board.pk}/",
        "trustees-me": "/trustees/me/",
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS, headless=True)
        context = browser.new_context(
            viewport=PHONE, java_script_enabled=False, is_mobile=True, locale="es-PE"
        )
        context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page = context.new_page()
        for name, path in pages.items():
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, path
            body = response.body()
            assert len(gzip.compress(body)) < 50_000, path
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)
            _shot(page, name)
        text = page.content()
        # The command as a trustee runs it: the server is an option of ``asamblea trustee``, so it
        # comes before the action (tests/integration/trustees run the printed commands).
        assert re.search(r"asamblea trustee --server \S+ decrypt --share", text), text
        assert "línea de comandos" in text
        # A registrar's proposal page, with what k and n mean.
        from django.contrib.auth import get_user_model

        from asamblea.registry.models import OfficerRole

        registrar = get_user_model().objects.create_user("registrar-e2e", password="x")
        OfficerRole.objects.create(user=registrar, organisation=org, role="registrar")
        officer = Client()
        officer.force_login(registrar)
        context.clear_cookies()
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": officer.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        response = page.goto(live_server.url + "/trustees/new/?k=2&n=4")
        assert response is not None and response.status == 200
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert "Cualquier grupo de 2 de los 4 custodios" in page.content()
        _shot(page, "trustees-propose")
        context.close()
        browser.close()
