"""``/console/``: what this officer may do now, by organisation and body."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from asamblea.console import queries
from asamblea.console.views._base import refused, signed_in


@signed_in
def dashboard(request: HttpRequest) -> HttpResponse:
    boards = queries.dashboard(request.user)
    if not boards:
        return refused(request, 403, _("You hold no office in any organisation."))
    return render(request, "console/dashboard.html", {"boards": boards})
