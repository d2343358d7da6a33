"""The offline verifier on exports built by the pure layer alone (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asamblea.record import merkle, recount
from asamblea.record.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from asamblea.record.encoding import build_entry, canonical_bytes
from asamblea.record.verify import DirSource, VerificationFailed, verify_record

ORIGIN = "example.org/record/fed"


def write_export(
    out: Path, payloads: list[tuple[str, dict]], signer: NoteSigner, *, signed: int | None = None
) -> list[bytes]:
    tree = merkle.MemoryTree()
    rows = []
    for i, (entry_type, payload) in enumerate(payloads):
        entry = build_entry(
            entry_type=entry_type,
            version=1,
            index=i,
            at="2026-01-01T00:00:00.000000Z",
            org="fed",
            prev_root=tree.root().hex(),
            payload=payload,
        )
        data = canonical_bytes(entry)
        tree.append_data(data)
        rows.append(data)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    (out / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))
    size = len(rows) if signed is None else signed
    note = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(size)), [signer])
    (out / "checkpoints" / str(size)).write_text(note)
    (out / "key.pub").write_text(signer.verifier().vkey + "\n")
    return rows


def settings_entries(n: int) -> list[tuple[str, dict]]:
    return [("organisation_settings_changed", {"settings": {"round": i}}) for i in range(n)]


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


def test_a_consistent_export_verifies_with_its_pinned_key(tmp_path, signer):
    write_export(tmp_path, settings_entries(9), signer)
    summary = verify_record(DirSource(tmp_path), pinned=[signer.verifier()])
    assert (summary.entries, summary.checkpoints, summary.inclusion_proofs) == (9, 1, 9)
    assert summary.types == {"organisation_settings_changed": 9}
    assert summary.warnings == []


def test_entries_after_the_latest_checkpoint_are_not_counted_and_are_warned_about(tmp_path, signer):
    write_export(tmp_path, settings_entries(9), signer, signed=7)
    summary = verify_record(DirSource(tmp_path), pinned=[signer.verifier()])
    assert summary.entries == 7
    assert any("not signed yet" in w for w in summary.warnings)


def test_a_recount_that_disagrees_names_the_entry_index_and_type(tmp_path, signer, monkeypatch):
    write_export(tmp_path, settings_entries(4), signer)

    def recount_settings(entry: dict, entries: list[dict]) -> None:
        assert entries[entry["index"]] is entry
        if entry["settings"]["round"] == 2:
            raise recount.RecountMismatch("round 2 does not follow")

    monkeypatch.setitem(recount.RECOUNTERS, "organisation_settings_changed", recount_settings)
    with pytest.raises(VerificationFailed) as failure:
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])
    assert failure.value.index == 2
    assert failure.value.entry_type == "organisation_settings_changed"
    assert "round 2 does not follow" in str(failure.value)


def test_recounters_that_agree_are_counted_in_the_summary(tmp_path, signer, monkeypatch):
    write_export(tmp_path, settings_entries(4), signer)
    monkeypatch.setitem(recount.RECOUNTERS, "organisation_settings_changed", lambda e, es: None)
    summary = verify_record(DirSource(tmp_path), pinned=[signer.verifier()])
    assert summary.recounted == {"organisation_settings_changed": 4}


def test_a_payload_that_lost_a_registered_key_is_named(tmp_path, signer):
    rows = write_export(tmp_path, settings_entries(3), signer)
    rows[1] = rows[1].replace(b'"settings"', b'"settingz"')
    (tmp_path / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))
    with pytest.raises(VerificationFailed, match=r"entry 1 \(organisation_settings_changed\)"):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])


def test_a_checkpoint_signed_by_an_unpinned_key_fails(tmp_path, signer):
    write_export(tmp_path, settings_entries(3), signer)
    with pytest.raises(VerificationFailed, match="not signed by any known key"):
        verify_record(DirSource(tmp_path), pinned=[NoteSigner.generate(ORIGIN).verifier()])


def test_an_export_without_a_checkpoint_fails(tmp_path, signer):
    write_export(tmp_path, settings_entries(3), signer)
    for p in (tmp_path / "checkpoints").iterdir():
        p.unlink()
    with pytest.raises(VerificationFailed, match="no checkpoint"):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])
