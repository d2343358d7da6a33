"""The chair's console, forms: each one calls the same ``check_*`` as the API and the CLI.

As on the rest of the console (:mod:`asamblea.console.views._base`): a refusal of permission
answers 403 (404 for what does not exist) and writes nothing; a refusal for a reason of state or
input (the action's ActionError, naming the field) goes back to the page it came from with the
reason shown, and writes nothing either (the action's door rolls back). Every form carries
Django's CSRF token; these views accept POST only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from asamblea.assemblies import actions
from asamblea.assemblies.presentation import zone_of
from asamblea.console.issues import in_words
from asamblea.console.views._base import acted, signed_in
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden
from asamblea.registry.models import Body


def _back(request: HttpRequest, default: str) -> str:
    """Where the form came from (``next``, only a path of this console), else ``default``."""
    wanted = request.POST.get("next", "")
    prefix = reverse("console:sessions:index")
    if (
        wanted.startswith(prefix)
        and url_has_allowed_host_and_scheme(wanted, allowed_hosts=None)
        and "\n" not in wanted
    ):
        return wanted
    return default


def _run(
    request: HttpRequest,
    back: str,
    action: Callable[..., Any],
    *args: Any,
    done: str,
    **kwargs: Any,
) -> HttpResponse:
    return acted(request, lambda: action(request.user, *args, **kwargs), _back(request, back), done)


def _int(request: HttpRequest, name: str) -> int | None:
    value = request.POST.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _console(session_id: int) -> str:
    return reverse("console:sessions:session", args=[session_id])


def _schedule(request: HttpRequest) -> Any:
    body = Body.objects.select_related("organisation").filter(pk=_int(request, "body_id")).first()
    if body is None:
        raise ActionError("choose an assembly or committee", field="body_id")
    raw = request.POST.get("scheduled_at", "").strip()
    try:
        local = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ActionError(
            "give a date and time like 2026-12-07 10:00", field="scheduled_at"
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone_of(body.organisation))
    session = actions.check_schedule_session(
        request.user,
        body.pk,
        title=request.POST.get("title", ""),
        scheduled_at=local,
        agenda=request.POST.get("agenda", ""),
        place=request.POST.get("place", "").strip(),
    )
    return session


@require_POST
@signed_in
def schedule(request: HttpRequest) -> HttpResponse:
    index = reverse("console:sessions:index")
    try:
        session = _schedule(request)
    except (NotFoundOrForbidden, Forbidden):
        raise
    except ActionError as exc:
        where = f"{exc.field}: " if exc.field else ""
        messages.error(request, where + in_words(exc.detail))
        return redirect(index)
    messages.success(request, _("Session scheduled."))
    return redirect(_console(session.pk))


@require_POST
@signed_in
def open_session(request: HttpRequest, session_id: int) -> HttpResponse:
    return _run(
        request,
        _console(session_id),
        actions.check_open_session,
        session_id,
        done=_("Session opened."),
    )


@require_POST
@signed_in
def close_session(request: HttpRequest, session_id: int) -> HttpResponse:
    return _run(
        request,
        _console(session_id),
        actions.check_close_session,
        session_id,
        done=_("Session closed."),
    )


@require_POST
@signed_in
def attend(request: HttpRequest, session_id: int) -> HttpResponse:
    seat_id = _int(request, "seat_id") or 0
    member = request.POST.get("member_id", "").strip() or None
    return _run(
        request,
        reverse("console:sessions:attendance", args=[session_id]),
        actions.check_record_attendance,
        session_id,
        seat_id,
        member_public_id=member,
        done=_("Marked present."),
    )


@require_POST
@signed_in
def depart(request: HttpRequest, session_id: int) -> HttpResponse:
    return _run(
        request,
        reverse("console:sessions:attendance", args=[session_id]),
        actions.check_record_departure,
        session_id,
        _int(request, "seat_id") or 0,
        done=_("Marked as gone."),
    )


@require_POST
@signed_in
def attend_all(request: HttpRequest, session_id: int) -> HttpResponse:
    return _run(
        request,
        reverse("console:sessions:attendance", args=[session_id]),
        actions.check_record_attendance_of_all,
        session_id,
        done=_("Every held seat is marked present."),
    )


@require_POST
@signed_in
def propose(request: HttpRequest, session_id: int) -> HttpResponse:
    threshold = request.POST.get("threshold", "majority_cast")
    fraction = request.POST.get("fraction", "").strip() or None
    return _run(
        request,
        _console(session_id),
        actions.check_propose_motion,
        session_id,
        title=request.POST.get("title", "").strip(),
        text=request.POST.get("text", "").strip(),
        proposer_name=request.POST.get("proposer_name", "").strip(),
        threshold=threshold,
        fraction=fraction if threshold == "qualified" else None,
        amends_id=_int(request, "amends"),
        resolution_kind=request.POST.get("resolution_kind", ""),
        done=_("Motion put."),
    )


@require_POST
@signed_in
def withdraw(request: HttpRequest, session_id: int, motion_id: int) -> HttpResponse:
    return _run(
        request,
        _console(session_id),
        actions.check_withdraw_motion,
        motion_id,
        done=_("Motion withdrawn."),
    )


@require_POST
@signed_in
def open_division(request: HttpRequest, session_id: int, motion_id: int) -> HttpResponse:
    return _run(
        request,
        _console(session_id),
        actions.check_open_division,
        motion_id,
        done=_("Division opened: the delegates may vote."),
    )


@require_POST
@signed_in
def close_division(request: HttpRequest, session_id: int, division_id: int) -> HttpResponse:
    return _run(
        request,
        _console(session_id),
        actions.check_close_division,
        division_id,
        done=_("Division closed and counted."),
    )


@require_POST
@signed_in
def record_vote(request: HttpRequest, session_id: int, division_id: int) -> HttpResponse:
    """The chair, as clerk, enters a seat's vote called out in the hall."""
    seat_id = _int(request, "seat_id") or 0
    return _run(
        request,
        _console(session_id),
        actions.check_cast_votes,
        division_id,
        [(seat_id, request.POST.get("choice", ""))],
        done=_("Vote recorded."),
    )


@require_POST
@signed_in
def resolution_status(request: HttpRequest, session_id: int, resolution_id: int) -> HttpResponse:
    return _run(
        request,
        _console(session_id),
        actions.check_set_resolution_status,
        resolution_id,
        request.POST.get("status", ""),
        note=request.POST.get("note", "").strip(),
        done=_("Resolution status updated."),
    )
