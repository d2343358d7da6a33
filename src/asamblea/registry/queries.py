"""The registry's read side, shared by pages, API and command line."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from django.db.models import OuterRef, QuerySet, Subquery

from asamblea.registry.models import (
    Allocation,
    Alternate,
    Apportionment,
    Body,
    Mandate,
    Member,
    Membership,
    Roll,
)
from asamblea.rules import weights


def open_membership(member: Member) -> Membership | None:
    return member.memberships.filter(left_on__isnull=True).select_related("unit").first()


def eligible_member_ids(unit: Body, on: dt.date) -> list[int]:
    """Members with an open membership of ``unit`` that began on or before ``on``."""
    return list(
        Membership.objects.filter(unit=unit, left_on__isnull=True, joined_on__lte=on)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )


def latest_roll(unit: Body) -> Roll | None:
    return unit.rolls.order_by("-frozen_at", "-pk").first()


def current_apportionment(body: Body) -> Apportionment | None:
    return body.apportionments.filter(is_current=True).prefetch_related("allocations").first()


def current_mandates(body: Body) -> QuerySet[Mandate]:
    """Mandates held now in ``body`` (open, on seats that are not abolished)."""
    return (
        Mandate.objects.filter(
            seat__body=body, ended_at__isnull=True, seat__abolished_at__isnull=True
        )
        .select_related("member", "seat", "seat__unit")
        .order_by("seat__unit__code", "seat__number")
    )


def seat_weight(body: Body, unit: Body) -> Fraction:
    """Members represented by each of ``unit``'s seats in ``body`` (current allocation), by the
    one seat-weight rule; 0 where the body has no current allocation for ``unit``."""
    allocation = Allocation.objects.filter(
        apportionment__receiver=body, apportionment__is_current=True, sender=unit
    ).first()
    if allocation is None:
        return Fraction(0)
    try:
        return weights.seat_weight(
            weighted=True, population=allocation.population, seats=allocation.seats
        )
    except weights.NoApportionment:
        return Fraction(0)


def mandate_weight(mandate: Mandate) -> Fraction:
    """The weight of a mandate's vote: 1 in a one-delegate-one-vote body; in a weighted body,
    the sender's population divided by its seats in the current allocation (exact), 0 without
    one."""
    seat = mandate.seat
    body = seat.body
    if body.voting_rule != Body.VotingRule.WEIGHTED:
        return weights.seat_weight(weighted=False, population=None, seats=None)
    return seat_weight(body, seat.unit)


def current_alternates(body: Body, unit: Body) -> QuerySet[Alternate]:
    return (
        Alternate.objects.filter(body=body, unit=unit, used_at__isnull=True)
        .select_related("member")
        .order_by("position")
    )


def latest_roll_size() -> Subquery:
    """The size of a body's latest frozen roll, as a subquery to annotate bodies with."""
    return Subquery(
        Roll.objects.filter(body=OuterRef("pk")).order_by("-frozen_at").values("size")[:1]
    )


def current_allocations(body: Body) -> list[Allocation]:
    """The allocations of ``body``'s current apportionment (one per sending body)."""
    return list(
        Allocation.objects.filter(apportionment__receiver=body, apportionment__is_current=True)
    )


def seat_weights(body: Body, allocations: list[Allocation] | None = None) -> dict[int, Fraction]:
    """Weight of one seat of each sending body (by id) in ``body``, by the one seat-weight rule.

    Empty for a one-delegate-one-vote body (every seat weighs 1 and no weight is shown); senders
    without seats are left out. Pass ``allocations`` when the caller has read them already.
    """
    if body.voting_rule != Body.VotingRule.WEIGHTED:
        return {}
    rows = current_allocations(body) if allocations is None else allocations
    return weights.unit_weights(
        weighted=True, allocations={a.sender_id: (a.population, a.seats) for a in rows if a.seats}
    )


def current_seats_by_sender(body: Body) -> dict[str, int]:
    """Seats each sender holds in ``body``'s current apportionment, by the sender's code."""
    return dict(
        Allocation.objects.filter(
            apportionment__receiver=body, apportionment__is_current=True
        ).values_list("sender__code", "seats")
    )
