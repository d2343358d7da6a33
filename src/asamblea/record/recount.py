"""Recounting results from the record: a table of recounters, filled by plugin modules.

A recounter is ``recount(entry, entries) -> None``: ``entry`` is the parsed entry stating a result,
``entries`` every parsed entry of the log in order (``entries[i]["index"] == i``); it recomputes
the result from what the record published earlier (ballots, roll sizes, rules in force) and
raises :class:`RecountMismatch` with a message when they differ. See asamblea.record.plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asamblea.record.plugins import load_plugins

Recounter = Callable[[dict[str, Any], list[dict[str, Any]]], None]


class RecountMismatch(Exception):
    """A result on the record does not follow from what was published before it."""


RECOUNTERS: dict[str, Recounter] = {}


def recounters() -> dict[str, Recounter]:
    """Every recounter: those registered here plus each plugin module's ``RECOUNTERS``."""
    table = dict(RECOUNTERS)
    for module in load_plugins():
        extra = getattr(module, "RECOUNTERS", None)
        if isinstance(extra, dict):
            table.update(extra)
    return table
