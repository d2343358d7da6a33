"""Modules, written by other parts of Asamblea, that extend the record without Django.

The entry types are declared in asamblea.record.entries (one module per area: registry,
elections, assemblies, record); importing that package registers every one of them, so that
appending checks them and the verifier reads them through their typed classes.

``asamblea.record.recount_elections`` and ``asamblea.record.recount_assemblies`` (pure, optional)
may define ``RECOUNTERS: dict[str, Callable[[dict, list[dict]], None]]`` mapping an entry type to
a function ``recount(entry, entries)`` that recomputes the result the entry states from the
earlier ``entries`` (the whole log as parsed dicts, ``entries[i]["index"] == i``) and raises
:class:`asamblea.record.recount.RecountMismatch` when it differs. (They may still call
:func:`asamblea.record.encoding.register_entry_type` for types not yet moved to a typed class.)

All are imported lazily, the first time the record is appended to or verified.
"""

from __future__ import annotations

import importlib
from types import ModuleType

ENTRIES_PACKAGE = "asamblea.record.entries"

PLUGIN_MODULES = (
    "asamblea.record.recount_elections",
    "asamblea.record.recount_assemblies",
    "asamblea.record.recount_trustees",
    "asamblea.record.recount_ranked",
    "asamblea.record.recount_mixing",
)

_loaded: list[ModuleType] | None = None


def load_plugins() -> list[ModuleType]:
    """Import the entry types and the recount modules that exist (once); returns the latter."""
    global _loaded
    if _loaded is None:
        importlib.import_module(ENTRIES_PACKAGE)
        found = []
        for name in PLUGIN_MODULES:
            try:
                found.append(importlib.import_module(name))
            except ModuleNotFoundError as exc:
                # Only "this plugin is not written yet" is tolerated, not a broken import inside it.
                if exc.name != name:
                    raise
        _loaded = found
    return _loaded
