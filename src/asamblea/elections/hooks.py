"""What another app does when one of its elections is decrypted or counted.

The layers let assemblies import elections, never the reverse; an election of kind
``instruction`` is a unit's vote on its instruction to its delegates: once its trustees have
decrypted the totals it is counted at once (no officer waits on a unit's instruction), and its
count becomes the instruction's result. So the app that owns the kind registers functions here,
and the elections' own code calls them inside its door:

- :func:`decrypted` where a sealed vote's totals have just been decrypted (the trustees' door);
- :func:`counted` where a vote has just been counted (plaintext or sealed), after its
  ``election_counted`` entry is on the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asamblea.core.action import ActionContext

Hook = Callable[[ActionContext, Any], None]
_DECRYPTED: dict[str, Hook] = {}
_COUNTED: dict[str, Hook] = {}


def _register(table: dict[str, Hook], kind: str, fn: Hook) -> None:
    existing = table.get(kind)
    if existing is not None and existing is not fn:
        raise ValueError(f"a hook for {kind!r} elections is already registered")
    table[kind] = fn


def on_decrypted(kind: str, fn: Hook) -> None:
    """Register ``fn(ctx, election)`` for when a sealed vote of ``kind`` has its totals."""
    _register(_DECRYPTED, kind, fn)


def on_counted(kind: str, fn: Hook) -> None:
    """Register ``fn(ctx, election)`` for when an election of ``kind`` is counted."""
    _register(_COUNTED, kind, fn)


def decrypted(ctx: ActionContext, election: Any) -> None:
    fn = _DECRYPTED.get(str(election.kind))
    if fn is not None:
        fn(ctx, election)


def counted(ctx: ActionContext, election: Any) -> None:
    fn = _COUNTED.get(str(election.kind))
    if fn is not None:
        fn(ctx, election)
