"""Every record entry the application writes passes through its typed class and back, byte for byte.

Two sources: the demo's record exported before the typed classes existed (commit a3ddb42,
tests/integration/record/fixtures), here, and the demo federation loaded by today's code
(``asamblea demo``: registry, elections, assemblies), in test_demo_federation.py, which loads the
demo once for every test that reads it and checks its entries with ``roundtrip_problems``. For
each stored entry, the envelope plus
``entry_class(type, v).from_payload(payload).to_payload()``, encoded canonically, must equal the
stored bytes; the three v1 time formats (micro, seconds, iso with and without microseconds) all
occur in them. An entry type with no class fails, all missing types named in one message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from asamblea.record.encoding import ENVELOPE_KEYS, EncodingError, canonical_bytes
from asamblea.record.entries.base import entry_class
from asamblea.record.plugins import load_plugins

BEFORE = Path(__file__).parent / "record" / "fixtures" / "demo-record-a3ddb42" / "entries.jsonl"


def roundtrip_problems(rows: Iterable[tuple[int, bytes]]) -> tuple[list[str], int]:
    """(problems, entries checked): types without a class, and entries that do not round-trip."""
    load_plugins()
    missing: dict[tuple[str, int], int] = {}
    differ: dict[tuple[str, int], str] = {}
    checked = 0
    for index, data in rows:
        entry = json.loads(data)
        key = (entry["type"], entry["v"])
        cls = entry_class(*key)
        if cls is None:
            missing[key] = missing.get(key, 0) + 1
            continue
        envelope = {k: entry[k] for k in ENVELOPE_KEYS}
        payload = {k: v for k, v in entry.items() if k not in ENVELOPE_KEYS}
        try:
            again = canonical_bytes({**envelope, **cls.from_payload(payload).to_payload()})
        except EncodingError as exc:
            differ.setdefault(key, f"entry {index}: {exc}")
            continue
        if again != data:
            differ.setdefault(key, f"entry {index}: {data[:200]!r} came back as {again[:200]!r}")
        checked += 1
    problems = []
    if missing:
        problems.append(
            "entry types with no typed class (asamblea.record.entries): "
            + ", ".join(f"{t} v{v} ({n} entries)" for (t, v), n in sorted(missing.items()))
        )
    problems += [f"{t} v{v} does not round-trip: {why}" for (t, v), why in sorted(differ.items())]
    return problems, checked


def test_every_entry_of_the_record_exported_before_the_typed_classes_round_trips():
    rows = enumerate(BEFORE.read_bytes().splitlines())
    problems, checked = roundtrip_problems(rows)
    assert not problems, "\n".join(problems)
    assert checked == 1112
