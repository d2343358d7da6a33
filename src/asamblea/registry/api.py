"""Registry endpoints: organisations, bodies, seats, mandates; adding a member (registrars).

Reads are public, as the pages are: the structure, the seats and who holds them. Members' contact
details are never served; a member appears only as a delegate or alternate, by public id and name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from asamblea.core.apischema import MAX_LIMIT, BearerToken, ErrorOut, paginate
from asamblea.core.approvals import access_approval, check_take_result
from asamblea.core.errors import NotFoundOrForbidden
from asamblea.registry.access import access_body, access_organisation
from asamblea.registry.actions.members import (
    EXPORT,
    check_add_member,
    check_propose_export_members,
)
from asamblea.registry.exporting import rows_to_csv
from asamblea.registry.models import (
    Body,
    Mandate,
    Organisation,
    Roll,
    Seat,
    SeatLink,
)
from asamblea.registry.queries import seat_weights

router = Router(tags=["registry"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="rows per page (1 to 500)")
    offset: int = Field(0, ge=0, description="rows to skip")


class OrganisationOut(Schema):
    id: int
    slug: str
    name: str


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    count: int


class BodyBrief(Schema):
    id: int
    code: str
    name: str
    kind: str
    level: str
    region: str


class BodyPage(Schema):
    items: list[BodyBrief]
    count: int


class OrganisationDetail(OrganisationOut):
    created_at: dt.datetime
    settings: dict[str, Any]
    bodies: list[BodyBrief]


class RollOut(Schema):
    id: int
    size: int
    frozen_at: dt.datetime
    commitment: str


class LinkOut(Schema):
    body: BodyBrief
    seats: int = Field(description="current (not abolished) seats on this link")


class BodyDetail(BodyBrief):
    organisation_id: int
    seat_rule: str
    house_size: int | None
    voting_rule: str
    created_at: dt.datetime
    dissolved_at: dt.datetime | None
    latest_roll: RollOut | None = Field(description="the latest frozen roll (base units)")
    seats: int = Field(description="current seats in this body")
    receives_from: list[LinkOut]
    sends_to: list[LinkOut]


class MemberRef(Schema):
    public_id: str
    display_name: str


class HolderOut(Schema):
    mandate_id: int
    member: MemberRef
    started_at: dt.datetime


class SeatOut(Schema):
    id: int
    unit: BodyBrief
    number: int
    created_at: dt.datetime
    abolished_at: dt.datetime | None
    holder: HolderOut | None
    weight: str | None = Field(
        description="members represented by this seat, an exact fraction such as '157/2' "
        "(weighted bodies only)"
    )


class SeatPage(Schema):
    items: list[SeatOut]
    count: int


class MandateOut(Schema):
    id: int
    seat_id: int
    seat_number: int
    unit: BodyBrief
    member: MemberRef
    started_at: dt.datetime
    ended_at: dt.datetime | None
    end_reason: str
    source: str


class MandatePage(Schema):
    items: list[MandateOut]
    count: int


class MemberIn(Schema):
    unit_code: str = Field(min_length=1, max_length=80)
    member_ref: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=200)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    joined_on: dt.date


class MemberCreated(Schema):
    public_id: str
    member_ref: str
    display_name: str
    unit_code: str
    joined_on: dt.date


def _brief(b: Body) -> dict[str, Any]:
    return {
        "id": b.pk,
        "code": b.code,
        "name": b.name,
        "kind": b.kind,
        "level": b.level,
        "region": b.region,
    }


@router.get("/organisations", response={200: OrganisationPage, **ERRORS})
def list_organisations(request, page: Query[PageParams]):  # type: ignore[no-untyped-def]
    rows, count = paginate(Organisation.objects.order_by("id"), page.limit, page.offset)
    return {"items": rows, "count": count}


@router.get("/organisations/{organisation_id}", response={200: OrganisationDetail, **ERRORS})
def get_organisation(request, organisation_id: int):  # type: ignore[no-untyped-def]
    org = access_organisation(organisation_id)
    bodies = Body.objects.filter(organisation=org).order_by("id")
    return {
        "id": org.pk,
        "slug": org.slug,
        "name": org.name,
        "created_at": org.created_at,
        "settings": org.settings,
        "bodies": [_brief(b) for b in bodies],
    }


@router.get("/organisations/{organisation_id}/bodies", response={200: BodyPage, **ERRORS})
def list_bodies(  # type: ignore[no-untyped-def]
    request, organisation_id: int, page: Query[PageParams], kind: Body.Kind | None = None
):
    org = access_organisation(organisation_id)
    qs = Body.objects.filter(organisation=org).order_by("id")
    if kind is not None:
        qs = qs.filter(kind=kind)
    rows, count = paginate(qs, page.limit, page.offset)
    return {"items": [_brief(b) for b in rows], "count": count}


@router.get("/bodies/{body_id}", response={200: BodyDetail, **ERRORS})
def get_body(request, body_id: int):  # type: ignore[no-untyped-def]
    body = access_body(body_id)
    roll = Roll.objects.filter(body=body).order_by("-frozen_at").first()
    counts_in = dict(
        Seat.objects.filter(body=body, abolished_at__isnull=True)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    counts_out = dict(
        Seat.objects.filter(unit=body, abolished_at__isnull=True)
        .values_list("body_id")
        .annotate(n=Count("id"))
        .values_list("body_id", "n")
    )
    receives = SeatLink.objects.filter(receiver=body).select_related("sender").order_by("sender_id")
    sends = SeatLink.objects.filter(sender=body).select_related("receiver").order_by("receiver_id")
    return {
        **_brief(body),
        "organisation_id": body.organisation_id,
        "seat_rule": body.seat_rule,
        "house_size": body.house_size,
        "voting_rule": body.voting_rule,
        "created_at": body.created_at,
        "dissolved_at": body.dissolved_at,
        "latest_roll": (
            {
                "id": roll.pk,
                "size": roll.size,
                "frozen_at": roll.frozen_at,
                "commitment": roll.commitment,
            }
            if roll
            else None
        ),
        "seats": sum(counts_in.values()),
        "receives_from": [
            {"body": _brief(link.sender), "seats": counts_in.get(link.sender_id, 0)}
            for link in receives
        ],
        "sends_to": [
            {"body": _brief(link.receiver), "seats": counts_out.get(link.receiver_id, 0)}
            for link in sends
        ],
    }


@router.get("/bodies/{body_id}/seats", response={200: SeatPage, **ERRORS})
def list_seats(  # type: ignore[no-untyped-def]
    request, body_id: int, page: Query[PageParams], include_abolished: bool = False
):
    body = access_body(body_id)
    qs = Seat.objects.filter(body=body)
    if not include_abolished:
        qs = qs.filter(abolished_at__isnull=True)
    qs = (
        qs.select_related("unit")
        .prefetch_related(
            Prefetch(
                "mandates",
                queryset=Mandate.objects.filter(ended_at__isnull=True).select_related("member"),
                to_attr="current",
            )
        )
        .order_by("unit_id", "number", "id")
    )
    rows, count = paginate(qs, page.limit, page.offset)
    weights = seat_weights(body)
    items = []
    for seat in rows:
        holder = seat.current[0] if seat.current else None
        weight = weights.get(seat.unit_id)
        items.append(
            {
                "id": seat.pk,
                "unit": _brief(seat.unit),
                "number": seat.number,
                "created_at": seat.created_at,
                "abolished_at": seat.abolished_at,
                "holder": (
                    {
                        "mandate_id": holder.pk,
                        "member": holder.member,
                        "started_at": holder.started_at,
                    }
                    if holder
                    else None
                ),
                "weight": str(weight) if weight else None,
            }
        )
    return {"items": items, "count": count}


@router.get("/bodies/{body_id}/mandates", response={200: MandatePage, **ERRORS})
def list_mandates(  # type: ignore[no-untyped-def]
    request, body_id: int, page: Query[PageParams], current: bool | None = None
):
    """Mandates in this body, newest first; ``current=true`` only the held ones, ``false`` only
    the ended ones (with their end reason)."""
    body = access_body(body_id)
    qs = Mandate.objects.filter(seat__body=body)
    if current is not None:
        qs = qs.filter(ended_at__isnull=current)
    qs = qs.select_related("member", "seat__unit").order_by("-started_at", "-id")
    rows, count = paginate(qs, page.limit, page.offset)
    return {
        "items": [
            {
                "id": m.pk,
                "seat_id": m.seat_id,
                "seat_number": m.seat.number,
                "unit": _brief(m.seat.unit),
                "member": m.member,
                "started_at": m.started_at,
                "ended_at": m.ended_at,
                "end_reason": m.end_reason,
                "source": m.source,
            }
            for m in rows
        ],
        "count": count,
    }


@router.post(
    "/organisations/{organisation_id}/members",
    response={201: MemberCreated, **ERRORS, 403: ErrorOut, 409: ErrorOut},
    auth=BearerToken(),
)
def add_member(request, organisation_id: int, payload: MemberIn):  # type: ignore[no-untyped-def]
    """Add a member to a base unit (a registrar of the organisation or of that unit)."""
    org = access_organisation(organisation_id)
    member = check_add_member(
        request.auth,
        org,
        unit_code=payload.unit_code,
        member_ref=payload.member_ref.strip(),
        display_name=payload.display_name.strip(),
        joined_on=payload.joined_on,
        phone=payload.phone.strip(),
        email=payload.email.strip(),
    )
    return 201, {
        "public_id": member.public_id,
        "member_ref": member.member_ref,
        "display_name": member.display_name,
        "unit_code": payload.unit_code,
        "joined_on": payload.joined_on,
    }


class ExportProposed(Schema):
    approval_id: int
    expires_at: dt.datetime


@router.post(
    "/organisations/{organisation_id}/units/{code}/export",
    response={202: ExportProposed, **ERRORS, 403: ErrorOut, 409: ErrorOut},
    auth=BearerToken(),
)
def propose_export(request, organisation_id: int, code: str):  # type: ignore[no-untyped-def]
    """Propose exporting a unit's register (an officer who may read it). A different officer
    approves (``POST /approvals/{id}/approve`` with a fresh TOTP code); then the proposer, and
    only they, fetches the CSV once within 15 minutes with ``GET`` on this path."""
    org = access_organisation(organisation_id)
    proposed = check_propose_export_members(request.auth, org, code)
    return 202, {"approval_id": proposed.pk, "expires_at": proposed.expires_at}


@router.get(
    "/organisations/{organisation_id}/units/{code}/export",
    response={200: str, **ERRORS, 403: ErrorOut, 409: ErrorOut},
    auth=BearerToken(),
)
def fetch_export(request, organisation_id: int, code: str, approval: int):  # type: ignore[no-untyped-def]
    """The approved export as CSV, to its proposer, once."""
    access_organisation(organisation_id)
    proposal = access_approval(request.auth, approval)
    if proposal.organisation_id != organisation_id or proposal.params.get("unit_code") != code:
        raise NotFoundOrForbidden("approval")
    rows = check_take_result(request.auth, approval, kind=EXPORT)
    return HttpResponse(rows_to_csv(rows), content_type="text/csv; charset=utf-8")
