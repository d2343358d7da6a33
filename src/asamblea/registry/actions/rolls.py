"""Frozen rolls: who may vote or sign in a body, fixed at a stated moment.

The one place a roll is frozen. A base unit's roll is its members; a lower assembly or committee
holding an election votes by its current delegates, and their roll is frozen here in the same
form and entry. Elections freeze the roll of a vote as a nested action (``do_freeze_roll(ctx,
...)``), so the roll and the vote that counts against it commit together.
"""

from __future__ import annotations

import secrets
from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Role, require_role
from asamblea.record.commitment import roll_commitment
from asamblea.record.entries.registry import RollFrozenV1, RollPart
from asamblea.registry.actions._shared import BULK_BATCH, _chunks, _insert_rows
from asamblea.registry.models import Body, Member, Roll, RollEntry
from asamblea.registry.queries import current_mandates, eligible_member_ids

# Who may freeze a roll by hand (a vote freezes its own roll inside its action).
FREEZE_ROLES = (Role.REGISTRAR, Role.ELECTION_OFFICER)


def check_freeze_roll(user: Any, unit: Body, *, purpose: str = "") -> Roll:
    """A registrar or election officer of the organisation (or of this body) freezes its roll."""
    require_role(user, unit.organisation, FREEZE_ROLES, unit)
    if len(purpose) > 200:
        raise ActionError("a purpose has at most 200 characters", field="purpose")
    return do_freeze_roll(user, unit, purpose=purpose)


def _eligible_ids(unit: Body) -> list[int]:
    if unit.is_base_unit:
        return eligible_member_ids(unit, now().date())
    return sorted(set(current_mandates(unit).values_list("member_id", flat=True)))


@door("registry.freeze_roll")
def do_freeze_roll(ctx: ActionContext, unit: Body, *, purpose: str = "") -> Roll:
    """Freeze ``unit``'s roll now: roll, entries and commitment in one transaction.

    A base unit: its members with an open membership that began on or before today. An assembly
    or committee: its current delegates. The record gets the size and a hiding commitment.
    """
    if unit.dissolved_at is not None:
        raise ActionError("the unit is dissolved", field="unit")
    at = now()
    member_ids = _eligible_ids(unit)
    public_ids: list[str] = []
    for chunk in _chunks(member_ids):
        public_ids.extend(
            Member.objects.filter(pk__in=chunk).order_by("pk").values_list("public_id", flat=True)
        )
    salt = secrets.token_hex(32)
    roll = Roll(
        body=unit,
        frozen_at=at,
        purpose=purpose[:200],
        size=len(member_ids),
        salt=salt,
        commitment=roll_commitment(salt, public_ids),
    )
    roll.save(force_insert=True)
    for chunk in _chunks(member_ids, BULK_BATCH * 4):
        _insert_rows(RollEntry, ["roll", "member"], [(roll.pk, mid) for mid in chunk])
    ctx.audit("roll.freeze", roll, unit=unit.code, size=roll.size, purpose=roll.purpose)
    part = RollPart(
        id=roll.pk,
        body=unit.code,
        purpose=roll.purpose,
        size=roll.size,
        commitment=roll.commitment,
        frozen_at=at,
    )
    ctx.record(unit.organisation, RollFrozenV1(roll=part), body=unit)
    return roll
