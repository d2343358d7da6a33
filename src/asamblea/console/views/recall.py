"""Recall: officers check a petition's signatures (and enter signatures gathered on paper);
two tellers enter a general meeting's result independently, and see where their counts differ."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from asamblea.console.access import access_console_organisation
from asamblea.console.forms import SignatureForm, TellerForm
from asamblea.console.views._base import acted, refused, signed_in
from asamblea.console.views.registers import _form_errors
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden, Role, has_role
from asamblea.elections import actions, queries
from asamblea.elections.models import RecallPetition
from asamblea.registry.models import Member

UNDER_WAY = (RecallPetition.State.OPEN, RecallPetition.State.VOTING, RecallPetition.State.MEETING)
FIGURES = ("present", "yes", "no", "abstain")
OFFICES = (Role.ELECTION_OFFICER, Role.REGISTRAR, Role.TELLER)


@signed_in
def recall_list(request: HttpRequest, slug: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    if not any(offices.holds(r) for r in OFFICES):
        return refused(request, 403, _("only an election officer, registrar or teller may do this"))
    rows = (
        RecallPetition.objects.filter(organisation=offices.organisation, state__in=UNDER_WAY)
        .select_related("unit", "mandate__member", "mandate__seat__body")
        .order_by("-opened_at")
    )
    return render(
        request, "console/recalls.html", {"org": offices.organisation, "petitions": list(rows)}
    )


def _petition(request: HttpRequest, petition_id: int) -> RecallPetition:
    petition = actions.access_petition_by_id(petition_id)
    if not has_role(request.user, petition.organisation, OFFICES, petition.unit):
        raise NotFoundOrForbidden("recall petition")
    return petition


@signed_in
def recall(request: HttpRequest, petition_id: int) -> HttpResponse:
    petition = _petition(request, petition_id)
    try:
        signatures = actions.access_signatures_by_user(request.user, petition)
    except NotFoundOrForbidden:
        signatures = None
    is_teller = has_role(request.user, petition.organisation, Role.TELLER, petition.unit)
    entries = list(petition.teller_entries.all()) if is_teller else []
    mine = next((t for t in entries if t.teller_id == request.user.pk), None)
    return render(
        request,
        "console/recall.html",
        {
            "p": petition,
            "org": petition.organisation,
            "summary": queries.recall_summary(petition),
            "signatures": signatures,
            "sign": SignatureForm(),
            "is_teller": is_teller,
            "tellers": len(entries),
            "mine": mine,
            "teller": TellerForm(initial={f: getattr(mine, f) for f in FIGURES} if mine else None),
            "mismatch": request.session.pop(f"recall-mismatch-{petition.pk}", None),
        },
    )


@require_POST
@signed_in
def sign(request: HttpRequest, petition_id: int) -> HttpResponse:
    """An election officer enters a signature gathered on paper (the action checks the signer
    is on the petition's roll and has not signed)."""
    petition = _petition(request, petition_id)
    back = reverse("console:recall", args=[petition.pk])
    form = SignatureForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    member = Member.objects.filter(
        organisation=petition.organisation, member_ref=form.cleaned_data["member_ref"]
    ).first()
    if member is None:
        messages.error(request, _("member_ref: no member with that number"))
        return redirect(back)
    return acted(
        request,
        lambda: actions.check_sign(request.user, petition, member),
        back,
        _("Signature entered."),
    )


@require_POST
@signed_in
def teller(request: HttpRequest, petition_id: int) -> HttpResponse:
    """One teller's count; when the other teller's differs, the action refuses it whole and the
    page names the figures that differ (not the other teller's numbers: each counts alone)."""
    petition = _petition(request, petition_id)
    back = reverse("console:recall", args=[petition.pk])
    form = TellerForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    figures = form.cleaned_data
    try:
        actions.check_enter_teller_result(request.user, petition, **figures)
    except (NotFoundOrForbidden, Forbidden):
        raise
    except ActionError as exc:
        if exc.code == "conflict" and "differ" in exc.detail:
            others = petition.teller_entries.exclude(teller=request.user)
            differ = sorted(
                {f for t in others for f in FIGURES if getattr(t, f) != figures[f]},
                key=FIGURES.index,
            )
            request.session[f"recall-mismatch-{petition.pk}"] = differ
            messages.error(request, _("Your count and the other teller's differ."))
        else:
            where = f"{exc.field}: " if exc.field else ""
            messages.error(request, where + exc.detail)
        return redirect(back)
    messages.success(request, _("Your count is entered."))
    return redirect(back)
