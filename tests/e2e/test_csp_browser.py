"""Issue 16: a strict Content-Security-Policy on every page, and nothing on our pages breaks it.

Before the fix no page had a policy, so an injected script would have run; the record entry page
carried an inline style and htmx its inline indicator styles, which a strict policy refuses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration" / "elections"))
from elections_builders import build_world, open_election  # noqa: E402

from asamblea.elections import secrecy  # noqa: E402
from asamblea.elections.models import Ballot  # noqa: E402
from fixtures.chromium import ARGS, CHROMIUM, require_chromium  # noqa: E402

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/login/", "/officer/login/", "/elections/", "/record/", "/api/elections"]
)
def test_every_answer_carries_the_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code < 500
    assert response["Content-Security-Policy"] == POLICY


def test_no_template_has_an_inline_script_handler_or_style():
    import re

    root = Path(__file__).resolve().parents[2] / "src" / "asamblea"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style", re.I)
    found = [
        f"{p.relative_to(root)}: {m.group(0)}"
        for p in root.rglob("templates/**/*.html")
        for m in inline.finditer(p.read_text(encoding="utf-8"))
        if 'type="application/json"' not in m.group(0)
    ]
    assert found == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_voting_flow_with_javascript_on_reports_no_csp_violation(live_server, monkeypatch):
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    secrecy.GUESS_LIMIT.reset()
    world = build_world(4)
    election, codes = open_election(world, method="plurality", candidates=2)
    voter, choice = world.members[3], world.members[1]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    violations: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(java_script_enabled=True)
        # Every page reports a violation to the console and to a listener installed first.
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                violations.append(m.text)
                if "Content Security Policy" in m.text or "CSP violation" in m.text
                else None
            ),
        )
        page.goto(f"{live_server.url}/")
        first = page.goto(f"{live_server.url}/elections/{election.pk}/vote/")
        assert first is not None and first.headers.get("content-security-policy") == POLICY
        page.fill("#code", secrecy.format_code(codes[voter.pk]).lower())
        page.click("button[type=submit]")
        page.check(f"input[value='{choice.public_id}']")
        # With JavaScript the ballot is sealed in the page (elections/static/elections/seal.js):
        # review, seal, cast, all under the same policy.
        page.wait_for_selector("#ballot-form[data-sealer=ready]")
        page.click("#ballot-form button[type=submit]")
        page.wait_for_selector("#seal-cast:not([disabled])", timeout=30_000)
        page.click("#seal-cast")
        page.wait_for_selector("#tracking-code")
        receipt = page.content()
        browser.close()
    assert Ballot.objects.filter(election=election).count() == 1, receipt[:2000]
    assert violations == []
