"""Frozen rolls: the members eligible in a unit at a stated moment."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.record.commitment import roll_commitment
from asamblea.registry.actions._shared import (
    BULK_BATCH,
    _chunks,
    _insert_rows,
    _record,
    timestamp,
)
from asamblea.registry.models import (
    Body,
    Member,
    Roll,
    RollEntry,
)
from asamblea.registry.queries import (
    eligible_member_ids,
)


@transaction.atomic
def do_freeze_roll(actor: Any, unit: Body, *, purpose: str = "") -> Roll:
    """Freeze the unit's eligible members now: roll, entries and commitment in one transaction."""
    if not unit.is_base_unit:
        raise ActionError("rolls are frozen for base units", field="unit")
    if unit.dissolved_at is not None:
        raise ActionError("the unit is dissolved", field="unit")
    at = now()
    member_ids = eligible_member_ids(unit, at.date())
    public_ids: list[str] = []
    for chunk in _chunks(member_ids):
        public_ids.extend(Member.objects.filter(pk__in=chunk).values_list("public_id", flat=True))
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
    audit(actor, "roll.freeze", roll, unit=unit.code, size=roll.size, purpose=roll.purpose)
    _record(
        unit.organisation,
        "roll_frozen",
        {
            "roll": {
                "id": roll.pk,
                "body": unit.code,
                "frozen_at": timestamp(at),
                "purpose": roll.purpose,
                "size": roll.size,
                "commitment": roll.commitment,
            }
        },
        body=unit,
    )
    return roll
