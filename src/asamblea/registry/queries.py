"""The registry's read side, shared by pages, API and command line."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from asamblea.registry.models import (
    Allocation,
    Alternate,
    Apportionment,
    Body,
    Mandate,
    Member,
    Membership,
    Roll,
    Seat,
    SeatLink,
)
from asamblea.rules import weights

SEATS_PER_PAGE = 200
HISTORY_ROWS = 50


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


def body_overview(b: Body, page_number: Any = None) -> dict[str, Any]:
    """Everything the body page shows: the latest roll, who sends seats and who holds them (one
    page of seats), the alternates, the last ended mandates, and where the body sends delegates.

    A fixed number of queries whatever the size of the body (a test counts them).
    """
    roll = Roll.objects.filter(body=b).order_by("-frozen_at").only("size", "frozen_at").first()
    receives_from = list(
        SeatLink.objects.filter(receiver=b).select_related("sender").order_by("sender__name")
    )
    sends_to = list(
        SeatLink.objects.filter(sender=b).select_related("receiver").order_by("receiver__name")
    )
    allocations = current_allocations(b)
    weights = seat_weights(b, allocations)
    current = Prefetch(
        "mandates",
        queryset=Mandate.objects.filter(ended_at__isnull=True).select_related("member"),
        to_attr="current",
    )
    seats_qs = (
        Seat.objects.filter(body=b, abolished_at__isnull=True)
        .select_related("unit")
        .prefetch_related(current)
        .order_by("unit__name", "unit_id", "number")
    )
    page = Paginator(seats_qs, SEATS_PER_PAGE).get_page(page_number)
    seat_rows = []
    for seat in page.object_list:
        holder = seat.current[0] if seat.current else None
        weight = weights.get(seat.unit_id)
        seat_rows.append({"seat": seat, "mandate": holder, "weight": weight})
    seat_counts = {
        row["unit_id"]: row
        for row in Seat.objects.filter(body=b, abolished_at__isnull=True)
        .values("unit_id")
        .annotate(
            n=Count("id", distinct=True),
            filled=Count("mandates", filter=Q(mandates__ended_at__isnull=True)),
        )
    }
    for link in receives_from:
        row = seat_counts.get(link.sender_id, {})
        link.seat_count = row.get("n", 0)  # type: ignore[attr-defined]
        link.filled_count = row.get("filled", 0)  # type: ignore[attr-defined]
    alternates = list(
        Alternate.objects.filter(body=b, used_at__isnull=True)
        .select_related("unit", "member")
        .order_by("unit__name", "unit_id", "position")
    )
    history = list(
        Mandate.objects.filter(seat__body=b, ended_at__isnull=False)
        .select_related("member", "seat__unit")
        .order_by("-ended_at", "-pk")[:HISTORY_ROWS]
    )
    # Where this body sends delegates: its seats in each receiving body, and who holds them.
    held = list(
        Seat.objects.filter(unit=b, abolished_at__isnull=True)
        .select_related("body")
        .prefetch_related(current)
        .order_by("body__name", "number")
    )
    delegations: dict[int, dict[str, Any]] = {}
    for link in sends_to:
        delegations[link.receiver_id] = {"body": link.receiver, "seats": [], "alternates": []}
    for seat in held:
        d = delegations.setdefault(seat.body_id, {"body": seat.body, "seats": [], "alternates": []})
        d["seats"].append({"seat": seat, "mandate": seat.current[0] if seat.current else None})
    for alt in (
        Alternate.objects.filter(unit=b, used_at__isnull=True)
        .select_related("member")
        .order_by("body_id", "position")
    ):
        if alt.body_id in delegations:
            delegations[alt.body_id]["alternates"].append(alt)
    return {
        "roll": roll,
        "receives_from": receives_from,
        "delegations": list(delegations.values()),
        "page": page,
        "seat_rows": seat_rows,
        "seat_total": page.paginator.count,
        "filled_total": sum(row["filled"] for row in seat_counts.values()),
        "alternates": alternates,
        "history": history,
        "population": sum(a.population for a in allocations) if allocations else None,
    }
