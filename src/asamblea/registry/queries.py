"""The registry's read side, shared by pages, API and command line."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

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

SEATS_PER_PAGE = 100
# A name searched among a body's seats: at most this many characters.
FIND_MAX = 100
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


def _seat_cursor(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) <= 18 else None


def seat_page(
    b: Body,
    *,
    after: str | None = None,
    before: str | None = None,
    find: str = "",
    limit: int = SEATS_PER_PAGE,
) -> dict[str, Any]:
    """One keyset page of ``b``'s seats in order of sending unit (name, id) and number, each with
    its holder, as plain values (no model per row): after the seat ``after`` or before ``before``,
    and with ``find`` only the seats whose unit's or holder's name contains it.

    Keyset, never ``OFFSET``, and no count: the body's totals come from its per-unit counts. A
    cursor that is not a seat of the body starts from the beginning. Three queries at most.
    """
    seats = Seat.objects.filter(body=b, abolished_at__isnull=True)
    find = find.strip()[:FIND_MAX]
    if find:
        holder = Mandate.objects.filter(
            seat=OuterRef("pk"), ended_at__isnull=True, member__display_name__icontains=find
        )
        seats = seats.filter(Q(unit__name__icontains=find) | Exists(holder))
    end = _seat_cursor(before)
    cursor = end if end is not None else _seat_cursor(after)
    key = (
        Seat.objects.filter(body=b, pk=cursor)
        .values_list("unit__name", "unit_id", "number")
        .first()
        if cursor is not None
        else None
    )
    order = ["unit__name", "unit_id", "number"]
    backwards = key is not None and end is not None
    if key is not None:
        name, unit, number = key
        if backwards:
            seats = seats.filter(unit__name__lte=name).filter(
                Q(unit__name__lt=name)
                | Q(unit__name=name, unit_id__lt=unit)
                | Q(unit__name=name, unit_id=unit, number__lt=number)
            )
            order = ["-unit__name", "-unit_id", "-number"]
        else:
            seats = seats.filter(unit__name__gte=name).filter(
                Q(unit__name__gt=name)
                | Q(unit__name=name, unit_id__gt=unit)
                | Q(unit__name=name, unit_id=unit, number__gt=number)
            )
    found = list(
        seats.order_by(*order).values_list("pk", "unit_id", "unit__code", "unit__name", "number")[
            : limit + 1
        ]
    )
    shown = found[:limit]
    if backwards:
        shown.reverse()
    holders = {
        seat_id: (name, public_id, started_at)
        for seat_id, name, public_id, started_at in Mandate.objects.filter(
            seat_id__in=[row[0] for row in shown], ended_at__isnull=True
        ).values_list("seat_id", "member__display_name", "member__public_id", "started_at")
    }
    rows = []
    for seat_id, unit_id, code, unit_name, number in shown:
        holder = holders.get(seat_id)
        rows.append(
            {
                "seat_id": seat_id,
                "unit_id": unit_id,
                "unit_code": code,
                "unit_name": unit_name,
                "number": number,
                "holder": holder[0] if holder else None,
                "public_id": holder[1] if holder else None,
                "since": holder[2] if holder else None,
            }
        )
    more = len(found) > limit
    return {
        "rows": rows,
        "find": find,
        "first": shown[0][0] if shown else None,
        "last": shown[-1][0] if shown else None,
        "has_previous": more if backwards else key is not None,
        "has_next": True if backwards else more,
    }


def body_overview(
    b: Body, *, after: str | None = None, before: str | None = None, find: str = ""
) -> dict[str, Any]:
    """Everything the body page shows: the latest roll, who sends seats and who holds them (one
    keyset page of seats, :func:`seat_page`), the alternates, the last ended mandates, and where
    the body sends delegates.

    A fixed number of queries whatever the size of the body (a test counts them).
    """
    roll = Roll.objects.filter(body=b).order_by("-frozen_at").only("size", "frozen_at").first()
    receives_from = list(
        SeatLink.objects.filter(receiver=b).select_related("sender").order_by("sender__name")
    )
    sends_to = list(
        SeatLink.objects.filter(sender=b).select_related("receiver").order_by("receiver__name")
    )
    # (population, seats) per sending unit, as values: a national assembly has 1,000 senders,
    # and only the page's few need a weight.
    allocations = {
        sender: (population, seats)
        for sender, population, seats in Allocation.objects.filter(
            apportionment__receiver=b, apportionment__is_current=True
        ).values_list("sender_id", "population", "seats")
    }
    weighted = b.voting_rule == Body.VotingRule.WEIGHTED
    current = Prefetch(
        "mandates",
        queryset=Mandate.objects.filter(ended_at__isnull=True).select_related("member"),
        to_attr="current",
    )
    page = seat_page(b, after=after, before=before, find=find)
    seat_rows = page["rows"]
    for row in seat_rows:
        population, seats = allocations.get(row["unit_id"], (0, 0))
        row["weight"] = (
            weights.seat_weight(weighted=True, population=population, seats=seats)
            if weighted and seats
            else None
        )
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
        "seat_total": sum(row["n"] for row in seat_counts.values()),
        "filled_total": sum(row["filled"] for row in seat_counts.values()),
        "alternates": alternates,
        "history": history,
        "population": sum(p for p, _seats in allocations.values()) if allocations else None,
    }
