"""Answers for a database that is down or restarting.

A request that meets an unreachable database (a restart, a failover, SQLite busy past its
timeout) gets 503 Service Unavailable with ``Retry-After``, not a 500: nothing was written (every
change is one transaction), and the client may send the same request again; a cast keeps its
submission key, so a retry returns the same receipt if the first attempt did go through.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        message = _("The database is unavailable for a moment; nothing was changed. Try again.")
        response: HttpResponse
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


# --- abuse resistance and headers (issue 16) ---------------------------------------------------

# Officer sessions: when the officer signed in and when they were last seen (epoch seconds).
OFFICER_SINCE = "asamblea_officer_since"
OFFICER_SEEN = "asamblea_officer_seen"
# Last-seen is written at most this often, so an officer's browsing is not a write per page.
_SEEN_RESOLUTION = 60


class HeadersMiddleware:
    """The Content-Security-Policy on every answer, and ``Retry-After`` on every 429."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.ASAMBLEA_CSP)
        if response.status_code == 429:
            response.setdefault("Retry-After", "60")
        return response


class AdminLoginMiddleware:
    """``/admin/login/`` is the officers' sign-in: one view, one generic answer, one throttle.

    django-otp's admin form tells a right password from a wrong one ("please select a device");
    the officers' view does not.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.http import HttpResponseRedirect
        from django.urls import reverse
        from django.utils.http import urlencode

        if request.path == reverse("admin:login"):
            target = reverse("web:officer_login")
            next_url = request.GET.get("next") or reverse("admin:index")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': next_url})}")
        return self.get_response(request)


class OfficerSessionMiddleware:
    """Officers' sessions end after 30 minutes idle and 12 hours in all.

    The officers' sign-in marks the session (``OFFICER_SINCE``); members' sessions carry no mark
    and keep Django's longer lifetime.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import time

        from django.conf import settings
        from django.contrib import auth

        session = getattr(request, "session", None)
        since = session.get(OFFICER_SINCE) if session is not None else None
        if since is not None and session is not None:
            at = time.time()
            seen = session.get(OFFICER_SEEN, since)
            if (
                at - since > settings.ASAMBLEA_OFFICER_SESSION_SECONDS
                or at - seen > settings.ASAMBLEA_OFFICER_IDLE_SECONDS
            ):
                auth.logout(request)
            elif at - seen >= _SEEN_RESOLUTION:
                session[OFFICER_SEEN] = at
                session.set_expiry(settings.ASAMBLEA_OFFICER_IDLE_SECONDS)
        return self.get_response(request)


# What each API token scope allows: "write" everything the user may do; "read" only reading;
# "vote-division" reading and a delegate's votes in divisions.
TOKEN_SCOPES = ("write", "read", "vote-division")
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_DIVISION_VOTE = "/api/divisions/{}/votes"


def scope_allows(scope: str, method: str, path: str) -> bool:
    import re

    if scope == "write" or method in _SAFE_METHODS:
        return True
    if scope == "vote-division":
        return method == "POST" and re.fullmatch(r"/api/divisions/\d+/votes/?", path) is not None
    return False


class ApiTokenScopeMiddleware:
    """An API request with a bearer token does only what the token's scope allows (else 403).

    Expiry is checked where the token is believed (``core.credentials.user_for_token``: an
    expired token answers 401); the scope here, because only the request knows what is asked.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from asamblea.core.credentials import token_row

        header = request.META.get("HTTP_AUTHORIZATION", "")
        if request.path.startswith("/api/") and header[:7].lower() == "bearer ":
            row = token_row(header[7:].strip())
            if row is not None and not scope_allows(
                getattr(row, "scope", "write"), request.method or "GET", request.path
            ):
                return JsonResponse(
                    {
                        "detail": f"this token's scope ({row.scope}) does not allow this",
                        "field": None,
                    },
                    status=403,
                )
        return self.get_response(request)


# A trustee's shuffle of a ranked vote (every ballot re-encrypted, with its proof) or partial
# decryption of one is far over Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE: 10,000 ballots of ten
# ranks are about 9 MB. Those two endpoints, and only for a request carrying a live API token,
# take up to ASAMBLEA_TRUSTEE_UPLOAD_MAX bytes; everything else keeps Django's limit.
_TRUSTEE_UPLOADS = re.compile(r"/api/trustees/(?:mixes/\d+/shuffle|requests/\d+/partial)/?")


class TrusteeUploadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and _TRUSTEE_UPLOADS.fullmatch(request.path):
            from django.conf import settings

            from asamblea.core.credentials import token_row

            header = request.META.get("HTTP_AUTHORIZATION", "")
            if header[:7].lower() == "bearer " and token_row(header[7:].strip()) is not None:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
                limit = settings.ASAMBLEA_TRUSTEE_UPLOAD_MAX
                if length > limit:
                    return JsonResponse(
                        {
                            "detail": f"the request is {length:,} bytes; a trustee's upload may be "
                            f"at most {limit:,} bytes (ASAMBLEA_TRUSTEE_UPLOAD_MAX)",
                            "field": None,
                        },
                        status=413,
                    )
                # Read here, so that request.body is this and Django's smaller limit is not
                # applied to this request.
                request._body = request.read(length)  # type: ignore[attr-defined]
        return self.get_response(request)
