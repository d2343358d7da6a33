"""Elections: create, nominate, move through the lifecycle with the next step's blocking issues
in words, voting cards through an approval, certify through an approval."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from asamblea.console.access import access_console_organisation
from asamblea.console.cards import cards_pdf
from asamblea.console.forms import ElectionForm, NominateForm
from asamblea.console.templatetags.console_tags import zone_name, zone_of
from asamblea.console.views._base import acted, refused, signed_in
from asamblea.console.views.registers import _form_errors
from asamblea.core import approvals
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.models import Approval
from asamblea.core.permissions import Forbidden, Role, has_role
from asamblea.elections import actions, queries
from asamblea.elections.actions.candidates import WITHDRAWABLE, check_withdraw_candidate
from asamblea.elections.actions.credentials import REISSUE
from asamblea.elections.models import Election
from asamblea.jobs.models import Job
from asamblea.jobs.queries import for_subject, job_rows
from asamblea.jobs.runner import queue_backend
from asamblea.registry.models import Body, Member

STEPS = {
    "open-nominations": actions.check_open_nominations,
    "open": actions.check_open_election,
    "close": actions.check_close_election,
    "count": actions.check_count_election,
    "certify": actions.check_certify_election,
}
# The step that leads to each state (the button offered for the next state).
STEP_TO = {
    "nominations": "open-nominations",
    "open": "open",
    "closed": "close",
    "counted": "count",
    "certified": "certify",
}


def _choices(org_id: int) -> tuple[list[Body], list[Body]]:
    bodies = list(
        Body.objects.filter(organisation_id=org_id, dissolved_at__isnull=True).order_by("code")
    )
    return [b for b in bodies if b.is_base_unit], [b for b in bodies if not b.is_base_unit]


@signed_in
def election_list(request: HttpRequest, slug: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    if not offices.holds(Role.ELECTION_OFFICER):
        raise Forbidden(_("only an election officer may do this"))
    org = offices.organisation
    units, bodies = _choices(org.pk)
    rows = (
        Election.objects.filter(organisation=org)
        .exclude(kind=Election.Kind.INSTRUCTION)
        .select_related("unit", "body")
        .order_by("-created_at")[:100]
    )
    ids = offices.body_ids(Role.ELECTION_OFFICER)
    mine = [e for e in rows if ids is None or e.unit_id in ids or e.body_id in ids]
    return render(
        request,
        "console/elections.html",
        {
            "org": org,
            "elections": mine,
            "form": ElectionForm(units=units, bodies=bodies),
            "zone": zone_name(org),
        },
    )


@require_POST
@signed_in
def election_create(request: HttpRequest, slug: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    org = offices.organisation
    units, bodies = _choices(org.pk)
    form = ElectionForm(request.POST, units=units, bodies=bodies)
    back = reverse("console:elections", args=[slug])
    # Times typed in are the organisation's local times; they are stored in UTC.
    with timezone.override(zone_of(org)):
        valid = form.is_valid()
    if not valid:
        _form_errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    by_code = {b.code: b for b in units + bodies}
    created: list[Election] = []

    def create() -> None:
        created.append(
            actions.check_create_election(
                request.user,
                organisation=org,
                unit=by_code[data["unit"]],
                body=by_code[data["body"]],
                title=data["title"],
                seats=data["seats"],
                method=data["method"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
            )
        )

    response = acted(request, create, back, _("Election created."))
    if created:
        return redirect("console:election", election_id=created[0].pk)
    return response


def _election(request: HttpRequest, election_id: int) -> Election:
    election = actions.access_election_by_id(election_id)
    if election.kind == Election.Kind.INSTRUCTION:
        raise NotFoundOrForbidden("election")
    return election


def _officer(request: HttpRequest, election: Election) -> bool:
    scopes = (None, election.unit, election.body)
    return any(
        has_role(request.user, election.organisation, Role.ELECTION_OFFICER, b) for b in scopes
    )


def _trustees_url() -> str:
    """The trustees' pages (helper A's app), when they are mounted."""
    for name in ("trustees:index", "trustees:list", "trustees:boards"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


@signed_in
def election(request: HttpRequest, election_id: int) -> HttpResponse:
    e = _election(request, election_id)
    if not _officer(request, e):
        return refused(request, 403, _("only an election officer may do this"))
    detail = queries.election_detail(e)
    step_to = queries.next_state(e)
    cards = [
        a
        for a in approvals.pending_for(request.user, e.organisation_id)
        if a.kind == REISSUE and a.target_id == str(e.pk)
    ]
    ready_cards = Approval.objects.filter(
        kind=REISSUE,
        target_id=str(e.pk),
        proposer_id=request.user.pk,
        state=Approval.State.APPROVED,
        result_until__isnull=False,
    ).order_by("-approved_at")
    # The election's close and count jobs (elections.actions.tally_jobs) and their progress.
    jobs = for_subject(f"election:{e.pk}:")
    return render(
        request,
        "console/election.html",
        {
            "e": e,
            "job_rows": job_rows(jobs),
            "jobs_running": any(j.state in (Job.State.QUEUED, Job.State.RUNNING) for j in jobs),
            "org": e.organisation,
            "detail": detail,
            "next_state": step_to,
            "step": STEP_TO.get(step_to) if step_to != e.state else None,
            "candidates": queries.standing_candidates(e),
            "may_withdraw": e.state in WITHDRAWABLE,
            "nominate": NominateForm(),
            "pending_cards": cards,
            "ready_cards": list(ready_cards),
            "trustees_url": _trustees_url(),
            "no_email": (
                e.roll.entries.filter(member__email="").count()
                if e.roll_id and e.state == Election.State.OPEN
                else None
            ),
        },
    )


@require_POST
@signed_in
def nominate(request: HttpRequest, election_id: int) -> HttpResponse:
    e = _election(request, election_id)
    back = reverse("console:election", args=[e.pk])
    form = NominateForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    member = Member.objects.filter(
        organisation=e.organisation, member_ref=form.cleaned_data["member_ref"]
    ).first()
    # A number that names no member goes to the action as an unknown id: the same refusal.
    public_id = member.public_id if member else "-"
    return acted(
        request,
        lambda: actions.check_nominate(request.user, e.pk, public_id),
        back,
        _("Candidate nominated."),
    )


@require_POST
@signed_in
def withdraw(request: HttpRequest, election_id: int, key: str) -> HttpResponse:
    e = _election(request, election_id)
    back = reverse("console:election", args=[e.pk])
    return acted(
        request,
        lambda: check_withdraw_candidate(request.user, e, key),
        back,
        _("Candidate withdrawn."),
    )


@require_POST
@signed_in
def step(request: HttpRequest, election_id: int, name: str) -> HttpResponse:
    e = _election(request, election_id)
    if name not in STEPS:
        raise NotFoundOrForbidden("step")
    back = reverse("console:election", args=[e.pk])
    done = {
        "open-nominations": _("Nominations are open."),
        # Codes of members with no e-mail are not shown here: they get printed cards through
        # an approval (a second officer), as any reissue.
        "open": _("The vote is open; codes were sent by e-mail."),
        "close": _("The vote is closed.")
        if not queue_backend()
        else _(
            "The vote is closed; its ballots are being published and added up (progress below)."
        ),
        "count": _("Counted.")
        if not queue_backend()
        else _("The count is running (progress below)."),
        "certify": _("Certification proposed: a second election officer approves it."),
    }[name]
    return acted(request, lambda: STEPS[name](request.user, e), back, done)


@require_POST
@signed_in
def cards_propose(request: HttpRequest, election_id: int) -> HttpResponse:
    e = _election(request, election_id)
    back = reverse("console:election", args=[e.pk])
    return acted(
        request,
        lambda: actions.check_reissue_credentials(request.user, e),
        back,
        _("Cards proposed: a second election officer approves them on the approvals page."),
    )


@never_cache
@require_POST
@signed_in
def cards_take(request: HttpRequest, election_id: int, approval_id: int) -> HttpResponse:
    """The proposer fetches the approved cards' codes once, as a PDF made in memory."""
    e = _election(request, election_id)
    if not Approval.objects.filter(pk=approval_id, kind=REISSUE, target_id=str(e.pk)).exists():
        raise NotFoundOrForbidden("approval")
    try:
        result = approvals.check_take_result(request.user, approval_id, kind=REISSUE)
    except (NotFoundOrForbidden, Forbidden):
        raise
    except ActionError as exc:
        messages.error(request, exc.detail)
        return redirect("console:election", election_id=e.pk)
    codes = {int(pk): code for pk, code in result["cards"].items()}
    response = HttpResponse(cards_pdf(e, codes), content_type="application/pdf")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M")
    response["Content-Disposition"] = f'attachment; filename="cards-{e.pk}-{stamp}.pdf"'
    return response
