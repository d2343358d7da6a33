"""Bodies and the seat links between them (public record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Role, require_role
from asamblea.record.entries.registry import (
    BodyChangedV1,
    BodyCreatedV1,
    BodyPart,
    ChangedBodyPart,
    SeatLinkPart,
    SeatLinkSetV1,
)
from asamblea.registry.actions._shared import SLUG_RE, body_fields
from asamblea.registry.actions.mandates import end_mandate_now
from asamblea.registry.models import (
    Alternate,
    Body,
    Mandate,
    Membership,
    Organisation,
    Seat,
    SeatLink,
)

BODY_CHANGES = frozenset(
    {"name", "level", "region", "seat_rule", "house_size", "voting_rule", "dissolved_at"}
)


def _validate_body_fields(
    kind: str, seat_rule: str, house_size: int | None, voting_rule: str
) -> None:
    if kind not in Body.Kind.values:
        raise ActionError(f"unknown kind {kind!r}", field="kind")
    if seat_rule not in Body.SeatRule.values:
        raise ActionError(f"unknown seat rule {seat_rule!r}", field="seat_rule")
    if voting_rule not in Body.VotingRule.values:
        raise ActionError(f"unknown voting rule {voting_rule!r}", field="voting_rule")
    if seat_rule == Body.SeatRule.LARGEST_REMAINDER and not house_size:
        raise ActionError("largest remainder needs a house size", field="house_size")


def check_create_body(user: Any, organisation: Organisation, **fields: Any) -> Body:
    """A registrar of the whole organisation creates its bodies."""
    require_role(user, organisation, Role.REGISTRAR)
    return do_create_body(user, organisation, **fields)


@door("registry.create_body")
def do_create_body(
    ctx: ActionContext,
    organisation: Organisation,
    *,
    code: str,
    name: str,
    kind: str,
    level: str = "",
    region: str = "",
    seat_rule: str = Body.SeatRule.PER_N,
    house_size: int | None = None,
    voting_rule: str = Body.VotingRule.ONE_DELEGATE_ONE_VOTE,
) -> Body:
    _validate_body_fields(kind, seat_rule, house_size, voting_rule)
    if not SLUG_RE.match(code) or len(code) > 80:
        raise ActionError("a code has 1 to 80 letters, digits, - or _", field="code")
    if not name.strip() or len(name) > 200:
        raise ActionError("a name has 1 to 200 characters", field="name")
    if Body.objects.filter(organisation=organisation, code=code).exists():
        raise ActionError(f"a body with code {code!r} already exists", field="code")
    body = Body.objects.create(
        organisation=organisation,
        code=code,
        name=name,
        kind=kind,
        level=level,
        region=region,
        seat_rule=seat_rule,
        house_size=house_size,
        voting_rule=voting_rule,
        created_at=now(),
    )
    ctx.audit("body.create", body, code=code, kind=kind)
    ctx.record(organisation, BodyCreatedV1(body=BodyPart(**body_fields(body))), body=body)
    return body


def check_change_body(user: Any, body: Body, **changes: Any) -> Body:
    """A registrar of the organisation (or of this body) changes it."""
    require_role(user, body.organisation, Role.REGISTRAR, body)
    return do_change_body(user, body, **changes)


@door("registry.change_body")
def do_change_body(ctx: ActionContext, body: Body, **changes: Any) -> Body:
    """Change a body's name, level, region, seat rule, house size, voting rule or dissolution."""
    unknown = set(changes) - BODY_CHANGES
    if unknown:
        raise ActionError(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    for key, value in changes.items():
        setattr(body, key, value)
    _validate_body_fields(body.kind, body.seat_rule, body.house_size, body.voting_rule)
    body.save()
    ctx.audit("body.change", body, **{k: str(v) for k, v in changes.items()})
    changed = ChangedBodyPart(**body_fields(body), dissolved_at=body.dissolved_at)
    ctx.record(body.organisation, BodyChangedV1(body=changed), body=body)
    return body


def check_dissolve_body(user: Any, body: Body, *, on: dt.date | None = None) -> Body:
    """Dissolving a body is the organisation's registrar's act (never a body-scoped grant)."""
    require_role(user, body.organisation, Role.REGISTRAR)
    return do_dissolve_body(user, body, on=on)


@door("registry.dissolve_body")
def do_dissolve_body(ctx: ActionContext, body: Body, *, on: dt.date | None = None) -> Body:
    """Dissolve a body: its mandates end ("unit_dissolved"), the seats it held and the seats it
    had are abolished, its members' open memberships end; history is kept."""
    if body.dissolved_at is not None:
        raise ActionError("the body is already dissolved", field="body")
    at = now()
    day = on or at.date()
    affected = Seat.objects.filter(abolished_at__isnull=True).filter(
        models.Q(unit=body) | models.Q(body=body)
    )
    for mandate in Mandate.objects.filter(seat__in=affected, ended_at__isnull=True).select_related(
        "seat__body__organisation", "seat__unit", "member"
    ):
        end_mandate_now(ctx, mandate, Mandate.EndReason.UNIT_DISSOLVED, at)
    affected.update(abolished_at=at)
    Alternate.objects.filter(
        models.Q(unit=body) | models.Q(body=body), used_at__isnull=True
    ).update(used_at=at)
    Membership.objects.filter(unit=body, left_on__isnull=True).update(
        left_on=day, end_reason=Membership.EndReason.UNIT_DISSOLVED
    )
    return do_change_body(ctx, body, dissolved_at=at)


def _reaches(start: Body, goal: Body) -> bool:
    """Whether ``goal`` is reachable from ``start`` along sender -> receiver links."""
    seen = {start.pk}
    frontier = [start.pk]
    while frontier:
        nxt = list(
            SeatLink.objects.filter(sender_id__in=frontier).values_list("receiver_id", flat=True)
        )
        if goal.pk in nxt:
            return True
        frontier = [pk for pk in nxt if pk not in seen]
        seen.update(frontier)
    return False


def check_link_bodies(user: Any, sender: Body, receiver: Body, **parameters: Any) -> SeatLink:
    """A registrar of the organisation (or of the receiving body) sets its seat links."""
    require_role(user, receiver.organisation, Role.REGISTRAR, receiver)
    return do_link_bodies(user, sender, receiver, **parameters)


@door("registry.link_bodies")
def do_link_bodies(
    ctx: ActionContext,
    sender: Body,
    receiver: Body,
    *,
    members_per_seat: int | None = None,
    minimum_seats: int = 1,
    fixed_seats: int | None = None,
) -> SeatLink:
    """``sender`` sends delegates to ``receiver``; creates or updates the link's parameters."""
    if sender.organisation_id != receiver.organisation_id:
        raise ActionError("both bodies must belong to one organisation", field="receiver")
    if sender.pk == receiver.pk:
        raise ActionError("a body cannot send seats to itself", field="receiver")
    if receiver.is_base_unit:
        raise ActionError("a base unit receives no seats", field="receiver")
    if receiver.seat_rule == Body.SeatRule.PER_N and not members_per_seat:
        raise ActionError("one seat per N members needs N", field="members_per_seat")
    if receiver.seat_rule == Body.SeatRule.FIXED and fixed_seats is None:
        raise ActionError("a fixed seat rule needs the number of seats", field="fixed_seats")
    if _reaches(receiver, sender):
        raise ActionError("the link would make a cycle of bodies", field="receiver")
    link, _ = SeatLink.objects.update_or_create(
        sender=sender,
        receiver=receiver,
        defaults={
            "members_per_seat": members_per_seat,
            "minimum_seats": minimum_seats,
            "fixed_seats": fixed_seats,
        },
    )
    ctx.audit("body.link", link, sender=sender.code, receiver=receiver.code)
    part = SeatLinkPart(
        sender=sender.code,
        receiver=receiver.code,
        members_per_seat=members_per_seat,
        minimum_seats=minimum_seats,
        fixed_seats=fixed_seats,
    )
    ctx.record(receiver.organisation, SeatLinkSetV1(link=part), body=receiver)
    return link
