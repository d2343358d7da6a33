"""Mandates and alternates: who holds a seat, who is next in line (public record)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Role, require_role
from asamblea.record.entries.registry import (
    AlternatePlace,
    AlternatesPart,
    AlternatesSetV1,
    MandateEndedPart,
    MandateEndedV1,
    MandateStartedPart,
    MandateStartedV1,
)
from asamblea.registry.models import (
    Alternate,
    Body,
    Mandate,
    Member,
    Membership,
    Seat,
    SeatLink,
)
from asamblea.registry.queries import current_alternates


def mandate_payload(mandate: Mandate) -> dict[str, Any]:
    """The keys every mandate entry starts with."""
    seat = mandate.seat
    return {
        "id": mandate.pk,
        "body": seat.body.code,
        "unit": seat.unit.code,
        "seat_number": seat.number,
        "member": mandate.member.public_id,
    }


def _eligible_for_seat(member: Member, unit: Body) -> bool:
    """A base unit's seat goes to one of its members; an assembly's or committee's seat to one
    of that body's current delegates."""
    if unit.is_base_unit:
        return Membership.objects.filter(member=member, unit=unit, left_on__isnull=True).exists()
    return Mandate.objects.filter(
        member=member, seat__body=unit, ended_at__isnull=True, seat__abolished_at__isnull=True
    ).exists()


def check_start_mandate(
    user: Any, seat: Seat, member: Member, *, source: str, started_at: dt.datetime | None = None
) -> Mandate:
    """A registrar of the organisation (or of the body where the seat is) seats a delegate by
    hand (elections seat the elected themselves, as a nested action)."""
    require_role(user, seat.body.organisation, Role.REGISTRAR, seat.body)
    return do_start_mandate(user, seat, member, source=source, started_at=started_at)


@door("registry.start_mandate")
def do_start_mandate(
    ctx: ActionContext,
    seat: Seat,
    member: Member,
    *,
    source: str,
    started_at: dt.datetime | None = None,
) -> Mandate:
    if seat.abolished_at is not None:
        raise ActionError("the seat is abolished", field="seat")
    if member.organisation_id != seat.body.organisation_id:
        raise ActionError("the member is not in this organisation", field="member")
    if not _eligible_for_seat(member, seat.unit):
        raise ActionError(f"the member cannot hold a seat of {seat.unit.code}", field="member")
    if Mandate.objects.filter(seat=seat, ended_at__isnull=True).exists():
        raise ActionError("the seat is already held", field="seat")
    at = started_at or now()
    try:
        # A savepoint: a concurrent start on the same seat fails here, not the whole action.
        with transaction.atomic():
            mandate = Mandate.objects.create(seat=seat, member=member, started_at=at, source=source)
    except IntegrityError as exc:
        raise ActionError("the seat is already held", field="seat") from exc
    ctx.audit("mandate.start", mandate, seat=seat.pk, source=source)
    part = MandateStartedPart(
        **mandate_payload(mandate), display_name=member.display_name, source=source, started_at=at
    )
    ctx.record(seat.body.organisation, MandateStartedV1(mandate=part), body=seat.body)
    return mandate


def end_mandate_now(ctx: ActionContext, mandate: Mandate, reason: str, at: dt.datetime) -> Mandate:
    """End ``mandate`` at ``at`` inside ``ctx`` (the caller has checked that it may end)."""
    mandate.ended_at = at
    mandate.end_reason = reason
    mandate.save(update_fields=["ended_at", "end_reason"])
    ctx.audit("mandate.end", mandate, reason=reason)
    part = MandateEndedPart(**mandate_payload(mandate), end_reason=reason, ended_at=at)
    ctx.record(mandate.seat.body.organisation, MandateEndedV1(mandate=part), body=mandate.seat.body)
    return mandate


def check_end_mandate(
    user: Any, mandate: Mandate, *, reason: str, ended_at: dt.datetime | None = None
) -> Mandate:
    """A registrar ends a mandate by hand (a resignation, a term); a recall ends it through the
    elections' certification, as a nested action."""
    body = mandate.seat.body
    require_role(user, body.organisation, Role.REGISTRAR, body)
    return do_end_mandate(user, mandate, reason=reason, ended_at=ended_at)


@door("registry.end_mandate")
def do_end_mandate(
    ctx: ActionContext, mandate: Mandate, *, reason: str, ended_at: dt.datetime | None = None
) -> Mandate:
    if reason not in Mandate.EndReason.values:
        raise ActionError(f"unknown end reason {reason!r}", field="reason")
    # Lock the row: two officers ending one mandate must not both write an end.
    mandate = (
        Mandate.objects.select_for_update()
        .select_related("seat__body__organisation", "seat__unit", "member")
        .get(pk=mandate.pk)
    )
    if mandate.ended_at is not None:
        raise ActionError("the mandate has already ended", field="mandate")
    at = ended_at or now()
    if at < mandate.started_at:
        raise ActionError("a mandate cannot end before it started", field="ended_at")
    return end_mandate_now(ctx, mandate, reason, at)


def check_set_alternates(
    user: Any, body: Body, unit: Body, members: Sequence[Member], *, source: str
) -> list[Alternate]:
    require_role(user, body.organisation, Role.REGISTRAR, body)
    return do_set_alternates(user, body, unit, members, source=source)


@door("registry.set_alternates")
def do_set_alternates(
    ctx: ActionContext, body: Body, unit: Body, members: Sequence[Member], *, source: str
) -> list[Alternate]:
    """Replace ``unit``'s ordered alternates for ``body`` (first in the list is first in line)."""
    if not SeatLink.objects.filter(sender=unit, receiver=body).exists():
        raise ActionError(f"{unit.code} sends no seats to {body.code}", field="unit")
    if len({m.pk for m in members}) != len(members):
        raise ActionError("a member appears twice among the alternates", field="members")
    for m in members:
        if not _eligible_for_seat(m, unit):
            raise ActionError(f"{m.public_id} cannot stand for {unit.code}", field="members")
    at = now()
    Alternate.objects.filter(body=body, unit=unit, used_at__isnull=True).update(used_at=at)
    rows = Alternate.objects.bulk_create(
        [
            Alternate(body=body, unit=unit, member=m, position=i, source=source, created_at=at)
            for i, m in enumerate(members, start=1)
        ]
    )
    ctx.audit("alternates.set", body, unit=unit.code, count=len(rows), source=source)
    part = AlternatesPart(
        body=body.code,
        unit=unit.code,
        source=source,
        members=[
            AlternatePlace(member=m.public_id, display_name=m.display_name, position=i)
            for i, m in enumerate(members, start=1)
        ],
    )
    ctx.record(body.organisation, AlternatesSetV1(alternates=part), body=body)
    return rows


@door("registry.fill_seat_from_alternates")
def do_fill_seat_from_alternates(ctx: ActionContext, seat: Seat, *, source: str) -> Mandate | None:
    """Give a vacant seat to the first alternate still eligible; None when none is left
    (a by-election is then needed). Alternates passed over are marked used."""
    at = now()
    for alt in current_alternates(seat.body, seat.unit).select_for_update():
        Alternate.objects.filter(pk=alt.pk).update(used_at=at)
        already_seated = Mandate.objects.filter(
            member=alt.member, seat__body=seat.body, ended_at__isnull=True
        ).exists()
        if not already_seated and _eligible_for_seat(alt.member, seat.unit):
            return do_start_mandate(ctx, seat, alt.member, source=source, started_at=at)
    # No one took the seat: nothing public changed (alternates passed over were no longer
    # eligible; the record shows who holds seats, and the by-election that follows).
    ctx.unchanged()
    return None
