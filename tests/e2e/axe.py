"""axe-core in a Playwright page: ``violations(page)`` returns what axe finds wrong on it.

axe-core is vendored under tests/e2e/vendor/ by ``tools/vendor_axe.sh`` (pinned version and
integrity hash, its licence beside it); it is a test-only asset, never served by the site.

With JavaScript on, axe runs in the page itself (evaluated through the DevTools protocol, which the
page's Content-Security-Policy does not govern). With JavaScript off, axe cannot run in that page
(its timers never fire), so the page's DOM (``<noscript>`` shown) as rendered without scripts is copied into a
JavaScript-enabled page of the same browser at the same address, its stylesheets still loaded from
the site and every script request refused; axe runs there. Either way it checks what a member sees.

Usage::

    from axe import violations, format_violations
    found = violations(page, javascript=False)
    assert found == [], format_violations(found)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_JS = VENDOR / "axe.min.js"

# WCAG 2.1 A and AA, and axe's best practices; nothing disabled.
RUN_OPTIONS: dict[str, Any] = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def _source() -> str:
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `sh tools/vendor_axe.sh`")
    return AXE_JS.read_text(encoding="utf-8")


def _run(page: Any, options: dict[str, Any]) -> list[dict[str, Any]]:
    page.evaluate(_source() + "\n;void 0")
    result = page.evaluate(
        """(options) => axe.run(document, options).then(r => r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                       summary: n.failureSummary}))
        })))""",
        options,
    )
    return list(result)


def violations(
    page: Any, *, javascript: bool, options: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` as it is now (a list of dicts: id, impact, help, nodes).

    ``javascript`` says whether the page's context runs scripts (Playwright does not tell).
    """
    options = options or RUN_OPTIONS
    if javascript:
        return _run(page, options)
    # What a browser without scripts shows inside <noscript> is shown to axe too.
    html = re.sub(r"<(/?)noscript\b", r"<\1div", page.content(), flags=re.I)
    url = page.url
    browser = page.context.browser
    context = browser.new_context(java_script_enabled=True, viewport=page.viewport_size)
    context.add_cookies(page.context.cookies())
    try:
        twin = context.new_page()

        def route(request_route: Any) -> None:
            request = request_route.request
            if request.url == url and request.resource_type == "document":
                request_route.fulfill(
                    status=200, content_type="text/html; charset=utf-8", body=html
                )
            elif request.resource_type == "script":
                request_route.abort()
            else:
                request_route.continue_()

        twin.route("**/*", route)
        twin.goto(url)
        return _run(twin, options)
    finally:
        context.close()


def format_violations(found: list[dict[str, Any]]) -> str:
    """A readable list for an assertion message."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"][:5]:
            lines.append(f"    {n['target']}: {n['html']}")
    return "\n".join(lines)
