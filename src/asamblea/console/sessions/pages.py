"""The chair's console, read side: the chair's sessions, one session's console, attendance.

Every page fetches through ``access_*_for_chair`` (core.permissions decides). As on the rest of
the console (:func:`asamblea.console.views._base.signed_in`), a visitor not signed in with a
second factor is sent to the officers' sign-in, a signed-in user who does not chair the session's
body gets 403, a session that does not exist 404. The forms on these pages post to :mod:`.posts`, which call the same
``check_*`` actions as the API and the command line.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asamblea.assemblies import actions, presentation, queries
from asamblea.assemblies.models import (
    Attendance,
    Deviation,
    Division,
    Motion,
    Resolution,
    Session,
)
from asamblea.assemblies.views import division_context
from asamblea.console.issues import in_words
from asamblea.console.views._base import signed_in
from asamblea.core.permissions import Forbidden, Role, granted_offices
from asamblea.registry.models import Alternate, Body, Mandate, Seat

SEATS_PER_PAGE = 50
CLERK_SEATS = 300


_AMENDMENTS = re.compile(r"^(\d+) amendment\(s\) must be voted on first$")
_INSTRUCTION_OPEN = re.compile(r"^the instruction vote of (.+) is still open$")


def issue_words(issue: str) -> str:
    """What blocks a division (worded in English by the action) in the reader's language; an
    issue not known here is shown as it is (through the console's own list, then verbatim)."""
    known = {
        "the session is not open": _("The session is not open."),
        "another division is open": _("Another division is open: close it first."),
        "the motion has already been put to a division": _("The motion has been voted on."),
        "the weighted body has no current apportionment": _(
            "The body weighs votes but has no current apportionment of its seats."
        ),
    }
    if issue in known:
        return known[issue]
    if match := _AMENDMENTS.match(issue):
        n = int(match.group(1))
        return ngettext(
            "%(n)s amendment must be voted on first.",
            "%(n)s amendments must be voted on first.",
            n,
        ) % {"n": n}
    if match := _INSTRUCTION_OPEN.match(issue):
        return _("The instruction vote of %(unit)s is still open.") % {"unit": match.group(1)}
    return in_words(issue)


def chaired_bodies(user: Any) -> list[Body]:
    """The assemblies and committees ``user`` chairs: an office for a body, or for the whole
    organisation (every assembly and committee of it)."""
    bodies: dict[int, Body] = {}
    for org_id, body_id, role in granted_offices(user):
        if role != Role.CHAIR:
            continue
        found = Body.objects.filter(organisation_id=org_id, dissolved_at__isnull=True).exclude(
            kind__in=Body.BASE_UNIT_KINDS
        )
        if body_id is not None:
            found = found.filter(pk=body_id)
        for body in found.select_related("organisation"):
            bodies[body.pk] = body
    return sorted(bodies.values(), key=lambda b: (b.organisation.name, b.name))


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    bodies = chaired_bodies(request.user)
    if not bodies:
        raise Forbidden(_("You chair no assembly or committee."))
    sessions = (
        Session.objects.filter(body__in=bodies)
        .select_related("body__organisation")
        .order_by("-scheduled_at", "-id")
    )
    page = Paginator(sessions, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "assemblies/console/index.html",
        {"bodies": bodies, "page": page},
    )


def _motions(session: Session) -> list[Motion]:
    return list(
        Motion.objects.filter(session=session)
        .select_related("division", "amends", "resolution")
        .order_by("number")
    )


@signed_in
def session_console(request: HttpRequest, session_id: int) -> HttpResponse:
    session = actions.access_session_for_chair(request.user, session_id)
    motions = _motions(session)
    open_division = next(
        (
            m.division
            for m in motions
            if hasattr(m, "division") and m.division.status == Division.Status.OPEN
        ),
        None,
    )
    # What stands between each pending motion and its division, in words (shown to the chair).
    for m in motions:
        m.issues = (  # type: ignore[attr-defined]
            [issue_words(issue) for issue in actions.division_blocking_issues(m)]
            if m.status == Motion.Status.PROPOSED and not hasattr(m, "division")
            else []
        )
    deviations = (
        Deviation.objects.filter(vote__division__motion__session=session)
        .select_related("vote__member", "instruction", "vote__division__motion")
        .order_by("vote__division__motion__number", "vote__unit_name", "vote__member_name")
    )
    resolutions = (
        Resolution.objects.filter(motion__session=session)
        .prefetch_related("history")
        .order_by("motion__number")
    )
    summary = actions.session_summary(session)
    context: dict[str, Any] = {
        # First, so that the motions below (with their blocking issues) replace its own list.
        **summary,
        "session": session,
        "motions": motions,
        "pending": [m for m in motions if m.status == Motion.Status.PROPOSED and not m.amends_id],
        "open_division": open_division,
        "deviations": deviations,
        "resolutions": resolutions,
        "statuses": Resolution.Status.choices,
        "thresholds": [
            (value, presentation.threshold_label(Motion(threshold=value)))
            for value in Motion.Threshold.values
            if value != Motion.Threshold.QUALIFIED
        ]
        + [(Motion.Threshold.QUALIFIED, presentation.threshold_words_short())],
        "kinds": [
            (value, presentation.resolution_kind_label(value))
            for value in Motion.ResolutionKind.values
            if value
        ],
    }
    if open_division is not None:
        context.update(division_context(open_division))
        # The clerk's list: seats sitting that have not voted yet (a bounded list; in a large
        # body the delegates vote on their own pages).
        context["unvoted"] = (
            Attendance.objects.filter(session=session, left_at__isnull=True)
            .exclude(seat_id__in=open_division.votes.values("seat_id"))
            .select_related("seat__unit", "member")
            .order_by("seat__unit__name", "seat__number")[:CLERK_SEATS]
        )
    return render(request, "assemblies/console/session.html", context)


@signed_in
def attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    """Every seat of the body with who holds it and who sits, searchable by name, 50 a page."""
    session = actions.access_session_for_chair(request.user, session_id)
    query = request.GET.get("q", "").strip()[:100]
    seats = Seat.objects.filter(body=session.body, abolished_at__isnull=True)
    if query:
        holders = Mandate.objects.filter(
            ended_at__isnull=True, member__display_name__icontains=query
        ).values("seat_id")
        stand_ins = Alternate.objects.filter(
            body=session.body, used_at__isnull=True, member__display_name__icontains=query
        ).values("unit_id")
        seats = seats.filter(
            Q(pk__in=holders) | Q(unit_id__in=stand_ins) | Q(unit__name__icontains=query)
        )
    seats = seats.select_related("unit").order_by("unit__name", "number")
    page = Paginator(seats, SEATS_PER_PAGE).get_page(request.GET.get("page"))
    ids = [s.pk for s in page]
    holder_of = {
        m.seat_id: m
        for m in Mandate.objects.filter(seat_id__in=ids, ended_at__isnull=True).select_related(
            "member"
        )
    }
    # Who sits now, or who sat when the session closed (as the counts above it say).
    sitting = {
        a.seat_id: a
        for a in queries.sitting(session).filter(seat_id__in=ids).select_related("member")
    }
    units = {s.unit_id for s in page}
    alternates: dict[int, list[Alternate]] = {}
    for alt in (
        Alternate.objects.filter(body=session.body, unit_id__in=units, used_at__isnull=True)
        .select_related("member")
        .order_by("position")
    ):
        alternates.setdefault(alt.unit_id, []).append(alt)
    rows = [
        {
            "seat": s,
            "holder": holder_of.get(s.pk),
            "sitting": sitting.get(s.pk),
            "alternates": alternates.get(s.unit_id, []),
        }
        for s in page
    ]
    seats_present, present = actions.present_amount(session)
    return render(
        request,
        "assemblies/console/attendance.html",
        {
            "session": session,
            "page": page,
            "rows": rows,
            "q": query,
            "pager_query": urlencode({"q": query}) + "&" if query else "",
            "seats_present": seats_present,
            "present": present,
            "seats": page.paginator.count if not query else None,
            "total": actions.legal_number(session.body)[0],
        },
    )
