"""Mandates and alternates: who holds a seat, who is next in line (public record)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.registry.actions._shared import (
    _record,
    timestamp,
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
from asamblea.registry.queries import (
    current_alternates,
)


def mandate_payload(mandate: Mandate) -> dict[str, Any]:
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


@transaction.atomic
def do_start_mandate(
    actor: Any, seat: Seat, member: Member, *, source: str, started_at: dt.datetime | None = None
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
        with transaction.atomic():
            mandate = Mandate.objects.create(seat=seat, member=member, started_at=at, source=source)
    except IntegrityError as exc:
        raise ActionError("the seat is already held", field="seat") from exc
    audit(actor, "mandate.start", mandate, seat=seat.pk, source=source)
    _record(
        seat.body.organisation,
        "mandate_started",
        {
            "mandate": {
                **mandate_payload(mandate),
                "display_name": member.display_name,
                "started_at": timestamp(at),
                "source": source,
            }
        },
        body=seat.body,
    )
    return mandate


def _end_mandate(actor: Any, mandate: Mandate, reason: str, at: dt.datetime) -> Mandate:
    mandate.ended_at = at
    mandate.end_reason = reason
    mandate.save(update_fields=["ended_at", "end_reason"])
    audit(actor, "mandate.end", mandate, reason=reason)
    _record(
        mandate.seat.body.organisation,
        "mandate_ended",
        {
            "mandate": {
                **mandate_payload(mandate),
                "ended_at": timestamp(at),
                "end_reason": reason,
            }
        },
        body=mandate.seat.body,
    )
    return mandate


@transaction.atomic
def do_end_mandate(
    actor: Any, mandate: Mandate, *, reason: str, ended_at: dt.datetime | None = None
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
    return _end_mandate(actor, mandate, reason, at)


@transaction.atomic
def do_set_alternates(
    actor: Any, body: Body, unit: Body, members: Sequence[Member], *, source: str
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
    audit(actor, "alternates.set", body, unit=unit.code, count=len(rows), source=source)
    _record(
        body.organisation,
        "alternates_set",
        {
            "alternates": {
                "body": body.code,
                "unit": unit.code,
                "source": source,
                "members": [
                    {"member": m.public_id, "display_name": m.display_name, "position": i}
                    for i, m in enumerate(members, start=1)
                ],
            }
        },
        body=body,
    )
    return rows


@transaction.atomic
def do_fill_seat_from_alternates(actor: Any, seat: Seat, *, source: str) -> Mandate | None:
    """Give a vacant seat to the first alternate still eligible; None when none is left
    (a by-election is then needed). Alternates passed over are marked used."""
    at = now()
    for alt in current_alternates(seat.body, seat.unit).select_for_update():
        Alternate.objects.filter(pk=alt.pk).update(used_at=at)
        already_seated = Mandate.objects.filter(
            member=alt.member, seat__body=seat.body, ended_at__isnull=True
        ).exists()
        if not already_seated and _eligible_for_seat(alt.member, seat.unit):
            return do_start_mandate(actor, seat, alt.member, source=source, started_at=at)
    return None
