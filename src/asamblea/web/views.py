"""The site shell's pages: home, health check and the signed-in member's own page.

The registry's pages (organisation, units, body) live in asamblea.registry.views.

Every page works without JavaScript and stays small (a test holds each under 50 KB compressed).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from asamblea.registry.models import Alternate, Body, Mandate, Organisation
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
    """The member's home: their unit and delegates, what they can do now, what they did."""
    from asamblea.web.member import home_context, signed_in_member

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("web:login"))
    # Only the signed-in member's own data: looked up by the session's user, never by a parameter.
    member = signed_in_member(request)
    if member is None:
        return render(request, "web/me.html", {"member": None})
    context = home_context(member)
    context["mandates"] = list(
        Mandate.objects.filter(member=member)
        .select_related("seat__body", "seat__unit")
        .order_by("-started_at")
    )
    context["alternates"] = list(
        Alternate.objects.filter(member=member, used_at__isnull=True)
        .select_related("body", "unit")
        .order_by("body__name", "position")
    )
    context["reported"] = request.GET.get("reported") == "1"
    return render(request, "web/me.html", context)


@require_POST
def report_misuse(request: HttpRequest, election_id: int) -> HttpResponse:
    """A member reports a ballot recorded for them that they did not cast (an audit entry)."""
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
