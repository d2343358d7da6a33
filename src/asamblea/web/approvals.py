"""Officers' pages for two-person steps: the proposals they made or may approve, and approving
one with a TOTP code typed on the page (a fresh second factor, whatever the session already
holds). The same checks as the API and the command line (:mod:`asamblea.core.approvals`)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

# Each app declares its kinds of approval when its actions are imported.
import asamblea.elections.actions  # noqa: F401
import asamblea.recordstore.actions  # noqa: F401
import asamblea.registry.actions  # noqa: F401
from asamblea.core import approvals
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden, is_active_user


def approval_list(request: HttpRequest) -> HttpResponse:
    if not is_active_user(request.user):
        return redirect_to_login(request.get_full_path())
    from asamblea.registry.models import Organisation

    pending = list(approvals.pending_for(request.user))
    # Times in each approval's organisation's zone (one query for all of them).
    orgs = Organisation.objects.in_bulk({a.organisation_id for a in pending})
    rows = [
        (a, approvals.describe(a), a.proposer_id == request.user.pk, orgs.get(a.organisation_id))
        for a in pending
    ]
    return render(request, "web/approvals.html", {"rows": rows})


def approval_detail(request: HttpRequest, approval_id: int) -> HttpResponse:
    if not is_active_user(request.user):
        return redirect_to_login(request.get_full_path())
    return _detail(request, approval_id)


def _detail(
    request: HttpRequest, approval_id: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    try:
        approval = approvals.access_approval(request.user, approval_id)
    except NotFoundOrForbidden:
        return render(request, "web/approval.html", {"missing": True}, status=404)
    from asamblea.registry.models import Organisation

    context = {
        "org": Organisation.objects.filter(pk=approval.organisation_id).first(),
        "approval": approval,
        "description": approvals.describe(approval),
        "is_mine": approval.proposer_id == request.user.pk,
        "error": error,
    }
    return render(request, "web/approval.html", context, status=status)


@require_POST
def approve(request: HttpRequest, approval_id: int) -> HttpResponse:
    if not is_active_user(request.user):
        return redirect_to_login(request.get_full_path())
    try:
        approvals.check_approve(request.user, approval_id, fresh_code=request.POST.get("code", ""))
    except NotFoundOrForbidden:
        return _detail(request, approval_id)
    except Forbidden as exc:
        return _detail(request, approval_id, error=exc.detail, status=403)
    except ActionError as exc:
        return _detail(request, approval_id, error=exc.detail, status=409)
    return redirect("web:approval", approval_id=approval_id)


@require_POST
def withdraw(request: HttpRequest, approval_id: int) -> HttpResponse:
    if not is_active_user(request.user):
        return redirect_to_login(request.get_full_path())
    try:
        approvals.check_withdraw(request.user, approval_id)
    except NotFoundOrForbidden:
        return _detail(request, approval_id)
    except ActionError as exc:
        return _detail(request, approval_id, error=exc.detail, status=403)
    return redirect("web:approval", approval_id=approval_id)


urlpatterns = [
    path("", approval_list, name="approvals"),
    path("<int:approval_id>/", approval_detail, name="approval"),
    path("<int:approval_id>/approve", approve, name="approval_approve"),
    path("<int:approval_id>/withdraw", withdraw, name="approval_withdraw"),
]
