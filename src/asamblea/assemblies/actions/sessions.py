"""Sessions and attendance: schedule, open, close, mark a seat present or departed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from asamblea.assemblies.access import access_body_for_chair, access_session_for_chair
from asamblea.assemblies.models import Attendance, Division, Session
from asamblea.assemblies.queries import legal_number, seat_weight
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.record.entries.assemblies import (
    AttendanceV1,
    SessionClosedV1,
    SessionOpenedV1,
    SessionScheduledV1,
)
from asamblea.registry.models import (
    Alternate,
    Body,
    Mandate,
    Member,
    Seat,
)
from asamblea.rules.divisions import fmt


def _session_ref(session: Session) -> dict[str, Any]:
    """The first three fields of every session entry."""
    return {"session_id": session.pk, "body_id": session.body_id, "body": session.body.code}


@door("assemblies.schedule_session")
def do_schedule_session(
    ctx: ActionContext,
    body: Body,
    *,
    title: str,
    scheduled_at: dt.datetime,
    agenda: str = "",
    place: str = "",
) -> Session:
    if body.is_base_unit:
        raise ActionError("only assemblies and committees hold sessions", field="body")
    scheduled_at = scheduled_at.astimezone(dt.UTC)
    session = Session.objects.create(
        body=body,
        title=title,
        agenda=agenda,
        place=place,
        scheduled_at=scheduled_at,
        created_at=now(),
    )
    ctx.audit("schedule_session", session, title=title)
    ctx.record(
        body.organisation,
        SessionScheduledV1(
            **_session_ref(session),
            title=title,
            agenda=session.agenda_items,
            place=place,
            scheduled_at=scheduled_at,
        ),
        body=body,
    )
    return session


def _locked(session: Session) -> Session:
    # Serialises changes to one session (attendance, divisions, closing).
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("body", "body__organisation")
        .get(pk=session.pk)
    )


@door("assemblies.open_session")
def do_open_session(ctx: ActionContext, session: Session) -> Session:
    session = _locked(session)
    if session.status != Session.Status.SCHEDULED:
        raise ActionError(f"the session is {session.status}, not scheduled", code="conflict")
    seats, legal = legal_number(session.body)
    if seats == 0:
        raise ActionError("the body has no seats", code="blocked")
    session.status = Session.Status.OPEN
    session.opened_at = now()
    session.save(update_fields=["status", "opened_at"])
    ctx.audit("open_session", session)
    ctx.record(
        session.body.organisation,
        SessionOpenedV1(
            **_session_ref(session),
            opened_at=session.opened_at,
            seats=seats,
            legal=fmt(legal),
            voting_rule=session.body.voting_rule,
        ),
        body=session.body,
    )
    return session


@door("assemblies.close_session")
def do_close_session(ctx: ActionContext, session: Session) -> Session:
    session = _locked(session)
    if session.status != Session.Status.OPEN:
        raise ActionError("the session is not open", code="conflict")
    if Division.objects.filter(motion__session=session, status=Division.Status.OPEN).exists():
        raise ActionError("a division is still open", code="blocked")
    at = now()
    session.status = Session.Status.CLOSED
    session.closed_at = at
    session.save(update_fields=["status", "closed_at"])
    Attendance.objects.filter(session=session, left_at__isnull=True).update(left_at=at)
    ctx.audit("close_session", session)
    ctx.record(
        session.body.organisation,
        SessionClosedV1(**_session_ref(session), closed_at=at),
        body=session.body,
    )
    return session


def _current_mandate(seat: Seat) -> Mandate | None:
    return (
        Mandate.objects.select_related("member")
        .filter(seat=seat, ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )


@door("assemblies.record_attendance")
def do_record_attendance(
    ctx: ActionContext, session: Session, seat: Seat, *, member: Member | None = None
) -> Attendance:
    """Mark ``seat`` present: its delegate, or (``member`` given) an alternate standing in.

    If the seat is marked present under a mandate that has since ended (a recall or resignation
    during the session), that row is closed and the seat's current holder sits instead.
    """
    session = _locked(session)
    if session.status != Session.Status.OPEN:
        raise ActionError("the session is not open", code="conflict")
    if seat.body_id != session.body_id or seat.abolished_at is not None:
        raise ActionError("the seat is not a seat of this body", field="seat_id")
    mandate = _current_mandate(seat)
    if mandate is None:
        raise ActionError("the seat is vacant", field="seat_id", code="blocked")
    at = now()
    current = Attendance.objects.filter(session=session, seat=seat, left_at__isnull=True).first()
    if current is not None:
        if current.mandate_id == mandate.pk:
            raise ActionError(
                "the seat is already marked present", field="seat_id", code="conflict"
            )
        current.left_at = at
        current.save(update_fields=["left_at"])
    standing_in = None
    sitter = mandate.member
    if member is not None and member.pk != mandate.member_id:
        standing_in = Alternate.objects.filter(
            body_id=seat.body_id, unit_id=seat.unit_id, member=member, used_at__isnull=True
        ).first()
        if standing_in is None:
            raise ActionError(
                "only the seat's delegate or one of the unit's alternates may sit in it",
                field="member_id",
            )
        sitter = member
    attendance = Attendance.objects.create(
        session=session,
        seat=seat,
        mandate=mandate,
        member=sitter,
        standing_in=standing_in,
        arrived_at=at,
    )
    weight = seat_weight(session.body, seat.unit_id)
    ctx.audit("record_attendance", attendance, seat_id=seat.pk, member=sitter.public_id)
    ctx.record(
        session.body.organisation,
        AttendanceV1(
            **_session_ref(session),
            seat_id=seat.pk,
            unit=seat.unit.code,
            member=sitter.public_id,
            name=sitter.display_name,
            mandate_id=mandate.pk,
            standing_in=standing_in is not None,
            present=True,
            weight=fmt(weight),
        ),
        body=session.body,
    )
    return attendance


@door("assemblies.record_departure")
def do_record_departure(ctx: ActionContext, session: Session, seat: Seat) -> Attendance:
    session = _locked(session)
    attendance = Attendance.objects.filter(session=session, seat=seat, left_at__isnull=True).first()
    if attendance is None:
        raise ActionError("the seat is not marked present", field="seat_id")
    attendance.left_at = now()
    attendance.save(update_fields=["left_at"])
    ctx.audit("record_departure", attendance, seat_id=seat.pk)
    ctx.record(
        session.body.organisation,
        AttendanceV1(
            **_session_ref(session),
            seat_id=seat.pk,
            unit=seat.unit.code,
            member=attendance.member.public_id,
            name=attendance.member.display_name,
            mandate_id=attendance.mandate_id,
            standing_in=attendance.standing_in_id is not None,
            present=False,
            weight=None,
        ),
        body=session.body,
    )
    return attendance


def check_schedule_session(
    user: Any,
    body_id: int,
    *,
    title: str,
    scheduled_at: dt.datetime,
    agenda: str = "",
    place: str = "",
) -> Session:
    body = access_body_for_chair(user, body_id)
    if not title.strip():
        raise ActionError("a session needs a title", field="title")
    if scheduled_at.tzinfo is None:
        raise ActionError("give the time with its zone (UTC)", field="scheduled_at")
    return do_schedule_session(
        user, body, title=title.strip(), scheduled_at=scheduled_at, agenda=agenda, place=place
    )


def check_open_session(user: Any, session_id: int) -> Session:
    return do_open_session(user, access_session_for_chair(user, session_id))


def check_close_session(user: Any, session_id: int) -> Session:
    return do_close_session(user, access_session_for_chair(user, session_id))


def check_record_attendance(
    user: Any, session_id: int, seat_id: int, *, member_public_id: str | None = None
) -> Attendance:
    session = access_session_for_chair(user, session_id)
    seat = Seat.objects.select_related("unit").filter(pk=seat_id, body_id=session.body_id).first()
    if seat is None:
        raise ActionError("no such seat in this body", field="seat_id")
    member = None
    if member_public_id:
        member = Member.objects.filter(
            public_id=member_public_id, organisation_id=session.body.organisation_id
        ).first()
        if member is None:
            raise ActionError("no such member", field="member_id")
    return do_record_attendance(user, session, seat, member=member)


def check_record_departure(user: Any, session_id: int, seat_id: int) -> Attendance:
    session = access_session_for_chair(user, session_id)
    seat = Seat.objects.select_related("unit").filter(pk=seat_id, body_id=session.body_id).first()
    if seat is None:
        raise ActionError("no such seat in this body", field="seat_id")
    return do_record_departure(user, session, seat)


def check_record_attendance_of_all(user: Any, session_id: int) -> int:
    """Mark present every held seat not yet marked (the clerk's "everyone is here")."""
    session = access_session_for_chair(user, session_id)
    held = Mandate.objects.filter(
        seat__body=session.body, ended_at__isnull=True, seat__abolished_at__isnull=True
    ).values_list("seat_id", flat=True)
    present = set(
        session.attendances.filter(left_at__isnull=True).values_list("seat_id", flat=True)
    )
    marked = 0
    for seat in (
        Seat.objects.select_related("unit").filter(pk__in=list(held)).exclude(pk__in=present)
    ):
        do_record_attendance(user, session, seat)
        marked += 1
    return marked
