"""Members and memberships: the register (audit only, never on the public record).

Every action here is private: the register is the members' own business. The public record
knows a member only as a roll's size and commitment, or as the holder of a seat; a record entry
per join, move or departure would publish the register one line at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from asamblea.core import approvals
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.mail import member_language, queue_translated, translated
from asamblea.core.permissions import Role, require_role
from asamblea.registry.access import access_unit_by_registrar, access_unit_register_by_officer
from asamblea.registry.models import (
    Body,
    Member,
    Membership,
    Organisation,
)
from asamblea.registry.queries import (
    open_membership,
)

REGISTER_PRIVATE = "the register of members is private: members are on the record only as a roll's size and commitment"
EXPORT_PRIVATE = "reading the register changes no public state; audited with both officers"

# The notice to a member's old address, in the member's language (asamblea.core.mail).
CONTACT_CHANGED_SUBJECT = gettext_noop("Your contact details were changed")
CONTACT_CHANGED_BODY = gettext_noop(
    "Your %(fields)s on your membership record was changed on %(at)s UTC. If you did not ask "
    "for this, tell your organisation's registrars at once."
)
CONTACT_FIELDS = {"email": gettext_noop("e-mail address"), "phone": gettext_noop("phone number")}


def _require_base_unit(unit: Body, organisation: Organisation | None = None) -> None:
    if not unit.is_base_unit:
        raise ActionError(f"{unit.code} is not a base unit", field="unit_code")
    if unit.dissolved_at is not None:
        raise ActionError(f"{unit.code} is dissolved", field="unit_code")
    if organisation is not None and unit.organisation_id != organisation.pk:
        raise ActionError(f"{unit.code} is not a unit of this organisation", field="unit_code")


@door("registry.add_member", private=REGISTER_PRIVATE)
def do_add_member(
    ctx: ActionContext,
    organisation: Organisation,
    unit: Body,
    *,
    member_ref: str,
    display_name: str,
    joined_on: dt.date,
    phone: str = "",
    email: str = "",
) -> Member:
    _require_base_unit(unit, organisation)
    if Member.objects.filter(organisation=organisation, member_ref=member_ref).exists():
        raise ActionError(f"member_ref {member_ref!r} already exists", field="member_ref")
    member = Member.objects.create(
        organisation=organisation,
        member_ref=member_ref,
        display_name=display_name,
        phone=phone,
        email=email,
        created_at=now(),
    )
    Membership.objects.create(member=member, unit=unit, joined_on=joined_on)
    ctx.audit("member.add", member, unit=unit.code, joined_on=joined_on.isoformat())
    return member


@door("registry.update_member", private=REGISTER_PRIVATE)
def do_update_member(ctx: ActionContext, member: Member, **changes: Any) -> Member:
    allowed = {"display_name", "phone", "email", "user"}
    unknown = set(changes) - allowed
    if unknown:
        raise ActionError(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    old_email = member.email
    contact = sorted(
        k for k in ("email", "phone") if k in changes and changes[k] != getattr(member, k)
    )
    for key, value in changes.items():
        setattr(member, key, value)
    member.save(update_fields=list(changes))
    ctx.audit("member.update", member, fields=sorted(changes), contact_changed=contact)
    if contact and old_email:
        # The old address hears of it: someone who took over the account by changing the
        # address cannot also silence the notice.
        language = member_language(member)
        fields = ", ".join(translated(language, CONTACT_FIELDS[k]) for k in contact)
        queue_translated(
            old_email,
            language,
            CONTACT_CHANGED_SUBJECT,
            CONTACT_CHANGED_BODY,
            {"fields": fields, "at": f"{now():%Y-%m-%d %H:%M}"},
        )
    return member


@door("registry.join", private=REGISTER_PRIVATE)
def do_join(ctx: ActionContext, member: Member, unit: Body, *, joined_on: dt.date) -> Membership:
    _require_base_unit(unit, member.organisation)
    if open_membership(member) is not None:
        raise ActionError("the member already belongs to a unit; transfer instead", field="unit")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(member=member, unit=unit, joined_on=joined_on)
    except IntegrityError as exc:
        raise ActionError("the member already belongs to a unit", field="unit") from exc
    ctx.audit("member.join", member, unit=unit.code, joined_on=joined_on.isoformat())
    return membership


@door("registry.leave", private=REGISTER_PRIVATE)
def do_leave(
    ctx: ActionContext,
    member: Member,
    *,
    left_on: dt.date,
    reason: str = Membership.EndReason.LEFT,
) -> Membership:
    if reason not in Membership.EndReason.values or reason == Membership.EndReason.TRANSFERRED:
        raise ActionError(f"unknown reason {reason!r}", field="reason")
    membership = open_membership(member)
    if membership is None:
        raise ActionError("the member belongs to no unit", field="member")
    if left_on < membership.joined_on:
        raise ActionError("cannot leave before joining", field="left_on")
    membership.left_on = left_on
    membership.end_reason = reason
    membership.save(update_fields=["left_on", "end_reason"])
    ctx.audit("member.leave", member, unit=membership.unit.code, reason=reason)
    return membership


@door("registry.transfer", private=REGISTER_PRIVATE)
def do_transfer(ctx: ActionContext, member: Member, to_unit: Body, *, on: dt.date) -> Membership:
    """Close the open membership on ``on`` and open one in ``to_unit``; history keeps both."""
    _require_base_unit(to_unit, member.organisation)
    old = open_membership(member)
    if old is None:
        raise ActionError("the member belongs to no unit; join instead", field="member")
    if old.unit_id == to_unit.pk:
        raise ActionError("the member already belongs to that unit", field="unit")
    if on < old.joined_on:
        raise ActionError("cannot transfer before joining", field="on")
    _close_for_transfer(old, on)
    new = Membership.objects.create(member=member, unit=to_unit, joined_on=on)
    Membership.objects.filter(pk=old.pk).update(transferred_to=new)
    ctx.audit("member.transfer", member, from_unit=old.unit.code, to_unit=to_unit.code)
    return new


def _close_for_transfer(old: Membership, on: dt.date) -> None:
    Membership.objects.filter(pk=old.pk).update(
        left_on=on, end_reason=Membership.EndReason.TRANSFERRED
    )


@door("registry.export_members", private=EXPORT_PRIVATE)
def do_export_members(
    ctx: ActionContext, unit: Body, *, second_officer: Any
) -> list[dict[str, str]]:
    """The unit's current register, as rows of the import format.

    Exporting a register needs two distinct officers (SYSTEM.md): run on approval, as the
    approver, with the proposer as ``second_officer``; both could read the register; the act is
    logged with both names.
    """
    # The invariant, whoever calls: two people, neither of them the system.
    if ctx.user is None or second_officer is None or second_officer.pk == ctx.user.pk:
        raise ActionError("exporting a register needs a second, different officer", field="officer")
    rows = [
        {
            "unit_code": unit.code,
            "member_ref": ref,
            "display_name": name,
            "phone": phone,
            "email": email,
            "joined_on": joined.isoformat(),
        }
        for ref, name, phone, email, joined in Membership.objects.filter(
            unit=unit, left_on__isnull=True
        )
        .order_by("member__member_ref")
        .values_list(
            "member__member_ref",
            "member__display_name",
            "member__phone",
            "member__email",
            "joined_on",
        )
    ]
    ctx.audit(
        "members.export",
        unit,
        unit=unit.code,
        rows=len(rows),
        second_officer=second_officer.get_username(),
    )
    return rows


def check_add_member(
    user: Any,
    organisation: Organisation,
    *,
    unit_code: str,
    member_ref: str,
    display_name: str,
    joined_on: dt.date,
    phone: str = "",
    email: str = "",
) -> Member:
    """A registrar of the organisation or of the unit adds a member to the unit."""
    unit = access_unit_by_registrar(user, organisation, unit_code)
    if email:
        try:
            validate_email(email)
        except ValidationError as err:
            raise ActionError("not a valid email address", field="email") from err
    return do_add_member(
        user,
        organisation,
        unit,
        member_ref=member_ref,
        display_name=display_name,
        joined_on=joined_on,
        phone=phone,
        email=email,
    )


def _require_registrar_of_member(user: Any, member: Member) -> None:
    current = open_membership(member)
    require_role(user, member.organisation, Role.REGISTRAR, current.unit if current else None)


def check_update_member(user: Any, member: Member, **changes: Any) -> Member:
    """A registrar of the organisation or of the member's unit edits names and contacts."""
    _require_registrar_of_member(user, member)
    return do_update_member(user, member, **changes)


def check_join(user: Any, member: Member, unit: Body, *, joined_on: dt.date) -> Membership:
    require_role(user, member.organisation, Role.REGISTRAR, unit)
    return do_join(user, member, unit, joined_on=joined_on)


def check_leave(
    user: Any, member: Member, *, left_on: dt.date, reason: str = Membership.EndReason.LEFT
) -> Membership:
    _require_registrar_of_member(user, member)
    return do_leave(user, member, left_on=left_on, reason=reason)


def check_transfer(user: Any, member: Member, to_unit: Body, *, on: dt.date) -> Membership:
    """A transfer needs a registrar of both units (or of the whole organisation)."""
    _require_registrar_of_member(user, member)
    require_role(user, member.organisation, Role.REGISTRAR, to_unit)
    return do_transfer(user, member, to_unit, on=on)


EXPORT = "registry.export_members"
NEEDS_APPROVAL = (
    "exporting a register needs a second officer's approval in their own session: propose it "
    "(`asamblea approval export-members`, or POST /api/organisations/ID/units/CODE/export)"
)


def check_export_members(
    user: Any, second_officer: Any, organisation: Organisation, unit_code: str
) -> tuple[Body, list[dict[str, str]]]:
    """Gone: a second officer's credentials in the same invocation are not a second person.
    Refuses, pointing to :func:`check_propose_export_members`."""
    access_unit_register_by_officer(user, organisation, unit_code)
    raise ActionError(NEEDS_APPROVAL, field="officer")


def check_propose_export_members(user: Any, organisation: Organisation, unit_code: str) -> Any:
    """An officer who may read the unit's register proposes exporting it; a different one
    approves; the proposer then fetches the rows once (``NotFoundOrForbidden`` for a missing
    unit and a refused officer alike)."""
    unit = access_unit_register_by_officer(user, organisation, unit_code)
    return approvals.do_propose(
        user,
        EXPORT,
        organisation_id=organisation.pk,
        body_id=unit.pk,
        target_id=unit.pk,
        params={"unit_code": unit.code},
    )


def _may_approve_export(user: Any, approval: Any) -> None:
    organisation = Organisation.objects.get(pk=approval.organisation_id)
    access_unit_register_by_officer(user, organisation, approval.params["unit_code"])


def _run_export(ctx: ActionContext, approval: Any) -> list[dict[str, str]]:
    unit = Body.objects.get(pk=int(approval.target_id))
    return do_export_members(ctx, unit, second_officer=approval.proposer)


approvals.register_kind(
    approvals.ApprovalKind(
        EXPORT,
        may_approve=_may_approve_export,
        run=_run_export,
        describe=lambda a: f"export the register of unit {a.params.get('unit_code')}",
    )
)
