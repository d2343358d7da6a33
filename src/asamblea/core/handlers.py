"""The production WSGI application: the JSON API without the middleware of pages.

Pages need sessions, language negotiation, CSRF, messages, OTP and frame headers; the API
(bearer tokens, voting codes, public reads) needs none of them, and they cost about 0.45 ms of
the 1.5 ms that a cheap API request takes (docs/operations.md). Requests under ``/api/`` go to a
second Django handler built with ``settings.API_MIDDLEWARE``; everything else to the usual one.
Both are the same Django, URL configuration and views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

API_PREFIX = "/api/"


class ApiHandler(WSGIHandler):
    """Django's WSGI handler with ``API_MIDDLEWARE`` in place of ``MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; this swaps the list in for the
        # moment the chain is built, once, while the application is created.
        pages = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


class Application:
    """Sends ``/api/`` requests to the API's handler and the rest to the pages' handler."""

    def __init__(self) -> None:
        self.pages = WSGIHandler()
        self.api = ApiHandler()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            return self.api(environ, start_response)
        return self.pages(environ, start_response)
