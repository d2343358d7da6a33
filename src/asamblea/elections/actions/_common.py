"""Helpers shared by the election actions: the record, times, locks, rolls, notifications."""

from __future__ import annotations

import secrets
from typing import Any

from django.db.models import Q

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.outbox import queue_email
from asamblea.elections.models import (
    Election,
)
from asamblea.recordstore.append import append
from asamblea.registry import actions as registry
from asamblea.registry.models import (
    Body,
    Member,
    Membership,
    OfficerRole,
    Organisation,
    Roll,
    RollEntry,
)

RECORD_VERSION = 1


State = Election.State


def is_officer(
    user: Any, organisation: Organisation, body: Body | None = None, *roles: str
) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    roles = roles or (OfficerRole.Role.ELECTION_OFFICER,)
    q = OfficerRole.objects.filter(user=user, organisation=organisation, role__in=roles)
    if body is not None:
        q = q.filter(Q(body__isnull=True) | Q(body=body))
    return q.exists()


def _require_officer(user: Any, organisation: Organisation, body: Body | None, *roles: str) -> None:
    if not is_officer(user, organisation, body, *roles):
        raise ActionError("only an election officer may do this", code="forbidden")


def _record(election_or_org: Any, entry_type: str, payload: dict[str, Any], body: Body | None):  # type: ignore[no-untyped-def]
    org = getattr(election_or_org, "organisation", election_or_org)
    return append(org, entry_type, RECORD_VERSION, payload, body=body)


def _open_members(unit: Body) -> list[Member]:
    today = now().date()
    return list(
        Member.objects.filter(
            memberships__unit=unit,
            memberships__left_on__isnull=True,
            memberships__joined_on__lte=today,
        ).order_by("pk")
    )


def freeze_roll(actor: Any, unit: Body, purpose: str) -> Roll:
    """The roll frozen now, inside the caller's transaction.

    A base unit's roll is its members (registry-core). A lower assembly holding an election
    votes by its current delegates: their roll is frozen here in the same form and entry.
    """
    if unit.is_base_unit:
        return registry.do_freeze_roll(actor, unit, purpose=purpose)
    from asamblea.record.commitment import roll_commitment

    member_ids = sorted(set(registry.current_mandates(unit).values_list("member_id", flat=True)))
    members = list(Member.objects.filter(pk__in=member_ids).order_by("pk"))
    at = now()
    salt = secrets.token_hex(32)
    roll = Roll(
        body=unit,
        frozen_at=at,
        purpose=purpose[:200],
        size=len(members),
        salt=salt,
        commitment=roll_commitment(salt, [m.public_id for m in members]),
    )
    roll.save(force_insert=True)
    RollEntry.objects.bulk_create([RollEntry(roll=roll, member=m) for m in members])
    audit(actor, "roll.freeze", roll, unit=unit.code, size=roll.size, purpose=roll.purpose)
    _record(
        unit.organisation,
        "roll_frozen",
        {
            "roll": {
                "id": roll.pk,
                "body": unit.code,
                "frozen_at": registry.timestamp(at),
                "purpose": roll.purpose,
                "size": roll.size,
                "commitment": roll.commitment,
            }
        },
        unit,
    )
    return roll


def _locked(election: Election) -> Election:
    return (
        Election.objects.select_for_update()
        .select_related("organisation", "unit", "body")
        .get(pk=election.pk)
    )


def _is_member_of(member: Member, unit: Body) -> bool:
    """A member of a base unit; for an assembly, one of its current delegates."""
    if unit.is_base_unit:
        return Membership.objects.filter(member=member, unit=unit, left_on__isnull=True).exists()
    return registry.current_mandates(unit).filter(member=member).exists()


def _notify_unit(election_or_unit: Any, subject: str, body: str, roll: Roll | None = None) -> None:
    if roll is not None:
        emails = (
            RollEntry.objects.filter(roll=roll)
            .exclude(member__email="")
            .values_list("member__email", flat=True)
        )
    else:
        emails = [m.email for m in _open_members(election_or_unit) if m.email]
    for email in emails:
        queue_email(email, subject, body)
