"""The demo's record as exported before the typed entries and the new verifier still verifies.

The fixture ``fixtures/demo-record-a3ddb42`` is ``asamblea export-record`` of ``asamblea demo``
run at commit a3ddb42 (before typed entry classes, before this verifier), on a fresh SQLite
database. Old records must stay verifiable: v1 bytes never change, and the verifier reads every
version it ever wrote. The test needs no database.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from asamblea.record.entries.base import entry_class
from asamblea.record.verify import DirSource, VerificationFailed, load_keys, verify_record

FIXTURE = Path(__file__).parent / "fixtures" / "demo-record-a3ddb42"


def test_the_demo_record_exported_before_the_change_verifies_with_its_pinned_key():
    summary = verify_record(DirSource(FIXTURE), pinned=load_keys(str(FIXTURE / "keys.pub")))
    assert summary.entries == 1112
    assert summary.checkpoints == 163
    assert summary.warnings == []
    # Every result in it is recounted, as the old verifier did.
    assert summary.recounted == Counter(
        {
            "assembly_deviation": 1,
            "assembly_division_result": 7,
            "assembly_instruction_result": 2,
            "election_counted": 3,
        }
    )
    # Every entry has a registered format, and (once every area has its typed classes) each was
    # read through its class.
    assert summary.unregistered_types == Counter()
    typed = sum(n for t, n in summary.types.items() if entry_class(t, 1) is not None)
    assert summary.typed_entries == typed


def test_changing_one_byte_of_the_old_record_fails_naming_the_entry(tmp_path):
    copy = tmp_path / "record"
    copy.mkdir()
    for path in FIXTURE.rglob("*"):
        target = copy / path.relative_to(FIXTURE)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    rows = (copy / "entries.jsonl").read_bytes().splitlines()
    assert b'"type":"mandate_started"' in rows[500]
    rows[500] = rows[500].replace(b'"seat_number":1', b'"seat_number":2', 1)
    (copy / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))
    with pytest.raises(VerificationFailed, match=r"entry 500 \(mandate_started\)"):
        verify_record(DirSource(copy), pinned=load_keys(str(FIXTURE / "keys.pub")))
