"""Public pages of assemblies: sessions with a live tally, divisions, resolutions, delegates.

Everything here is public (roll calls are public by design). Pages are complete without
JavaScript; htmx only refreshes the tally in place. The division page is the hot one: a fixed
number of queries whatever the size of the roll call (see the test that counts them).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from asamblea.assemblies import actions, minutes
from asamblea.assemblies.models import (
    Attendance,
    DelegateVote,
    Division,
    Motion,
    Resolution,
    Session,
)
from asamblea.core.errors import NotFoundOrForbidden
from asamblea.registry.models import Body, Member
from asamblea.rules.divisions import CHOICES

VOTES_PER_PAGE = 100


def _or_404(fetch: Any, *args: Any) -> Any:
    try:
        return fetch(*args)
    except NotFoundOrForbidden as exc:
        raise Http404(exc.detail) from None


def _tally_context(division: Division) -> dict[str, Any]:
    """Totals of an open division (live) or of a closed one (as recorded)."""
    if division.status == Division.Status.CLOSED:
        totals = {c: division.totals.get(c, "0") for c in CHOICES}
        counts = None
    else:
        live = actions.live_tally(division)
        totals = {c: str(live["totals"][c]) for c in CHOICES}
        counts = live["counts"]
    return {"division": division, "totals": totals, "counts": counts}


def session_list(request: HttpRequest) -> HttpResponse:
    sessions = Session.objects.select_related("body").order_by("-scheduled_at", "-id")
    page = Paginator(sessions, 50).get_page(request.GET.get("page"))
    return render(request, "assemblies/session_list.html", {"page": page})


def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _or_404(actions.access_session_by_id, session_id)
    motions = list(
        Motion.objects.filter(session=session)
        .select_related("division", "amends")
        .order_by("number")
    )
    open_division = next(
        (
            m.division
            for m in motions
            if hasattr(m, "division") and m.division.status == Division.Status.OPEN
        ),
        None,
    )
    seats, legal = actions.legal_number(session.body)
    seats_present, present = actions.present_amount(session)
    context = {
        "session": session,
        "motions": motions,
        "open_division": open_division,
        "seats": seats,
        "legal": legal,
        "seats_present": seats_present,
        "present": present,
        "is_weighted": actions.is_weighted(session.body),
    }
    if open_division is not None:
        context.update(_tally_context(open_division))
    return render(request, "assemblies/session_detail.html", context)


def session_attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    """Who sits in each seat now, 100 a page (a national assembly has thousands)."""
    session = _or_404(actions.access_session_by_id, session_id)
    attendance = (
        Attendance.objects.filter(session=session, left_at__isnull=True)
        .select_related("member", "seat__unit")
        .order_by("seat__unit__name", "seat__number")
    )
    page = Paginator(attendance, VOTES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "assemblies/attendance.html", {"session": session, "page": page})


def division_tally(request: HttpRequest, division_id: int) -> HttpResponse:
    """The tally fragment (htmx polls it; without JavaScript the page itself shows it)."""
    division = _or_404(actions.access_division_by_id, division_id)
    return render(request, "assemblies/_tally.html", _tally_context(division))


def _choice_labels() -> dict[str, str]:
    return {"for": _("for"), "against": _("against"), "abstain": _("abstain"), "free": _("free")}


def division_detail(request: HttpRequest, division_id: int) -> HttpResponse:
    """The roll call, 100 votes a page, in a fixed number of queries (rows as plain values)."""
    division = _or_404(actions.access_division_by_id, division_id)
    votes = (
        DelegateVote.objects.filter(division=division)
        .order_by("unit_name", "member_name", "seat_id")
        .values_list(
            "member_name",
            "member__public_id",
            "unit_name",
            "is_alternate",
            "choice",
            "weight_num",
            "weight_den",
            "instruction__result",
            "is_deviation",
        )
    )
    page = Paginator(votes, VOTES_PER_PAGE).get_page(request.GET.get("page"))
    labels = _choice_labels()
    # The hot page: rows are joined in Python (escaped by format_html), not looped in the
    # template engine, which costs several times more per row.
    base = reverse("assemblies:delegate", args=["x"])[:-2]
    alternate = format_html(" <small>({})</small>", _("alternate"))
    deviation = format_html(' <strong class="error">{}</strong>', _("deviation"))
    rows = format_html_join(
        "\n",
        '<tr><td><a href="{}{}/">{}</a>{}</td><td>{}</td><td>{}</td><td class="num">{}</td>'
        "<td>{}{}</td></tr>",
        (
            (
                base,
                public_id,
                name,
                alternate if is_alternate else "",
                unit,
                labels[choice],
                str(Fraction(num, den)),
                labels.get(instructed or "", ""),
                deviation if is_deviation else "",
            )
            for (
                name,
                public_id,
                unit,
                is_alternate,
                choice,
                num,
                den,
                instructed,
                is_deviation,
            ) in (page.object_list)
        ),
    )
    context = {
        "page": page,
        "rows": rows,
        "motion": division.motion,
        "session": division.motion.session,
        **_tally_context(division),
    }
    return render(request, "assemblies/division_detail.html", context)


def body_resolutions(request: HttpRequest, body_id: int) -> HttpResponse:
    body = Body.objects.filter(pk=body_id).first()
    if body is None:
        raise Http404(_("body not found"))
    resolutions = (
        Resolution.objects.filter(body=body)
        .select_related("motion__division")
        .prefetch_related("history")
        .order_by("-adopted_at", "-id")
    )
    return render(
        request, "assemblies/resolutions.html", {"body": body, "resolutions": resolutions}
    )


def delegate_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """A delegate's public votes and deviations from their unit's instructions."""
    member = Member.objects.filter(public_id=public_id).first()
    if member is None or not DelegateVote.objects.filter(member=member).exists():
        # Only delegates have a public page here; other members are not listed.
        raise Http404(_("delegate not found"))
    votes = (
        DelegateVote.objects.filter(member=member)
        .select_related("division__motion__session__body", "instruction")
        .order_by("-cast_at", "-id")
    )
    page = Paginator(votes, VOTES_PER_PAGE).get_page(request.GET.get("page"))
    deviations = votes.filter(is_deviation=True).count()
    return render(
        request,
        "assemblies/delegate_detail.html",
        {"member": member, "page": page, "deviations": deviations},
    )


def session_minutes_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _or_404(actions.access_session_by_id, session_id)
    response = HttpResponse(minutes.minutes_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="minutes-session-{session.pk}.pdf"'
    return response


def session_minutes_csv(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _or_404(actions.access_session_by_id, session_id)
    response = HttpResponse(minutes.minutes_csv(session), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="minutes-session-{session.pk}.csv"'
    return response
