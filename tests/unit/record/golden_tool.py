"""Golden files of the record's entry formats: how they are built, and how new ones are added.

Each registered ``(type, version)`` has ``golden/<type>.v<version>.json``: the exact canonical
bytes of its example entry under a fixed envelope, and a line in ``golden/pins.json`` with its
payload keys and the SHA-256 of those bytes. Pins are never rewritten by the tool: a format that
changes must get a new version (and the old version stays registered and pinned).

Add pins for newly registered types (never overwrites)::

    .venv/bin/python tests/unit/record/golden_tool.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from asamblea.record.encoding import EntryType, build_entry, canonical_bytes, registered_types
from asamblea.record.plugins import load_plugins

GOLDEN = Path(__file__).parent / "golden"
PINS = GOLDEN / "pins.json"
ENVELOPE: dict[str, Any] = {
    "index": 41,
    "at": "2026-01-02T03:04:05.000006Z",
    "org": "federacion",
    "prev_root": "0123456789abcdef" * 4,
}


def pin_key(t: EntryType) -> str:
    return f"{t.name}/v{t.version}"


def golden_path(t: EntryType) -> Path:
    return GOLDEN / f"{t.name}.v{t.version}.json"


def encode_example(t: EntryType) -> bytes:
    if t.example is None:
        raise ValueError(f"{pin_key(t)} was registered without an example payload")
    entry = build_entry(entry_type=t.name, version=t.version, payload=dict(t.example), **ENVELOPE)
    return canonical_bytes(entry)


def load_pins() -> dict[str, dict[str, Any]]:
    return json.loads(PINS.read_text()) if PINS.exists() else {}


def all_types() -> list[EntryType]:
    load_plugins()
    return registered_types()


def main() -> int:
    pins = load_pins()
    added = []
    for t in all_types():
        if pin_key(t) in pins:
            continue
        data = encode_example(t)
        path = golden_path(t)
        if path.exists():
            print(f"{path} exists without a pin: remove it or pin it by hand", file=sys.stderr)
            return 1
        path.write_bytes(data)
        pins[pin_key(t)] = {
            "keys": sorted(t.keys),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        added.append(pin_key(t))
    PINS.write_text(json.dumps(pins, indent=2, sort_keys=True) + "\n")
    print("pinned: " + (", ".join(added) or "nothing new"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
