"""Pages of standing boards of trustees: public boards, a trustee's own steps, proposing a board.

Server-rendered and complete without JavaScript. The steps themselves run on the trustee's own
computer: with ``asamblea trustee`` (the page shows the exact commands) or, once it is written,
in the browser (the page's non-executing JSON block tells that script which board and URLs).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Role, has_role, is_active_user
from asamblea.crypto.group import point_from_text
from asamblea.record.entries.trustees import board_key_fingerprint, group_fingerprint
from asamblea.registry.models import Body, Member, Organisation
from asamblea.trustees import queries
from asamblea.trustees.access import access_board
from asamblea.trustees.actions.boards import (
    DEFAULT_DEADLINE_HOURS,
    DEFAULT_K,
    DEFAULT_N,
    check_propose_board,
)
from asamblea.trustees.models import Trustee, TrusteeBoard

BROWSER_SCRIPT = "trustees/trustee.js"


def board_list(request: HttpRequest) -> HttpResponse:
    boards = list(
        TrusteeBoard.objects.exclude(state=TrusteeBoard.State.RETIRED)
        .select_related("organisation", "unit")
        .order_by("organisation__name", "-created_at")[:200]
    )
    mine = queries.trusteeships(request.user) if is_active_user(request.user) else []
    return render(request, "trustees/boards.html", {"boards": boards, "mine": mine})


def _fingerprint(board: TrusteeBoard) -> str:
    if not board.public_key:
        return ""
    return group_fingerprint(board_key_fingerprint(board.uid, point_from_text(board.public_key)))


def board_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        board = access_board(pk)
    except NotFoundOrForbidden:
        raise Http404(_("No such board.")) from None
    trustees = [
        (t, group_fingerprint(t.fingerprint) if t.fingerprint else "")
        for t in board.trustees.order_by("index")
    ]
    requests = list(board.decryption_requests.order_by("-pk")[:20])
    context = {
        "board": board,
        "trustees": trustees,
        "meaning": queries.explain(board.k, board.n, board.deadline_hours),
        "fingerprint": _fingerprint(board),
        "requests": requests,
    }
    return render(request, "trustees/board.html", context)


def _browser_params(request: HttpRequest, trustee: Trustee) -> dict[str, Any]:
    return {
        "board": trustee.board_id,
        "index": trustee.index,
        "api": request.build_absolute_uri("/api/trustees/"),
        "steps": queries.pending_steps(trustee),
    }


def my_steps(request: HttpRequest) -> HttpResponse:
    if not is_active_user(request.user):
        return redirect_to_login(request.get_full_path())
    rows = []
    for trustee in queries.trusteeships(request.user):
        rows.append(
            {
                "trustee": trustee,
                "board": trustee.board,
                "steps": queries.pending_steps(trustee),
                "requests": queries.pending_requests(trustee),
                "mixes": queries.pending_mixes(trustee),
                "share": f"trustee-{trustee.board_id}-{trustee.index}.json",
                "successor": queries.successor_in_keygen(trustee.board),
                "params": _browser_params(request, trustee),
                "params_id": f"trustee-params-{trustee.board_id}",
            }
        )
    context = {
        "rows": rows,
        "server": request.build_absolute_uri("/").rstrip("/"),
        "browser_script": BROWSER_SCRIPT if finders.find(BROWSER_SCRIPT) else None,
    }
    return render(request, "trustees/me.html", context)


def _registrar_orgs(user: Any) -> list[Organisation]:
    return [o for o in Organisation.objects.order_by("name") if has_role(user, o, Role.REGISTRAR)]


def _int(value: str | None, default: int, field: str) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        raise ActionError(_("Write a whole number."), field=field) from None


def propose(request: HttpRequest) -> HttpResponse:
    """A registrar sets k, n and the trustees; the page says what k and n mean, then proposes."""
    if not is_active_user(request.user):
        return redirect_to_login(request.get_full_path())
    orgs = _registrar_orgs(request.user)
    if not orgs:
        return render(request, "trustees/propose.html", {"forbidden": True}, status=403)
    data = request.POST if request.method == "POST" else request.GET
    form = {
        "organisation": data.get("organisation") or orgs[0].slug,
        "unit": data.get("unit", ""),
        "k": data.get("k", str(DEFAULT_K)),
        "n": data.get("n", str(DEFAULT_N)),
        "trustees": data.get("trustees", ""),
        "public_names": data.get("public_names", "on" if request.method == "GET" else ""),
        "deadline_hours": data.get("deadline_hours", str(DEFAULT_DEADLINE_HOURS)),
        "replaces": data.get("replaces", ""),
    }
    ready = list(
        TrusteeBoard.objects.filter(organisation__in=orgs, state=TrusteeBoard.State.READY)
        .select_related("organisation", "unit")
        .order_by("organisation__name", "pk")
    )
    context: dict[str, Any] = {
        "orgs": orgs,
        "form": form,
        "ready": ready,
        "error": "",
        "field": "",
    }
    try:
        k = _int(form["k"], DEFAULT_K, "k")
        n = _int(form["n"], DEFAULT_N, "n")
        hours = _int(form["deadline_hours"], DEFAULT_DEADLINE_HOURS, "deadline_hours")
        context["meaning"] = queries.explain(k, n, hours)
        if request.method == "POST" and "propose" in request.POST:
            replaces = next((b for b in ready if str(b.pk) == form["replaces"]), None)
            if form["replaces"] and replaces is None:
                raise ActionError(_("Choose a ready board to replace."), field="replaces")
            approval = _propose(request, orgs, form, k, n, hours, replaces)
            context["approval"] = approval
            context["approval_url"] = reverse("web:approval", args=[approval.pk])
    except ActionError as exc:
        context["error"], context["field"] = exc.detail, exc.field or ""
        status = 403 if exc.code == "forbidden" else 400
        return render(request, "trustees/propose.html", context, status=status)
    return render(request, "trustees/propose.html", context)


def _propose(
    request: HttpRequest,
    orgs: list[Organisation],
    form: dict[str, str],
    k: int,
    n: int,
    hours: int,
    replaces: TrusteeBoard | None,
) -> Any:
    org = next((o for o in orgs if o.slug == form["organisation"]), None)
    if org is None:
        raise ActionError(_("Choose one of your organisations."), field="organisation")
    unit = None
    if form["unit"].strip():
        unit = Body.objects.filter(organisation=org, code=form["unit"].strip()).first()
        if unit is None:
            raise ActionError(_("No unit with this code."), field="unit")
    users = []
    refs = [r.strip() for r in form["trustees"].splitlines() if r.strip()]
    for line, ref in enumerate(refs, start=1):
        member = Member.objects.filter(organisation=org, public_id=ref, user__isnull=False).first()
        if member is None:
            raise ActionError(
                _("Line %(line)d: no member with a sign-in has the number %(ref)s.")
                % {"line": line, "ref": ref},
                field="trustees",
            )
        users.append(member.user)
    return check_propose_board(
        request.user,
        org,
        unit=unit,
        k=k,
        n=n,
        trustees=users,
        public_names=bool(form["public_names"]),
        deadline_hours=hours,
        replaces=replaces,
    )
