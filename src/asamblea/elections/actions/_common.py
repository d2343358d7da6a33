"""Helpers shared by the election actions: who is an officer of an election, locks, rolls,
nested registry actions, notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from asamblea.core.action import ActionContext
from asamblea.core.clock import now
from asamblea.core.mail import member_language, queue_translated
from asamblea.core.permissions import Forbidden, Role, has_role
from asamblea.elections.models import Election
from asamblea.registry import actions as registry
from asamblea.registry.models import Body, Member, Membership, Organisation, Roll
from asamblea.rules import ballots as counting

State = Election.State
R = TypeVar("R")


def holds_office(user: Any, organisation: Organisation, roles: Any, *bodies: Body | None) -> bool:
    """Whether ``user`` holds one of ``roles`` for the whole organisation or for one of
    ``bodies`` (an election's unit or the body it elects to), through the one predicate."""
    scopes: list[Body | None] = [b for b in bodies if b is not None] or [None]
    return any(has_role(user, organisation, roles, body) for body in scopes)


def require_election_officer(user: Any, organisation: Organisation, *bodies: Body | None) -> None:
    if not holds_office(user, organisation, Role.ELECTION_OFFICER, *bodies):
        raise Forbidden("only an election officer may do this")


def require_officer_of(user: Any, election: Election) -> None:
    """An election officer of the election's organisation, its unit or the body it elects to."""
    require_election_officer(user, election.organisation, election.unit, election.body)


def nested(ctx: ActionContext, action: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run another app's action (a door) inside this one's transaction; it owes its own entries."""
    if not hasattr(action, "action_name"):
        raise TypeError(f"{getattr(action, '__name__', action)} is not an action (no door)")
    return action(ctx, *args, **kwargs)


def open_members(unit: Body) -> list[Member]:
    today = now().date()
    return list(
        Member.objects.filter(
            memberships__unit=unit,
            memberships__left_on__isnull=True,
            memberships__joined_on__lte=today,
        ).order_by("pk")
    )


def freeze_roll(ctx: ActionContext, unit: Body, purpose: str) -> Roll:
    """The roll frozen now, inside the caller's transaction: the registry's one action (a base
    unit's members, or a lower assembly's current delegates)."""
    return nested(ctx, registry.do_freeze_roll, unit, purpose=purpose)


def locked(election: Election) -> Election:
    return (
        Election.objects.select_for_update()
        .select_related("organisation", "unit", "body")
        .get(pk=election.pk)
    )


def is_member_of(member: Member, unit: Body) -> bool:
    """A member of a base unit; for an assembly, one of its current delegates."""
    if unit.is_base_unit:
        return Membership.objects.filter(member=member, unit=unit, left_on__isnull=True).exists()
    return registry.current_mandates(unit).filter(member=member).exists()


def own_member(user: Any) -> Member | None:
    """The member record of a signed-in user, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.filter(user=user).first()


def notify_unit(
    unit: Body,
    subject: str,
    body: str,
    roll: Roll | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Mail the unit's members (those on ``roll`` when given), each in their own language:
    ``subject`` and ``body`` are catalogue ids (marked with gettext_noop) with ``params``."""
    if roll is not None:
        members: Any = (
            Member.objects.filter(roll_entries__roll=roll)
            .exclude(email="")
            .select_related("organisation")
        )
    else:
        members = (
            Member.objects.filter(memberships__unit=unit, memberships__left_on__isnull=True)
            .exclude(email="")
            .select_related("organisation")
        )
    for member in members:
        queue_translated(member.email, member_language(member), subject, body, params)


def count_ballots(election: Election, keys: list[str], ballots: list[Any]) -> dict[str, Any]:
    """The count of plain ballots (or decrypted rankings) under the election's own method,
    seats, seed, rules and roll size."""
    return counting.count(
        election.method,
        keys,
        ballots,
        seats=election.seats,
        seed=election.seed,
        rules=election.rules,
        roll_size=election.roll.size if election.roll else 0,
    )
