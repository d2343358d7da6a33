"""Registers: member files (upload, preview, apply), a unit's register (add, edit, transfer, end
memberships), freezing a roll, and a body's apportionment (preview with the rule and the lot's
draws, then apply). Each form calls the registry's own ``check_*``."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from asamblea.console import importing
from asamblea.console.access import Offices, access_console_organisation
from asamblea.console.forms import (
    EditMemberForm,
    EndMembershipForm,
    FreezeForm,
    MemberForm,
    SeedForm,
    TransferForm,
    UploadForm,
)
from asamblea.console.models import ImportJob
from asamblea.console.views._base import acted, signed_in
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden, Role, require_role
from asamblea.registry import actions as registry
from asamblea.registry.access import REGISTER_ROLES, access_unit_register_by_officer
from asamblea.registry.models import Body, Member, Membership
from asamblea.registry.queries import current_apportionment, latest_roll, open_membership

PAGE = 100


def _form_errors(request: HttpRequest, form: object) -> None:
    for name, errors in form.errors.items():  # type: ignore[attr-defined]
        for error in errors:
            messages.error(request, f"{name}: {error}" if name != "__all__" else error)


def _registrar(offices: Offices) -> None:
    if not offices.holds(Role.REGISTRAR):
        raise Forbidden(_("only a registrar may do this"))


@signed_in
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    org = offices.organisation
    readers = {b.pk: b for role in REGISTER_ROLES for b in offices.bodies(role)}
    units = sorted((b for b in readers.values() if b.is_base_unit), key=lambda b: b.code)
    senders = sorted(
        (b for b in offices.bodies(Role.REGISTRAR) if not b.is_base_unit), key=lambda b: b.code
    )
    jobs = [
        job
        for job in ImportJob.objects.filter(organisation=org).order_by("-created_at")[:10]
        if may_see_job(offices, job, request.user)
    ]
    rolls = {u.pk: latest_roll(u) for u in units}
    return render(
        request,
        "console/organisation.html",
        {
            "org": org,
            "offices": offices,
            "units": [(u, rolls[u.pk]) for u in units],
            "bodies": senders,
            "jobs": jobs,
            "upload": UploadForm(),
            "is_registrar": offices.holds(Role.REGISTRAR),
        },
    )


@require_POST
@signed_in
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    _registrar(offices)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("console:organisation", slug=slug)
    upload = form.cleaned_data["file"]
    job = importing.upload(request.user, offices.organisation, upload.name, upload.read())
    return redirect("console:import", job_id=job.pk)


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("organisation").filter(pk=job_id).first()
    if job is None:
        raise NotFoundOrForbidden("import")
    offices = access_console_organisation(request.user, job.organisation.slug)
    if not may_see_job(offices, job, request.user):
        raise NotFoundOrForbidden("import")
    return job


def may_see_job(offices: Offices, job: ImportJob, user: object) -> bool:
    """A file's rows (and its errors, which quote them) are for the registrar who uploaded it
    and the organisation's registrars, not a registrar of one unit who did not."""
    if not offices.holds(Role.REGISTRAR):
        return False
    return offices.everywhere(Role.REGISTRAR) or job.uploaded_by_id == getattr(user, "pk", None)


@signed_in
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(
        request,
        "console/import.html",
        {"job": job, "org": job.organisation, "refresh": job.state == ImportJob.State.APPLYING},
    )


@require_POST
@signed_in
def import_apply(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        importing.start_apply(request.user, job)
    except (NotFoundOrForbidden, Forbidden):
        raise
    except ActionError as exc:
        messages.error(request, exc.detail)
    job.refresh_from_db()
    # The outcome is on the job's page; a message says only that it is still running.
    if job.state == ImportJob.State.APPLYING:
        messages.info(request, _("Import started."))
    return redirect("console:import", job_id=job.pk)


@require_POST
@signed_in
def import_discard(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    importing.discard(job)
    return redirect("console:organisation", slug=job.organisation.slug)


@signed_in
def unit(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    org = offices.organisation
    body = access_unit_register_by_officer(request.user, org, code)
    rows = (
        Membership.objects.filter(unit=body, left_on__isnull=True)
        .select_related("member")
        .order_by("member__display_name", "member__pk")
    )
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/unit.html",
        {
            "org": org,
            "unit": body,
            "page": page,
            "roll": latest_roll(body),
            "add": MemberForm(),
            "freeze": FreezeForm(),
            "is_registrar": offices.holds(Role.REGISTRAR),
        },
    )


@require_POST
@signed_in
def member_add(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    back = reverse("console:unit", args=[slug, code])
    form = MemberForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    return acted(
        request,
        lambda: registry.check_add_member(
            request.user, offices.organisation, unit_code=code, **data
        ),
        back,
        _("Member added."),
    )


@require_POST
@signed_in
def freeze(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    body = Body.objects.filter(organisation=offices.organisation, code=code).first()
    if body is None:
        raise NotFoundOrForbidden("unit")
    form = FreezeForm(request.POST)
    purpose = form.cleaned_data["purpose"] if form.is_valid() else ""
    back = reverse("console:unit", args=[slug, code])
    return acted(
        request,
        lambda: registry.check_freeze_roll(request.user, body, purpose=purpose),
        back,
        _("Roll frozen."),
    )


def _member(request: HttpRequest, slug: str, public_id: str) -> tuple[Offices, Member]:
    offices = access_console_organisation(request.user, slug)
    member = Member.objects.filter(organisation=offices.organisation, public_id=public_id).first()
    if member is None:
        raise NotFoundOrForbidden("member")
    current = open_membership(member)
    require_role(
        request.user,
        offices.organisation,
        REGISTER_ROLES,
        current.unit if current else None,
        hidden="member",
    )
    return offices, member


@signed_in
def member(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    offices, person = _member(request, slug, public_id)
    current = open_membership(person)
    return render(
        request,
        "console/member.html",
        {
            "org": offices.organisation,
            "member": person,
            "current": current,
            "history": person.memberships.select_related("unit").order_by("-joined_on"),
            "edit": EditMemberForm(
                initial={
                    "display_name": person.display_name,
                    "phone": person.phone,
                    "email": person.email,
                }
            ),
            "transfer": TransferForm(),
            "end": EndMembershipForm(),
            "is_registrar": offices.holds(Role.REGISTRAR),
        },
    )


def _member_step(request: HttpRequest, slug: str, public_id: str, form_class, run, done):  # type: ignore[no-untyped-def]
    offices = access_console_organisation(request.user, slug)
    person = Member.objects.filter(organisation=offices.organisation, public_id=public_id).first()
    if person is None:
        raise NotFoundOrForbidden("member")
    back = reverse("console:member", args=[slug, public_id])
    form = form_class(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    return acted(request, lambda: run(offices, person, form.cleaned_data), back, done)


@require_POST
@signed_in
def member_edit(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    return _member_step(
        request,
        slug,
        public_id,
        EditMemberForm,
        lambda o, m, d: registry.check_update_member(request.user, m, **d),
        _("Member updated."),
    )


def _transfer(request: HttpRequest, offices: Offices, person: Member, data: dict) -> object:  # type: ignore[type-arg]
    to_unit = Body.objects.filter(organisation=offices.organisation, code=data["to_unit"]).first()
    if to_unit is None:
        raise ActionError(_("no unit with that code"), field="to_unit")
    return registry.check_transfer(request.user, person, to_unit, on=data["on"])


@require_POST
@signed_in
def member_transfer(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    return _member_step(
        request,
        slug,
        public_id,
        TransferForm,
        lambda o, m, d: _transfer(request, o, m, d),
        _("Member transferred."),
    )


@require_POST
@signed_in
def member_end(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    return _member_step(
        request,
        slug,
        public_id,
        EndMembershipForm,
        lambda o, m, d: registry.check_leave(
            request.user, m, left_on=d["left_on"], reason=d["reason"]
        ),
        _("Membership ended."),
    )


def _body(offices: Offices, code: str) -> Body:
    body = Body.objects.filter(organisation=offices.organisation, code=code).first()
    if body is None or body.is_base_unit:
        raise NotFoundOrForbidden("body")
    return body


@signed_in
def seats(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    body = _body(offices, code)
    form = SeedForm(request.GET or None)
    seed = form.cleaned_data["seed"] if form.is_valid() and form.cleaned_data["seed"] else None
    computed, error = None, ""
    try:
        computed = registry.compute_apportionment(body, seed=seed)
    except ActionError as exc:
        error = exc.detail
    return render(
        request,
        "console/seats.html",
        {
            "org": offices.organisation,
            "body": body,
            "computed": computed,
            "seed": seed or "",
            "error": error,
            "current": current_apportionment(body),
            "form": form if request.GET else SeedForm(),
            "is_registrar": offices.holds(Role.REGISTRAR),
        },
    )


@require_POST
@signed_in
def apportion(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    offices = access_console_organisation(request.user, slug)
    body = _body(offices, code)
    form = SeedForm(request.POST)
    seed = form.cleaned_data["seed"] if form.is_valid() and form.cleaned_data["seed"] else None
    back = reverse("console:seats", args=[slug, code])
    return acted(
        request,
        lambda: registry.check_apportion(request.user, body, seed=seed),
        back,
        _("Seats apportioned."),
    )
