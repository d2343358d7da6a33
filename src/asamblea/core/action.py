"""The action context: the one door every change of state goes through.

A ``do_*`` function is declared with :func:`door`::

    @door("election.open")
    def do_open_election(ctx: ActionContext, election: Election) -> Opened:
        ...
        ctx.audit("election.open", election, voters=n)
        ctx.record(election.organisation, ElectionOpened(...), body=election.unit)

and called with an actor (or, from inside another action, with its context)::

    do_open_election(user, election)

The door opens one transaction, carries the authenticated actor, writes the audit and record
entries inside that transaction and runs notifications after it commits. It refuses, and rolls
back, a *public* action that wrote no record entry (unless it said ``ctx.unchanged()``): forgetting
the public record cannot pass silently. Private actions (casting a ballot, signing a petition)
are declared with ``private=`` and the reason; :data:`PRIVATE_ACTIONS` lists them all, and the
README repeats that list.

Who may act is decided before the door, in ``check_*`` through :mod:`asamblea.core.permissions`;
the door only refuses actors that are not people or operators (no string actors).
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ParamSpec, Protocol, TypeVar

from django.db import transaction

from asamblea.core.audit import audit as write_audit
from asamblea.core.permissions import is_active_user


@dataclass(frozen=True)
class Operator:
    """Whoever runs a trusted operator verb on the server itself (``migrate``, ``manage``, key
    backup and restore, creating the first platform operator), named by the operating-system
    user. Trusted because they already hold the machine; never used for organisation work."""

    os_user: str

    @classmethod
    def current(cls) -> Operator:
        return cls(getpass.getuser())

    def get_username(self) -> str:
        return f"operator:{self.os_user}"

    def __str__(self) -> str:
        return self.get_username()


@dataclass(frozen=True)
class System:
    """The platform itself acting on a schedule or a rule (a petition expiring at its deadline, a
    recall vote opening at its threshold, the demo loader). ``why`` says which."""

    why: str

    def get_username(self) -> str:
        return f"system:{self.why}"

    def __str__(self) -> str:
        return self.get_username()


SYSTEM = System("rule")


class RecordWriter(Protocol):
    def __call__(
        self,
        organisation: Any,
        entry_type: str,
        version: int,
        payload: dict[str, Any],
        *,
        body: Any,
    ) -> Any: ...


_record_writer: RecordWriter | None = None
_record_finisher: Callable[[set[int]], None] | None = None


def set_record_writer(
    writer: RecordWriter, finisher: Callable[[set[int]], None] | None = None
) -> None:
    """Installed by the record store app when Django starts (core imports no app).

    ``finisher`` runs as the outermost action's transaction is about to commit, with the ids of
    the organisations whose record it appended to (the record store signs their checkpoints in
    that same transaction).
    """
    global _record_writer, _record_finisher
    _record_writer = writer
    _record_finisher = finisher


class MissingRecordEntry(RuntimeError):
    """A public action finished without writing its public record entry (a bug, not bad input)."""


PRIVATE_ACTIONS: dict[str, str] = {}


def _check_actor(actor: Any) -> Any:
    if isinstance(actor, Operator | System):
        return actor
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        raise TypeError("actions take a user, an Operator or a System actor, never a string")
    if not is_active_user(actor):
        raise TypeError("the actor is not an authenticated, active user")
    return actor


@dataclass
class ActionContext:
    name: str
    actor: Any
    private: bool = False
    records: list[Any] = field(default_factory=list)
    audits: list[Any] = field(default_factory=list)
    organisations: set[int] = field(default_factory=set)
    is_unchanged: bool = False

    @property
    def user(self) -> Any:
        """The acting user, or None for an operator or the system."""
        return None if isinstance(self.actor, Operator | System) else self.actor

    def audit(self, action: str | None = None, target: Any = None, **detail: Any) -> Any:
        """An audit entry for operators (who did what), in this transaction."""
        row = write_audit(self.actor, action or self.name, target, **detail)
        self.audits.append(row)
        return row

    def record(self, organisation: Any, entry: Any, *, body: Any = None) -> Any:
        """Append a typed entry (asamblea.record.entries) to the organisation's public record."""
        if _record_writer is None:
            raise RuntimeError("no record writer installed (is the recordstore app loaded?)")
        row = _record_writer(organisation, entry.TYPE, entry.VERSION, entry.to_payload(), body=body)
        self.records.append(row)
        self.organisations.add(organisation.pk)
        return row

    def on_commit(self, func: Callable[[], Any]) -> None:
        """Run ``func`` after the transaction commits (notifications, cache clearing)."""
        transaction.on_commit(func)

    def unchanged(self) -> None:
        """Nothing public changed (an idempotent repeat): no record entry is owed."""
        self.is_unchanged = True


@contextmanager
def action(actor: Any, name: str, *, private: bool = False) -> Iterator[ActionContext]:
    """Open the action's transaction; on exit, enforce that a public action recorded itself."""
    if isinstance(actor, ActionContext):
        # A nested action shares the outer transaction and actor; it owes its own entries.
        outer = actor
        ctx = ActionContext(name=name, actor=outer.actor, private=private)
        yield ctx
        _settle(ctx)
        outer.records.extend(ctx.records)
        outer.audits.extend(ctx.audits)
        outer.organisations |= ctx.organisations
        return
    ctx = ActionContext(name=name, actor=_check_actor(actor), private=private)
    with transaction.atomic():
        yield ctx
        _settle(ctx)
        if ctx.organisations and _record_finisher is not None:
            _record_finisher(ctx.organisations)


def _settle(ctx: ActionContext) -> None:
    if ctx.private or ctx.is_unchanged:
        return
    if not ctx.records:
        raise MissingRecordEntry(f"the public action {ctx.name!r} wrote no record entry")
    if not ctx.audits:
        ctx.audit()


P = ParamSpec("P")
R = TypeVar("R")


def door(
    name: str, *, private: str | None = None
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Declare a ``do_*`` action called ``name``.

    The wrapped function takes the :class:`ActionContext` first; callers pass an actor (a user,
    :class:`Operator`, :class:`System` or None for the system) or an enclosing context. A private
    action gives ``private="why"`` and joins :data:`PRIVATE_ACTIONS`.
    """
    if private is not None:
        PRIVATE_ACTIONS[name] = private

    def wrap(func: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(func)
        def run(actor: Any, *args: Any, **kwargs: Any) -> R:
            with action(actor, name, private=private is not None) as ctx:
                return func(ctx, *args, **kwargs)

        run.action_name = name  # type: ignore[attr-defined]
        DOORS[name] = run
        return run

    return wrap


DOORS: dict[str, Callable[..., Any]] = {}
