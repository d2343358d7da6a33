"""The production WSGI application sends /api/ to a handler without the pages' middleware."""

from __future__ import annotations

import io
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from asamblea.core.handlers import ApiHandler
from asamblea.wsgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def _get(path: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_ACCEPT_LANGUAGE": "es"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, dict(headers)
        return lambda data: None

    body = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], body


def test_api_requests_skip_the_pages_middleware_and_pages_keep_it() -> None:
    assert isinstance(application.api, ApiHandler)
    status, headers, body = _get("/api/organisations")
    assert status.startswith("200"), (status, body[:200])
    assert "Content-Language" not in headers  # no language negotiation for JSON
    status, headers, _body = _get("/")
    assert status.startswith(("200", "302")), status
    assert headers.get("Content-Language") == "es"  # the pages negotiate the language
    assert headers.get("X-Frame-Options") == "DENY"
