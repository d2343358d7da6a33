"""The site shell's pages: home, health check and the signed-in member's own page.

The registry's pages (organisation, units, body) live in asamblea.registry.views.

Every page works without JavaScript and stays small (a test holds each under 50 KB compressed).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from asamblea.registry.models import (
    Alternate,
    Body,
    Mandate,
    Member,
    Membership,
    Organisation,
    RollEntry,
)
from asamblea.registry.queries import latest_roll_size


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: a signed-in member's choice is stored on them (their mail follows
    it too); everyone's is kept in the language cookie (Django's set_language)."""
    from django.views.i18n import set_language as django_set_language

    from asamblea.core.errors import ActionError
    from asamblea.registry.actions import check_set_member_language
    from asamblea.registry.models import Member

    if request.user.is_authenticated and Member.objects.filter(user=request.user).exists():
        # An unknown language is refused here and ignored by Django's view below too.
        with contextlib.suppress(ActionError):
            check_set_member_language(request.user, request.POST.get("language", ""))
    return django_set_language(request)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    organisations = list(Organisation.objects.order_by("name"))
    bodies: dict[int, int] = defaultdict(int)
    members: dict[int, int] = defaultdict(int)
    # Members as on the latest frozen rolls: one row per body, not a count over every membership.
    for org_id, kind, size in (
        Body.objects.filter(dissolved_at__isnull=True)
        .annotate(roll_size=latest_roll_size())
        .values_list("organisation_id", "kind", "roll_size")
    ):
        bodies[org_id] += 1
        if kind in Body.BASE_UNIT_KINDS:
            members[org_id] += size or 0
    rows = [(org, bodies[org.pk], members[org.pk]) for org in organisations]
    return render(request, "web/home.html", {"rows": rows})


def me(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth.views import redirect_to_login

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("web:login"))
    # Only the signed-in member's own data: looked up by the session's user, never by a parameter.
    member = Member.objects.select_related("organisation").filter(user=request.user).first()
    if member is None:
        return render(request, "web/me.html", {"member": None})
    memberships = list(
        Membership.objects.filter(member=member)
        .select_related("unit")
        .order_by("-joined_on", "-pk")
    )
    mandates = list(
        Mandate.objects.filter(member=member)
        .select_related("seat__body", "seat__unit")
        .order_by("-started_at")
    )
    alternates = list(
        Alternate.objects.filter(member=member, used_at__isnull=True)
        .select_related("body", "unit")
        .order_by("body__name", "position")
    )
    current = next((m for m in memberships if m.left_on is None), None)
    return render(
        request,
        "web/me.html",
        {
            "member": member,
            "org": member.organisation,
            "current": current,
            "memberships": memberships,
            "mandates": mandates,
            "alternates": alternates,
            "votes": _my_votes(member),
            "reported": request.GET.get("reported") == "1",
        },
    )


def _my_votes(member: Member) -> list[tuple[Any, bool]]:
    """Each vote on a roll the member is on, and whether a ballot was recorded for them.

    From the participation rows only: whether, never what. Two queries, whatever the count.
    """
    from asamblea.elections.models import Election, Participation

    entries = dict(RollEntry.objects.filter(member=member).values_list("roll_id", "pk"))
    if not entries:
        return []
    elections = list(
        Election.objects.filter(roll_id__in=entries, opened_at__isnull=False).order_by(
            "-opened_at"
        )[:100]
    )
    voted = set(
        Participation.objects.filter(
            election__in=elections, roll_entry_id__in=entries.values()
        ).values_list("election_id", flat=True)
    )
    return [(e, e.pk in voted) for e in elections]


@require_POST
def report_misuse(request: HttpRequest, election_id: int) -> HttpResponse:
    """A member reports a ballot recorded for them that they did not cast (an audit entry)."""
    from django.contrib.auth.views import redirect_to_login

    from asamblea.core.errors import ActionError
    from asamblea.elections import actions

    if not request.user.is_authenticated:
        return redirect_to_login(reverse("web:me"), reverse("web:login"))
    try:
        actions.reports.check_report_misuse(
            request.user, election_id, note=request.POST.get("note", "")
        )
    except ActionError as exc:
        return HttpResponse(
            exc.detail,
            status=404 if exc.code == "not_found" else 400,
            content_type="text/plain; charset=utf-8",
        )
    return redirect(reverse("web:me") + "?reported=1")
