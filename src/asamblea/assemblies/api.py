"""Assemblies endpoints: sessions, divisions (public roll calls), resolutions; the chair's actions.

Reads are public (a roll call is public by design). Writes take a bearer token of a user who
chairs the body (or, for votes, the delegate sitting in the seat; for instructions, a teller or
election officer of the unit). Weights and totals are exact, written ``"num/den"`` or ``"87"``.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from asamblea.assemblies import actions
from asamblea.assemblies.models import (
    DelegateVote,
    Deviation,
    Division,
    Motion,
    Resolution,
    Session,
)
from asamblea.core.apischema import MAX_LIMIT, BearerToken, ErrorOut, paginate
from asamblea.core.errors import NotFoundOrForbidden
from asamblea.registry.models import Body
from asamblea.rules.divisions import CHOICES

router = Router(tags=["assemblies"])

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="rows per page (1 to 500)")
    offset: int = Field(0, ge=0, description="rows to skip")


class SessionFilter(PageParams):
    body_id: int | None = Field(None, description="only this body's sessions")


class SessionOut(Schema):
    id: int
    body_id: int
    body: str
    title: str
    status: str
    place: str
    scheduled_at: dt.datetime
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None


class SessionPage(Schema):
    items: list[SessionOut]
    count: int


class DivisionBrief(Schema):
    id: int
    status: str
    is_adopted: bool | None
    totals: dict[str, Any]


class MotionOut(Schema):
    id: int
    number: int
    amends: int | None
    proposer: str
    title: str
    text: str
    threshold: str
    fraction: str | None
    resolution_kind: str
    status: str
    division: DivisionBrief | None


class SessionDetail(SessionOut):
    agenda: list[str]
    seats: int
    legal: str
    seats_present: int
    present: str
    motions: list[MotionOut]


class VoteOut(Schema):
    seat_id: int
    member: str
    name: str
    unit: str
    is_alternate: bool
    choice: str
    weight: str
    instructed: str | None
    is_deviation: bool


class DeviationOut(Schema):
    seat_id: int
    member: str
    name: str
    unit: str
    instructed: str
    choice: str
    mode: str
    consequence: str


class DivisionOut(Schema):
    id: int
    motion_id: int
    motion: str
    session_id: int
    status: str
    rule: dict[str, Any]
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    totals: dict[str, str]
    counts: dict[str, int] | None
    is_quorate: bool | None
    is_adopted: bool | None
    explanation: str
    deviations: list[DeviationOut]
    votes: list[VoteOut]
    votes_count: int


class StatusChangeOut(Schema):
    status: str
    note: str
    changed_at: dt.datetime


class ResolutionOut(Schema):
    id: int
    kind: str
    title: str
    text: str
    status: str
    adopted_at: dt.datetime
    motion_id: int
    history: list[StatusChangeOut]


class ResolutionPage(Schema):
    items: list[ResolutionOut]
    count: int


def _session_out(s: Session) -> dict[str, Any]:
    return {
        "id": s.pk,
        "body_id": s.body_id,
        "body": s.body.code,
        "title": s.title,
        "status": s.status,
        "place": s.place,
        "scheduled_at": s.scheduled_at,
        "opened_at": s.opened_at,
        "closed_at": s.closed_at,
    }


def _motion_out(m: Motion) -> dict[str, Any]:
    division = getattr(m, "division", None) if hasattr(m, "division") else None
    return {
        "id": m.pk,
        "number": m.number,
        "amends": m.amends_id,
        "proposer": m.proposer_name,
        "title": m.title,
        "text": m.text,
        "threshold": m.threshold,
        "fraction": str(m.threshold_fraction)
        if m.threshold == Motion.Threshold.QUALIFIED
        else None,
        "resolution_kind": m.resolution_kind,
        "status": m.status,
        "division": (
            {
                "id": division.pk,
                "status": division.status,
                "is_adopted": division.is_adopted,
                "totals": division.totals,
            }
            if division is not None
            else None
        ),
    }


@router.get("/sessions", response={200: SessionPage, **ERRORS})
def list_sessions(request: Any, params: Query[SessionFilter]) -> dict[str, Any]:
    qs = Session.objects.select_related("body").order_by("-scheduled_at", "-id")
    if params.body_id is not None:
        qs = qs.filter(body_id=params.body_id)
    rows, count = paginate(qs, params.limit, params.offset)
    return {"items": [_session_out(s) for s in rows], "count": count}


@router.get("/sessions/{session_id}", response={200: SessionDetail, **ERRORS})
def get_session(request: Any, session_id: int) -> dict[str, Any]:
    session = actions.access_session_by_id(session_id)
    seats, legal = actions.legal_number(session.body)
    seats_present, present = actions.present_amount(session)
    motions = Motion.objects.filter(session=session).select_related("division").order_by("number")
    return {
        **_session_out(session),
        "agenda": session.agenda_items,
        "seats": seats,
        "legal": str(legal),
        "seats_present": seats_present,
        "present": str(present),
        "motions": [_motion_out(m) for m in motions],
    }


def _division_out(division: Division, limit: int, offset: int) -> dict[str, Any]:
    votes_qs = (
        DelegateVote.objects.filter(division=division)
        .select_related("member", "instruction")
        .order_by("unit_name", "member_name", "seat_id")
    )
    votes, count = paginate(votes_qs, limit, offset)
    if division.status == Division.Status.CLOSED:
        totals = {c: str(division.totals.get(c, "0")) for c in CHOICES}
        counts = None
    else:
        live = actions.live_tally(division)
        totals = {c: str(live["totals"][c]) for c in CHOICES}
        counts = live["counts"]
    deviations = (
        Deviation.objects.filter(vote__division=division)
        .select_related("vote__member", "instruction")
        .order_by("vote__unit_name", "vote__member_name")
    )
    return {
        "id": division.pk,
        "motion_id": division.motion_id,
        "motion": division.motion.title,
        "session_id": division.motion.session_id,
        "status": division.status,
        "rule": division.rule,
        "opened_at": division.opened_at,
        "closed_at": division.closed_at,
        "totals": totals,
        "counts": counts,
        "is_quorate": division.is_quorate,
        "is_adopted": division.is_adopted,
        "explanation": division.explanation,
        "deviations": [
            {
                "seat_id": d.vote.seat_id,
                "member": d.vote.member.public_id,
                "name": d.vote.member_name,
                "unit": d.vote.unit_name,
                "instructed": d.instruction.result,
                "choice": d.vote.choice,
                "mode": d.mode,
                "consequence": d.consequence,
            }
            for d in deviations
        ],
        "votes": [
            {
                "seat_id": v.seat_id,
                "member": v.member.public_id,
                "name": v.member_name,
                "unit": v.unit_name,
                "is_alternate": v.is_alternate,
                "choice": v.choice,
                "weight": str(Fraction(v.weight_num, v.weight_den)),
                "instructed": v.instruction.result if v.instruction else None,
                "is_deviation": v.is_deviation,
            }
            for v in votes
        ],
        "votes_count": count,
    }


@router.get("/divisions/{division_id}", response={200: DivisionOut, **ERRORS})
def get_division(request: Any, division_id: int, params: Query[PageParams]) -> dict[str, Any]:
    """The roll call (``limit``/``offset`` page through the votes), rule, result, deviations."""
    division = actions.access_division_by_id(division_id)
    return _division_out(division, params.limit, params.offset)


def _resolution_out(r: Resolution) -> dict[str, Any]:
    return {
        "id": r.pk,
        "kind": r.kind,
        "title": r.title,
        "text": r.text,
        "status": r.status,
        "adopted_at": r.adopted_at,
        "motion_id": r.motion_id,
        "history": [
            {"status": h.status, "note": h.note, "changed_at": h.changed_at}
            for h in r.history.all()
        ],
    }


@router.get("/bodies/{body_id}/resolutions", response={200: ResolutionPage, **ERRORS})
def list_resolutions(request: Any, body_id: int, params: Query[PageParams]) -> dict[str, Any]:
    if not Body.objects.filter(pk=body_id).exists():
        raise NotFoundOrForbidden("body")
    qs = (
        Resolution.objects.filter(body_id=body_id)
        .prefetch_related("history")
        .order_by("-adopted_at", "-id")
    )
    rows, count = paginate(qs, params.limit, params.offset)
    return {"items": [_resolution_out(r) for r in rows], "count": count}


# --- writes -------------------------------------------------------------------------------------


class SessionIn(Schema):
    body_id: int
    title: str = Field(..., min_length=1, max_length=200)
    scheduled_at: dt.datetime
    agenda: list[str] = Field(default_factory=list)
    place: str = Field("", max_length=200)


class AttendanceIn(Schema):
    seat_id: int
    member_id: str | None = Field(
        None, description="public id of an alternate standing in; omit for the seat's delegate"
    )
    present: bool = Field(True, description="false records a departure")


class AttendanceOut(Schema):
    session_id: int
    seat_id: int
    member: str
    name: str
    is_alternate: bool
    present: bool


class MotionIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    text: str = Field(..., min_length=1)
    proposer_name: str = Field("", max_length=200)
    proposer_id: str | None = Field(None, description="public id of the proposing member")
    threshold: Literal["majority_cast", "absolute_majority", "qualified", "quorum"] = (
        "majority_cast"
    )
    fraction: str | None = Field(None, description='for "qualified": e.g. "2/3"')
    amends: int | None = Field(None, description="id of the motion this amends")
    resolution_kind: Literal["", "demand", "strike_call", "march"] = ""


class VoteIn(Schema):
    seat_id: int
    choice: Literal["for", "against", "abstain"]


class VotesIn(Schema):
    votes: list[VoteIn] = Field(..., min_length=1, max_length=1000)


class VotesOut(Schema):
    division_id: int
    recorded: int
    deviations: int


class InstructionIn(Schema):
    unit_id: int
    counts: dict[Literal["for", "against", "abstain", "free"], int]


class InstructionOut(Schema):
    id: int
    motion_id: int
    unit_id: int
    method: str
    counts: dict[str, int]
    result: str


class ResolutionStatusIn(Schema):
    status: Literal["pending", "partly_met", "met", "dropped"]
    note: str = ""


@router.post("/sessions", auth=BearerToken(), response={201: SessionOut, **ERRORS})
def schedule_session(request: Any, payload: SessionIn) -> tuple[int, dict[str, Any]]:
    session = actions.check_schedule_session(
        request.auth,
        payload.body_id,
        title=payload.title,
        scheduled_at=payload.scheduled_at,
        agenda="\n".join(payload.agenda),
        place=payload.place,
    )
    return 201, _session_out(session)


@router.post(
    "/sessions/{session_id}/open", auth=BearerToken(), response={200: SessionOut, **ERRORS}
)
def open_session(request: Any, session_id: int) -> dict[str, Any]:
    return _session_out(actions.check_open_session(request.auth, session_id))


@router.post(
    "/sessions/{session_id}/close", auth=BearerToken(), response={200: SessionOut, **ERRORS}
)
def close_session(request: Any, session_id: int) -> dict[str, Any]:
    return _session_out(actions.check_close_session(request.auth, session_id))


@router.post(
    "/sessions/{session_id}/attendance",
    auth=BearerToken(),
    response={200: AttendanceOut, **ERRORS},
)
def record_attendance(request: Any, session_id: int, payload: AttendanceIn) -> dict[str, Any]:
    if payload.present:
        a = actions.check_record_attendance(
            request.auth, session_id, payload.seat_id, member_public_id=payload.member_id
        )
    else:
        a = actions.check_record_departure(request.auth, session_id, payload.seat_id)
    return {
        "session_id": a.session_id,
        "seat_id": a.seat_id,
        "member": a.member.public_id,
        "name": a.member.display_name,
        "is_alternate": a.standing_in_id is not None,
        "present": a.left_at is None,
    }


@router.post(
    "/sessions/{session_id}/motions", auth=BearerToken(), response={201: MotionOut, **ERRORS}
)
def propose_motion(request: Any, session_id: int, payload: MotionIn) -> tuple[int, dict[str, Any]]:
    motion = actions.check_propose_motion(
        request.auth,
        session_id,
        title=payload.title,
        text=payload.text,
        proposer_name=payload.proposer_name,
        proposer_public_id=payload.proposer_id,
        threshold=payload.threshold,
        fraction=payload.fraction,
        amends_id=payload.amends,
        resolution_kind=payload.resolution_kind,
    )
    return 201, _motion_out(motion)


@router.post(
    "/motions/{motion_id}/instructions",
    auth=BearerToken(),
    response={201: InstructionOut, **ERRORS},
)
def record_instruction(
    request: Any, motion_id: int, payload: InstructionIn
) -> tuple[int, dict[str, Any]]:
    """A unit's instruction as counted at its general meeting (entered by a teller)."""
    ins = actions.check_record_instruction_count(
        request.auth, motion_id, payload.unit_id, dict(payload.counts)
    )
    return 201, {
        "id": ins.pk,
        "motion_id": ins.motion_id,
        "unit_id": ins.unit_id,
        "method": ins.method,
        "counts": ins.counts(),
        "result": ins.result,
    }


@router.post(
    "/motions/{motion_id}/division", auth=BearerToken(), response={201: DivisionOut, **ERRORS}
)
def open_division(request: Any, motion_id: int) -> tuple[int, dict[str, Any]]:
    division = actions.check_open_division(request.auth, motion_id)
    return 201, _division_out(division, 50, 0)


@router.post(
    "/divisions/{division_id}/votes", auth=BearerToken(), response={200: VotesOut, **ERRORS}
)
def cast_votes(request: Any, division_id: int, payload: VotesIn) -> dict[str, Any]:
    """Record votes of the roll call: all of them or, if one is refused, none."""
    created = actions.check_cast_votes(
        request.auth, division_id, [(v.seat_id, v.choice) for v in payload.votes]
    )
    return {
        "division_id": division_id,
        "recorded": len(created),
        "deviations": sum(1 for v in created if v.is_deviation),
    }


@router.post(
    "/divisions/{division_id}/close", auth=BearerToken(), response={200: DivisionOut, **ERRORS}
)
def close_division(request: Any, division_id: int) -> dict[str, Any]:
    division = actions.check_close_division(request.auth, division_id)
    return _division_out(division, 50, 0)


@router.post(
    "/resolutions/{resolution_id}/status",
    auth=BearerToken(),
    response={200: ResolutionOut, **ERRORS},
)
def set_resolution_status(
    request: Any, resolution_id: int, payload: ResolutionStatusIn
) -> dict[str, Any]:
    resolution = actions.check_set_resolution_status(
        request.auth, resolution_id, payload.status, note=payload.note
    )
    return _resolution_out(resolution)
