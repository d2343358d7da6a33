"""Typed public record entries, one module per area that writes entries (registry, elections,
assemblies; the record store writes none of its own yet: its keys are published as checkpoint
signatures and ``key.pub``, see docs/adr/0009-record-versions.md).

Importing this package registers every entry type; the verifier and the appender rely on that
(asamblea.record.plugins imports it). :data:`ENTRY_MODULES` is the list of the areas' modules:
each is imported when it exists. While the areas move their entries here a module may still be
missing; :func:`missing_entry_modules` names those, and a test asserts the list is empty, so once
every area has landed a lost module is an error, not a silent gap in the verifier.
"""

from __future__ import annotations

import importlib
from types import ModuleType

ENTRY_MODULES = (
    "asamblea.record.entries.registry",
    "asamblea.record.entries.elections",
    "asamblea.record.entries.assemblies",
    "asamblea.record.entries.trustees",
    "asamblea.record.entries.ranked",
    "asamblea.record.entries.candidates",
    "asamblea.record.entries.mixing",
)


def _import_present() -> tuple[list[ModuleType], list[str]]:
    found: list[ModuleType] = []
    missing: list[str] = []
    for name in ENTRY_MODULES:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            # Only "this area's module is not written yet" is tolerated, not a broken import
            # inside a module that exists.
            if exc.name != name:
                raise
            missing.append(name)
    return found, missing


_modules, _missing = _import_present()


def entry_modules() -> list[ModuleType]:
    """The areas' entry modules that were imported (each registered its types)."""
    return list(_modules)


def missing_entry_modules() -> list[str]:
    """Names in :data:`ENTRY_MODULES` with no module (empty once every area has landed)."""
    return list(_missing)
