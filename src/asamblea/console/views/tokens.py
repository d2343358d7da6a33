"""``/console/tokens/``: an officer or delegate creates and revokes their own API tokens, with a
scope, an expiry and a fresh code from their authenticator (the registry's own ``check_*``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from asamblea.console.forms import TokenForm
from asamblea.console.views._base import acted, signed_in_any
from asamblea.core.approvals import NO_FRESH_FACTOR, fresh_factor
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden
from asamblea.registry import actions as registry
from asamblea.registry.models import ApiToken


def _has_device(user: object) -> bool:
    from django_otp import devices_for_user

    return any(True for _d in devices_for_user(user, confirmed=True))


@never_cache
@signed_in_any
def tokens(request: HttpRequest) -> HttpResponse:
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")[:50]
    return render(
        request,
        "console/tokens.html",
        {
            "tokens": list(rows),
            "now": now(),
            "form": TokenForm(),
            "has_device": _has_device(request.user),
            # Shown once, right after creating it; never stored in the clear.
            "new_token": request.session.pop("console-new-token", None),
        },
    )


@require_POST
@signed_in_any
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[name].label}: {error}")
        return redirect("console:tokens")
    data = form.cleaned_data
    if not fresh_factor(request.user, data["code"]):
        raise Forbidden(NO_FRESH_FACTOR)
    try:
        token, _row = registry.check_create_api_token(
            request.user, request.user, label=data["label"], scope=data["scope"], days=data["days"]
        )
    except (NotFoundOrForbidden, Forbidden):
        raise
    except ActionError as exc:
        messages.error(request, exc.detail)
        return redirect("console:tokens")
    request.session["console-new-token"] = token
    return redirect("console:tokens")


@require_POST
@signed_in_any
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    row = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if row is None or row.user_id != request.user.pk:
        raise NotFoundOrForbidden("token")
    return acted(
        request,
        lambda: registry.check_revoke_api_token(request.user, row),
        "console:tokens",
        _("Token revoked."),
    )
