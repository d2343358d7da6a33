"""What every console view shares: signing in first, refusals as pages, results as messages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from asamblea.console.issues import in_words
from asamblea.core.errors import ActionError, BlockingIssues, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden, is_active_user

View = Callable[..., HttpResponse]


def refused(request: HttpRequest, status: int, detail: str = "") -> HttpResponse:
    """A 403 (may see, may not do) or 404 (may not even know it exists) page."""
    return render(
        request, "console/refused.html", {"status": status, "detail": detail}, status=status
    )


def _verified(request: HttpRequest) -> bool:
    """Signed in through the officers' sign-in: password and a TOTP code (django_otp marks the
    session). A member's one-time e-mail code is no second factor for an office."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def _sign_in_first(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(request.get_full_path(), reverse("web:officer_login"))


def signed_in(view: View) -> View:
    """Only a session signed in with a second factor reaches the console; anyone else goes to
    the officers' sign-in. Refusals of the one predicate become 403 and 404 pages, whatever
    view raised them."""
    return _guarded(view, verified=True)


def signed_in_any(view: View) -> View:
    """Any signed-in person (a delegate's tokens page): each action asks its own factor."""
    return _guarded(view, verified=False)


def _guarded(view: View, *, verified: bool) -> View:
    @functools.wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_active_user(request.user) or (verified and not _verified(request)):
            return _sign_in_first(request)
        try:
            return view(request, *args, **kwargs)
        except NotFoundOrForbidden:
            return refused(request, 404)
        except Forbidden as exc:
            return refused(request, 403, exc.detail)

    return run


def acted(request: HttpRequest, step: Callable[[], Any], back: str, done: str = "") -> HttpResponse:
    """Run one ``check_*`` for a POST and go back to ``back`` with what happened.

    Refusals of permission propagate (403/404 through :func:`signed_in`); a refusal of state or
    input (an ``ActionError``, blocking issues) goes back with the reason in words, nothing
    written.
    """
    try:
        step()
    except (NotFoundOrForbidden, Forbidden):
        raise
    except BlockingIssues as exc:
        for issue in exc.issues:
            messages.error(request, in_words(issue))
        return redirect(back)
    except ActionError as exc:
        where = f"{exc.field}: " if exc.field else ""
        messages.error(request, where + in_words(exc.detail))
        return redirect(back)
    messages.success(request, done or _("Done."))
    return redirect(back)
