"""Apportionment: the seats each sender holds in a body, from the frozen rolls."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Role, require_role
from asamblea.record.entries.registry import (
    AllocationPart,
    ApportionmentPart,
    SeatsApportionedV1,
    TiePart,
)
from asamblea.registry.actions._shared import BULK_BATCH
from asamblea.registry.actions.mandates import end_mandate_now
from asamblea.registry.models import (
    Allocation,
    Apportionment,
    Body,
    Mandate,
    Roll,
    Seat,
    SeatLink,
)
from asamblea.registry.queries import latest_roll
from asamblea.rules import apportionment as rules_apportionment


@dataclass
class SenderShare:
    sender: Body
    link: SeatLink
    population: int
    roll: Roll | None


@dataclass
class ComputedApportionment:
    body: Body
    shares: list[SenderShare]
    result: rules_apportionment.ApportionmentResult

    def as_dict(self) -> dict[str, Any]:
        return {
            "body": self.body.code,
            "rule": self.result.rule,
            "house_size": self.result.house_size,
            "total_seats": self.result.total_seats,
            "seed": self.result.seed,
            "ties": [t.as_dict() for t in self.result.ties],
            "allocations": [
                {
                    "sender": s.sender.code,
                    "roll_id": s.roll.pk if s.roll else None,
                    "population": s.population,
                    "seats": self.result.seats[s.sender.code],
                }
                for s in self.shares
            ],
        }


def represented_population(body: Body) -> int:
    """Members a sender represents: its latest frozen roll (base unit), or, for an assembly or
    committee, the sum of the populations of its own senders' current allocations."""
    if body.is_base_unit:
        roll = latest_roll(body)
        if roll is None:
            raise ActionError(f"{body.code} has no frozen roll yet", field="sender")
        return roll.size
    current = body.apportionments.filter(is_current=True).first()
    if current is None:
        raise ActionError(f"{body.code} has no seats apportioned yet", field="sender")
    return sum(current.allocations.values_list("population", flat=True))


def compute_apportionment(body: Body, *, seed: str | None = None) -> ComputedApportionment:
    """Read-only: the apportionment the body's rule gives from the senders' latest rolls."""
    links = list(
        SeatLink.objects.filter(receiver=body, sender__dissolved_at__isnull=True)
        .select_related("sender")
        .order_by("sender__code")
    )
    shares: list[SenderShare] = []
    for link in links:
        roll = latest_roll(link.sender) if link.sender.is_base_unit else None
        shares.append(SenderShare(link.sender, link, represented_population(link.sender), roll))
    inputs = {
        s.sender.code: rules_apportionment.Share(
            population=s.population,
            members_per_seat=s.link.members_per_seat,
            minimum_seats=s.link.minimum_seats,
            fixed_seats=s.link.fixed_seats,
        )
        for s in shares
    }
    if seed is None:
        # The seed is published with the apportionment; it is derived from public facts only
        # (the body and its senders' populations), so anyone can check the draw.
        facts = f"{body.organisation.slug}:{body.code}:" + ",".join(
            f"{s.sender.code}={s.population}" for s in shares
        )
        seed = "sha256:" + hashlib.sha256(facts.encode("utf-8")).hexdigest()
    elif not seed or len(seed) > 200:
        raise ActionError("the seed must have 1 to 200 characters", field="seed")
    try:
        result = rules_apportionment.apportion(
            body.seat_rule, inputs, house_size=body.house_size, seed=seed
        )
    except ValueError as exc:
        raise ActionError(str(exc), field="seat_rule") from exc
    return ComputedApportionment(body, shares, result)


def check_apportion(user: Any, body: Body, *, seed: str | None = None) -> Apportionment:
    """A registrar of the organisation (or of the receiving body) applies its apportionment."""
    require_role(user, body.organisation, Role.REGISTRAR, body)
    return do_apportion(user, body, seed=seed)


@door("registry.apportion")
def do_apportion(ctx: ActionContext, body: Body, *, seed: str | None = None) -> Apportionment:
    """Compute the body's seats from the latest rolls and make them current.

    Seats are created or abolished per sender to match; a mandate on an abolished seat ends
    ("seat_abolished"). Seat numbers are stable: a sender's seats are 1..n, the highest go first.
    """
    computed = compute_apportionment(body, seed=seed)
    at = now()
    Apportionment.objects.filter(receiver=body, is_current=True).update(is_current=False)
    appt = Apportionment.objects.create(
        receiver=body,
        computed_at=at,
        rule=computed.result.rule,
        house_size=computed.result.house_size,
        total_seats=computed.result.total_seats,
        is_current=True,
        seed=computed.result.seed or "",
        draws=[t.as_dict() for t in computed.result.ties],
    )
    Allocation.objects.bulk_create(
        [
            Allocation(
                apportionment=appt,
                sender=s.sender,
                roll=s.roll,
                population=s.population,
                seats=computed.result.seats[s.sender.code],
            )
            for s in computed.shares
        ]
    )
    wanted = {s.sender.pk: computed.result.seats[s.sender.code] for s in computed.shares}
    seats = list(Seat.objects.filter(body=body).select_related("unit"))
    by_unit: dict[int, dict[int, Seat]] = {}
    for seat in seats:
        by_unit.setdefault(seat.unit_id, {})[seat.number] = seat
    to_create: list[Seat] = []
    for unit_id in set(wanted) | set(by_unit):
        n = wanted.get(unit_id, 0)
        existing = by_unit.get(unit_id, {})
        for number in range(1, n + 1):
            seat = existing.get(number)
            if seat is None:
                to_create.append(Seat(body=body, unit_id=unit_id, number=number, created_at=at))
            elif seat.abolished_at is not None:
                Seat.objects.filter(pk=seat.pk).update(abolished_at=None)
        for number, seat in existing.items():
            if number > n and seat.abolished_at is None:
                for mandate in seat.mandates.filter(ended_at__isnull=True):
                    end_mandate_now(ctx, mandate, Mandate.EndReason.SEAT_ABOLISHED, at)
                Seat.objects.filter(pk=seat.pk).update(abolished_at=at)
    Seat.objects.bulk_create(to_create, batch_size=BULK_BATCH)
    ctx.audit("seats.apportion", appt, body=body.code, total_seats=appt.total_seats)
    part = ApportionmentPart(
        id=appt.pk,
        body=body.code,
        rule=appt.rule,
        house_size=appt.house_size,
        total_seats=appt.total_seats,
        allocations=[AllocationPart(**a) for a in computed.as_dict()["allocations"]],
        seed=appt.seed,
        ties=[TiePart(**t) for t in appt.draws],
    )
    ctx.record(body.organisation, SeatsApportionedV1(apportionment=part), body=body)
    return appt
