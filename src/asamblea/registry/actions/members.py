"""Members and memberships: the register (audit only, never on the public record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.registry.access import access_unit_register_by_officer
from asamblea.registry.models import (
    Body,
    Member,
    Membership,
    Organisation,
)
from asamblea.registry.queries import (
    open_membership,
)


def _require_base_unit(unit: Body, organisation: Organisation | None = None) -> None:
    if not unit.is_base_unit:
        raise ActionError(f"{unit.code} is not a base unit", field="unit_code")
    if unit.dissolved_at is not None:
        raise ActionError(f"{unit.code} is dissolved", field="unit_code")
    if organisation is not None and unit.organisation_id != organisation.pk:
        raise ActionError(f"{unit.code} is not a unit of this organisation", field="unit_code")


@transaction.atomic
def do_add_member(
    actor: Any,
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
    audit(actor, "member.add", member, unit=unit.code, joined_on=joined_on.isoformat())
    return member


@transaction.atomic
def do_update_member(actor: Any, member: Member, **changes: Any) -> Member:
    allowed = {"display_name", "phone", "email", "user"}
    unknown = set(changes) - allowed
    if unknown:
        raise ActionError(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    for key, value in changes.items():
        setattr(member, key, value)
    member.save(update_fields=list(changes))
    audit(actor, "member.update", member, fields=sorted(changes))
    return member


@transaction.atomic
def do_join(actor: Any, member: Member, unit: Body, *, joined_on: dt.date) -> Membership:
    _require_base_unit(unit, member.organisation)
    if open_membership(member) is not None:
        raise ActionError("the member already belongs to a unit; transfer instead", field="unit")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(member=member, unit=unit, joined_on=joined_on)
    except IntegrityError as exc:
        raise ActionError("the member already belongs to a unit", field="unit") from exc
    audit(actor, "member.join", member, unit=unit.code, joined_on=joined_on.isoformat())
    return membership


@transaction.atomic
def do_leave(
    actor: Any,
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
    audit(actor, "member.leave", member, unit=membership.unit.code, reason=reason)
    return membership


@transaction.atomic
def do_transfer(actor: Any, member: Member, to_unit: Body, *, on: dt.date) -> Membership:
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
    audit(actor, "member.transfer", member, from_unit=old.unit.code, to_unit=to_unit.code)
    return new


def _close_for_transfer(old: Membership, on: dt.date) -> None:
    Membership.objects.filter(pk=old.pk).update(
        left_on=on, end_reason=Membership.EndReason.TRANSFERRED
    )


@transaction.atomic
def do_export_members(actor: Any, unit: Body, *, second_officer: Any) -> list[dict[str, str]]:
    """The unit's current register, as rows of the import format.

    Exporting a register needs two distinct officers (SYSTEM.md): both must be able to read the
    register; the act is logged with both names.
    """
    if second_officer is None or getattr(second_officer, "pk", None) == getattr(actor, "pk", None):
        raise ActionError("exporting a register needs a second, different officer", field="officer")
    access_unit_register_by_officer(second_officer, unit.organisation, unit.code)
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
    audit(
        actor,
        "members.export",
        unit,
        unit=unit.code,
        rows=len(rows),
        second_officer=second_officer.get_username(),
    )
    return rows
