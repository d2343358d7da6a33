"""Public pages of assemblies: sessions with a live tally, divisions, resolutions, delegates.

Everything here is public (roll calls are public by design). Pages are complete without
JavaScript; htmx only refreshes the tally in place. The division page is the hot one: a fixed
number of queries whatever the size of the roll call (see the test that counts them).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from asamblea.assemblies import actions, minutes, presentation, queries
from asamblea.assemblies.models import (
    Attendance,
    DelegateVote,
    Deviation,
    Division,
    Instruction,
    Motion,
    Resolution,
    Session,
)
from asamblea.assemblies.queries import division_weights, sitting
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden, is_active_user
from asamblea.registry.models import Body, Member
from asamblea.rules.divisions import CHOICES

VOTES_PER_PAGE = 100


def _or_404(fetch: Any, *args: Any) -> Any:
    try:
        return fetch(*args)
    except NotFoundOrForbidden as exc:
        raise Http404(exc.detail) from None


def division_context(division: Division) -> dict[str, Any]:
    """What every page showing a division says of it (the shared partials ``_division.html`` and
    ``_tally.html``): its rule in words, the totals (live while open, as recorded once closed),
    who is present and whether that makes a quorum."""
    rule = division.rule or {}
    if division.status == Division.Status.CLOSED:
        totals = {c: presentation.as_fraction(division.totals.get(c, "0")) for c in CHOICES}
        counts = None
        seats_present = division.totals.get("seats_present")
        present = presentation.as_fraction(division.totals.get("present", "0"))
    else:
        # The running tally of the row just read: no vote is read to show it.
        live = queries.tally_from_stored(division.live_totals or {}, division.live_counts or {})
        totals = live["totals"]
        counts = live["counts"]
        seats_present, present = actions.present_amount(
            division.motion.session, division_weights(division)
        )
    rows = [
        (c, presentation.choice_label(c), totals[c], counts[c] if counts else None) for c in CHOICES
    ]
    return {
        "division": division,
        "tally_rows": rows,
        "any_inexact": any(presentation.is_inexact(t) for t in [*totals.values(), present]),
        "by_weight": rule.get("basis") == "weight",
        "totals": totals,
        "counts": counts,
        "cast": sum(counts.values()) if counts else None,
        "seats_present": seats_present,
        "present": present,
        "seats": rule.get("seats"),
        "legal": presentation.as_fraction(rule.get("legal", 0)),
        "quorate_now": presentation.is_quorate_now(rule, present),
        "rule_words": [
            presentation.threshold_words(rule),
            presentation.quorum_words(rule),
            presentation.mandate_words(rule.get("mandate_mode", "report")),
        ],
    }


def _tally_context(division: Division) -> dict[str, Any]:
    return division_context(division)


def session_list(request: HttpRequest) -> HttpResponse:
    sessions = Session.objects.select_related("body__organisation").order_by("-scheduled_at", "-id")
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
        context["my_seats"] = _my_seats(request.user, session)
    context["deviations"] = (
        Deviation.objects.filter(vote__division__motion__session=session)
        .select_related("vote__division__motion", "vote__member", "instruction")
        .order_by("vote__division__motion__number", "vote__unit_name", "vote__member_name")
    )
    return render(request, "assemblies/session_detail.html", context)


def session_attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    """Who sits in each seat now, 100 a page (a national assembly has thousands)."""
    session = _or_404(actions.access_session_by_id, session_id)
    attendance = (
        sitting(session)
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
    """The roll call, one keyset page of 100 votes (``after``/``before`` a seat), with a search
    by delegate or unit name (``q``); a fixed number of queries whatever the size of the roll
    call, and the totals at the top from the division's running tally (see the test that counts
    them)."""
    division = _or_404(actions.access_division_by_id, division_id)
    find = request.GET.get("q", "").strip()
    try:
        page = queries.roll_call_page(
            division,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            find=find,
            limit=VOTES_PER_PAGE,
        )
        find_error = ""
    except ActionError as exc:
        # A cursor or search typed by hand: say so, and show the roll call from its start.
        if exc.field == "find":
            find_error = _("Search for at most %(n)d characters.") % {"n": queries.FIND_MAX}
        else:
            find_error = _("That page link is not valid: the roll call is shown from its start.")
        find = ""
        page = queries.roll_call_page(division, limit=VOTES_PER_PAGE)
    labels = _choice_labels()
    # Column names again on each cell: on a phone the rows stack, each value with its name.
    heads = (_("Unit"), _("Vote"), _("Weight"), _("Instruction"))
    # The hot page: rows are joined in Python (escaped by format_html), not looped in the
    # template engine, which costs several times more per row.
    base = reverse("assemblies:delegate", args=["x"])[:-2]
    alternate = format_html(" <small>({})</small>", _("alternate"))
    deviation = format_html(' <strong class="error">{}</strong>', _("deviation"))
    rows = format_html_join(
        "\n",
        '<tr><td><a href="{}{}/">{}</a>{}</td><td data-label="{}">{}</td><td data-label="{}">{}</td>'
        '<td class="num" data-label="{}" title="{}">{}</td><td data-label="{}">{}{}</td></tr>',
        (
            (
                base,
                public_id,
                name,
                alternate if is_alternate else "",
                heads[0],
                unit,
                heads[1],
                labels[choice],
                heads[2],
                f"{num}/{den}",
                presentation.amount(Fraction(num, den)),
                heads[3],
                labels.get(instructed or "", "—"),
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
                _seat,
            ) in page.rows
        ),
    )
    query = urlencode({"q": find}) + "&" if find else ""
    context = {
        "page": page,
        "rows": rows,
        "find": find,
        "find_error": find_error,
        "find_max": queries.FIND_MAX,
        "previous_url": f"?{query}before={page.first}#roll" if page.has_previous else "",
        "next_url": f"?{query}after={page.last}#roll" if page.has_next else "",
        "motion": division.motion,
        "session": division.motion.session,
        **_tally_context(division),
    }
    return render(request, "assemblies/division_detail.html", context)


def body_resolutions(request: HttpRequest, body_id: int) -> HttpResponse:
    body = Body.objects.select_related("organisation").filter(pk=body_id).first()
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
        .select_related("division__motion__session__body__organisation", "instruction")
        .order_by("-cast_at", "-id")
    )
    page = Paginator(votes, VOTES_PER_PAGE).get_page(request.GET.get("page"))
    deviations = votes.filter(is_deviation=True).count()
    return render(
        request,
        "assemblies/delegate_detail.html",
        {"member": member, "page": page, "deviations": deviations},
    )


def _minutes_language(request: HttpRequest, session: Session) -> str:
    """``?lang=`` when it names a language of the site, else the session's (its organisation's)."""
    known = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang", "")
    return asked if asked in known else minutes.language_of(session)


def session_minutes_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _or_404(actions.access_session_by_id, session_id)
    body = minutes.minutes_pdf(session, language=_minutes_language(request, session))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="minutes-session-{session.pk}.pdf"'
    return response


def session_minutes_csv(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _or_404(actions.access_session_by_id, session_id)
    body = minutes.minutes_csv(session, language=_minutes_language(request, session))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="minutes-session-{session.pk}.csv"'
    return response


def _my_seats(user: Any, session: Session) -> list[Attendance]:
    """The seats ``user`` sits in now (their own, or as the alternate standing in)."""
    if not is_active_user(user):
        return []
    return list(
        Attendance.objects.filter(session=session, member__user=user, left_at__isnull=True)
        .select_related("seat__unit", "member")
        .order_by("seat__unit__name", "seat__number")
    )


def _current_division(session: Session) -> Division | None:
    """The open division, else the last one decided (what the hall wants to see)."""
    divisions = Division.objects.filter(motion__session=session).select_related(
        "motion__session__body__organisation"
    )
    return (
        divisions.filter(status=Division.Status.OPEN).first()
        or divisions.order_by("-closed_at", "-id").first()
    )


def projector(request: HttpRequest, session_id: int) -> HttpResponse:
    """The hall's screen: the current division in large type, no controls. With JavaScript htmx
    refreshes it every 3 seconds; without, ``?auto=1`` adds a meta refresh every 5 seconds (an
    opt-in: a timed refresh nobody asked for fails WCAG 2.2.1). Public, like all it shows."""
    session = _or_404(actions.access_session_by_id, session_id)
    division = _current_division(session)
    context: dict[str, Any] = {
        "session": session,
        "division": division,
        "auto": request.GET.get("auto") == "1",
    }
    if division is not None:
        context.update(division_context(division))
    context["seats_now"], context["present_now"] = actions.present_amount(session)
    context["total_seats"] = actions.legal_number(session.body)[0]
    return render(request, "assemblies/projector.html", context)


def division_vote(request: HttpRequest, division_id: int) -> HttpResponse:
    """A delegate's (or standing-in alternate's) roll-call page: the open division, their unit's
    instruction, and a vote for each seat they sit in. Votes go through the same
    ``check_cast_votes`` as the API and the CLI, and are public as cast."""
    if not is_active_user(request.user):
        return redirect_to_login(request.get_full_path(), reverse("web:login"))
    division = _or_404(actions.access_division_by_id, division_id)
    session = division.motion.session
    error = ""
    status = 200
    if request.method == "POST":
        seat_id = request.POST.get("seat_id", "")
        try:
            actions.check_cast_votes(
                request.user,
                division.pk,
                [(int(seat_id) if seat_id.isdigit() else 0, request.POST.get("choice", ""))],
            )
        except Forbidden as exc:
            return render(
                request, "assemblies/vote_refused.html", {"detail": exc.detail}, status=403
            )
        except ActionError as exc:
            error = presentation.refusal_words(exc.detail)
            status = 409 if exc.code in ("conflict", "blocked") else 400
        else:
            return HttpResponseRedirect(request.get_full_path(), status=303)
    seats = _my_seats(request.user, session)
    if not seats:
        detail = _("You are not marked present in a seat of this session.")
        return render(request, "assemblies/vote_refused.html", {"detail": detail}, status=403)
    cast = {
        v.seat_id: v
        for v in DelegateVote.objects.filter(
            division=division, seat_id__in=[a.seat_id for a in seats]
        )
    }
    instructions = {
        int(unit): (pk, result) for unit, (pk, result) in (division.instructed or {}).items()
    }
    counts = {
        i.pk: i.counts()
        for i in Instruction.objects.filter(pk__in=[pk for pk, _r in instructions.values()])
    }
    rows = []
    for a in seats:
        pk, result = instructions.get(a.seat.unit_id, (None, None))
        rows.append(
            {
                "attendance": a,
                "vote": cast.get(a.seat_id),
                "instructed": result,
                "instruction_counts": counts.get(pk) if pk else None,
            }
        )
    context = {
        "session": session,
        "motion": division.motion,
        "rows": rows,
        "error": error,
        "bound": (division.rule or {}).get("mandate_mode") == "bound",
        **division_context(division),
    }
    return render(request, "assemblies/division_vote.html", context, status=status)
