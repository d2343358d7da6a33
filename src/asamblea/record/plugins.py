"""Modules, written by other parts of Asamblea, that extend the record without Django.

``asamblea.record.recount_elections`` and ``asamblea.record.recount_assemblies`` (pure, optional)
may, at import time:

- call :func:`asamblea.record.encoding.register_entry_type` for their entry types, so that
  appending checks them and the verifier checks their payload keys;
- define ``RECOUNTERS: dict[str, Callable[[dict, list[dict]], None]]`` mapping an entry type to a
  function ``recount(entry, entries)`` that recomputes the result the entry states from the
  earlier ``entries`` (the whole log as parsed dicts, ``entries[i]["index"] == i``) and raises
  :class:`asamblea.record.recount.RecountMismatch` when it differs.

Both are imported lazily, the first time the record is appended to or verified.
"""

from __future__ import annotations

import importlib
from types import ModuleType

PLUGIN_MODULES = (
    "asamblea.record.recount_elections",
    "asamblea.record.recount_assemblies",
)

_loaded: list[ModuleType] | None = None


def load_plugins() -> list[ModuleType]:
    """Import the plugin modules that exist (once); returns them."""
    global _loaded
    if _loaded is None:
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
