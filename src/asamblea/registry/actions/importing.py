"""Bulk import of members (used by import-members and the demo): plan, then apply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.permissions import Forbidden, Role, has_role
from asamblea.registry.actions._shared import (
    BULK_BATCH,
    _chunks,
    _insert_rows,
)
from asamblea.registry.actions.members import REGISTER_PRIVATE
from asamblea.registry.models import (
    Body,
    Member,
    Membership,
    Organisation,
    new_public_id,
)


@dataclass
class MemberRow:
    """One validated row of a member file."""

    line: int
    unit_code: str
    member_ref: str
    display_name: str
    phone: str
    email: str
    joined_on: dt.date


@dataclass
class ImportPlan:
    """What an import would do. Built by reading only; applied by :func:`do_import_members`."""

    create: list[MemberRow] = field(default_factory=list)
    update: list[tuple[int, MemberRow]] = field(default_factory=list)  # (member pk, row)
    rejoin: list[tuple[int, MemberRow]] = field(default_factory=list)
    transfer: list[tuple[int, int, MemberRow]] = field(default_factory=list)  # (pk, old ms pk, row)
    unchanged: int = 0
    # Every unit the file names, unchanged rows included (who may see the plan depends on it).
    unit_codes: set[str] = field(default_factory=set)

    @property
    def is_empty(self) -> bool:
        return not (self.create or self.update or self.rejoin or self.transfer)

    def summary(self) -> dict[str, int]:
        return {
            "created": len(self.create),
            "updated": len(self.update),
            "rejoined": len(self.rejoin),
            "transferred": len(self.transfer),
            "unchanged": self.unchanged,
        }


def plan_import(organisation: Organisation, rows: Sequence[MemberRow]) -> ImportPlan:
    """Compare validated rows with the register; ``member_ref`` is the match key.

    ``joined_on`` is used only when a membership is opened (new member, rejoin, transfer); it
    never rewrites an existing membership, so importing the same file twice changes nothing.
    """
    refs = [r.member_ref for r in rows]
    existing: dict[str, tuple[int, str, str, str]] = {}
    for chunk in _chunks(refs):
        for pk, ref, name, phone, email in Member.objects.filter(
            organisation=organisation, member_ref__in=chunk
        ).values_list("pk", "member_ref", "display_name", "phone", "email"):
            existing[ref] = (pk, name, phone, email)
    pks = [v[0] for v in existing.values()]
    open_ms: dict[int, tuple[int, str, dt.date]] = {}
    for chunk in _chunks(pks):
        for ms_pk, member_id, unit_code, joined_on in Membership.objects.filter(
            member_id__in=chunk, left_on__isnull=True
        ).values_list("pk", "member_id", "unit__code", "joined_on"):
            open_ms[member_id] = (ms_pk, unit_code, joined_on)
    plan = ImportPlan(unit_codes={r.unit_code for r in rows})
    for row in rows:
        found = existing.get(row.member_ref)
        if found is None:
            plan.create.append(row)
            continue
        pk, name, phone, email = found
        changed_fields = (name, phone, email) != (row.display_name, row.phone, row.email)
        ms = open_ms.get(pk)
        if ms is None:
            plan.rejoin.append((pk, row))
        elif ms[1] != row.unit_code:
            plan.transfer.append((pk, ms[0], row))
        elif not changed_fields:
            plan.unchanged += 1
        if changed_fields:
            plan.update.append((pk, row))
    return plan


@door("registry.import_members", private=REGISTER_PRIVATE)
def do_import_members(
    ctx: ActionContext,
    organisation: Organisation,
    plan: ImportPlan,
    *,
    source: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Apply an import plan in one transaction, with bulk writes; one audit entry for the file."""
    at = now()
    today = at.date()
    units = dict(Body.objects.filter(organisation=organisation).values_list("code", "pk"))
    # Members created. Rows go in by executemany rather than model instances: building 10,000
    # model objects costs more than the inserts themselves.
    member_rows = [
        (organisation.pk, new_public_id(), r.member_ref, r.display_name, r.phone, r.email, at)
        for r in plan.create
    ]
    done = 0
    for chunk in _chunks(member_rows, BULK_BATCH * 4):
        _insert_rows(
            Member,
            [
                "organisation",
                "public_id",
                "member_ref",
                "display_name",
                "phone",
                "email",
                "created_at",
            ],
            chunk,
        )
        done += len(chunk)
        if progress:
            progress(f"members created: {done}/{len(member_rows)}")
    new_ids: dict[str, int] = {}
    for chunk in _chunks([r.member_ref for r in plan.create]):
        new_ids.update(
            Member.objects.filter(organisation=organisation, member_ref__in=chunk).values_list(
                "member_ref", "pk"
            )
        )
    opened = [(new_ids[r.member_ref], units[r.unit_code], r.joined_on, "") for r in plan.create]
    opened += [(pk, units[r.unit_code], r.joined_on, "") for pk, r in plan.rejoin]
    # Transfers: close the old membership (on the file's joined_on when it is later than the old
    # joining date, else today), then open the new one on that same date.
    transfer_dates: dict[int, dt.date] = {}
    old_joined = (
        dict(
            Membership.objects.filter(pk__in=[ms for _, ms, _ in plan.transfer]).values_list(
                "pk", "joined_on"
            )
        )
        if plan.transfer
        else {}
    )
    for _pk, ms_pk, r in plan.transfer:
        on = r.joined_on if r.joined_on >= old_joined[ms_pk] else max(today, old_joined[ms_pk])
        transfer_dates[ms_pk] = on
        Membership.objects.filter(pk=ms_pk).update(
            left_on=on, end_reason=Membership.EndReason.TRANSFERRED
        )
    transfer_new = [
        Membership(member_id=pk, unit_id=units[r.unit_code], joined_on=transfer_dates[ms_pk])
        for pk, ms_pk, r in plan.transfer
    ]
    for chunk in _chunks(opened, BULK_BATCH * 4):
        _insert_rows(Membership, ["member", "unit", "joined_on", "end_reason"], chunk)
    if progress and opened:
        progress(f"memberships opened: {len(opened)}")
    if transfer_new:
        Membership.objects.bulk_create(transfer_new, batch_size=BULK_BATCH)
        new_by_member = {ms.member_id: ms.pk for ms in transfer_new}
        if any(v is None for v in new_by_member.values()):
            new_by_member = dict(
                Membership.objects.filter(
                    member_id__in=list(new_by_member), left_on__isnull=True
                ).values_list("member_id", "pk")
            )
        for pk, ms_pk, _r in plan.transfer:
            Membership.objects.filter(pk=ms_pk).update(transferred_to_id=new_by_member[pk])
    if plan.update:
        updated = [
            Member(pk=pk, display_name=r.display_name, phone=r.phone, email=r.email)
            for pk, r in plan.update
        ]
        Member.objects.bulk_update(
            updated, ["display_name", "phone", "email"], batch_size=BULK_BATCH
        )
    summary = plan.summary()
    ctx.audit("members.import", organisation, source=source, **summary)
    return summary


def _touched_units(organisation: Organisation, plan: ImportPlan) -> list[Body]:
    """The units an import writes in: those its rows name, and those transfers leave."""
    codes = set(plan.unit_codes)
    codes |= {r.unit_code for r in plan.create}
    codes |= {r.unit_code for _pk, r in plan.update}
    codes |= {r.unit_code for _pk, r in plan.rejoin}
    codes |= {r.unit_code for _pk, _ms, r in plan.transfer}
    ids: set[int] = set()
    for chunk in _chunks([ms for _pk, ms, _r in plan.transfer]):
        ids.update(Membership.objects.filter(pk__in=chunk).values_list("unit_id", flat=True))
    return list(
        Body.objects.filter(organisation=organisation)
        .filter(models.Q(code__in=sorted(codes)) | models.Q(pk__in=sorted(ids)))
        .order_by("code")
    )


def check_import_members(
    user: Any,
    organisation: Organisation,
    plan: ImportPlan,
    *,
    source: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """A registrar of the organisation, or of every unit the file touches, applies an import.

    The units a row leaves (a transfer) count as touched. Refused whole: one unit the user may
    not register in and nothing is written.
    """
    require_import_permission(user, organisation, plan)
    return do_import_members(user, organisation, plan, source=source, progress=progress)


def require_import_permission(user: Any, organisation: Organisation, plan: ImportPlan) -> None:
    """Raise unless ``user`` may apply ``plan`` (see :func:`check_import_members`)."""
    if not has_role(user, organisation, Role.REGISTRAR):
        refused = [
            unit.code
            for unit in _touched_units(organisation, plan)
            if not has_role(user, organisation, Role.REGISTRAR, unit)
        ]
        if refused:
            raise Forbidden(
                f"only a registrar of every unit in the file may import it (not of: "
                f"{', '.join(refused)})"
            )
