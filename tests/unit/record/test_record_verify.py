"""The offline verifier on exports built by the pure layer alone (no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from asamblea.record import merkle, recount, verify
from asamblea.record.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from asamblea.record.encoding import build_entry, canonical_bytes
from asamblea.record.entries.base import Entry, Part, time_field
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
    assert (summary.entries, summary.checkpoints) == (9, 1)
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


# Every step of verify_record that can fail, made to fail (step numbers as in its docstring).


def rewrite(out: Path, rows: list[bytes]) -> None:
    (out / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))


def sign_extra(out: Path, signer: NoteSigner, name: str, checkpoint: Checkpoint) -> Path:
    path = out / name
    path.write_text(sign_checkpoint(checkpoint, [signer]))
    return path


def test_step_1_an_export_without_a_key_and_no_pinned_key_fails(tmp_path, signer):
    write_export(tmp_path, settings_entries(3), signer)
    (tmp_path / "key.pub").unlink()
    with pytest.raises(VerificationFailed, match="no key.pub and no --key"):
        verify_record(DirSource(tmp_path))


def test_step_1_a_checkpoint_listed_but_missing_is_named(tmp_path, signer):
    write_export(tmp_path, settings_entries(3), signer)

    class Listing(DirSource):
        def checkpoint_names(self) -> list[str]:
            return [*super().checkpoint_names(), "9"]

    with pytest.raises(VerificationFailed, match="checkpoint 9 is listed but missing"):
        verify_record(Listing(tmp_path), pinned=[signer.verifier()])


def test_step_1_checkpoints_of_two_logs_fail(tmp_path, signer):
    rows = write_export(tmp_path, settings_entries(3), signer)
    tree = merkle.MemoryTree()
    for row in rows[:2]:
        tree.append_data(row)
    sign_extra(tmp_path, signer, "checkpoints/2", Checkpoint("other.org/log", 2, tree.root()))
    with pytest.raises(VerificationFailed, match="checkpoints name several logs"):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])


def test_step_2_an_entry_not_in_canonical_form_is_named(tmp_path, signer):
    rows = write_export(tmp_path, settings_entries(3), signer)
    rows[1] = rows[1].replace(b'{"at"', b'{ "at"', 1)
    rewrite(tmp_path, rows)
    with pytest.raises(VerificationFailed, match=r"entry 1: not in canonical"):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])


def test_step_2_an_entry_of_another_organisation_is_named(tmp_path, signer):
    rows = write_export(tmp_path, settings_entries(3), signer)
    rows[2] = rows[2].replace(b'"org":"fed"', b'"org":"otra"')
    rewrite(tmp_path, rows)
    with pytest.raises(
        VerificationFailed,
        match=r"entry 2 \(organisation_settings_changed\): belongs to organisation 'otra'",
    ):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])


@dataclass(frozen=True)
class TimedSettings(Part):
    round: int
    at: dt.datetime = time_field("micro")


@dataclass(frozen=True)
class TimedSettingsChanged(Entry):
    """A stand-in typed class (not registered, so no golden file is owed)."""

    settings: TimedSettings


def timed_entries(times: list[str]) -> list[tuple[str, dict]]:
    return [
        ("organisation_settings_changed", {"settings": {"round": i, "at": at}})
        for i, at in enumerate(times)
    ]


@pytest.fixture
def typed_settings(monkeypatch):  # type: ignore[no-untyped-def]
    def lookup(name: str, version: int) -> type[Entry] | None:
        return (
            TimedSettingsChanged
            if (name, version) == ("organisation_settings_changed", 1)
            else None
        )

    monkeypatch.setattr(verify, "entry_class", lookup)


def test_step_2_entries_with_a_typed_class_are_read_through_it(tmp_path, signer, typed_settings):
    micro = "2026-01-01T00:00:00.000000Z"
    write_export(tmp_path, timed_entries([micro, micro]), signer)
    summary = verify_record(DirSource(tmp_path), pinned=[signer.verifier()])
    assert summary.typed_entries == 2


def test_step_2_a_time_in_another_format_than_its_class_declares_is_named(
    tmp_path, signer, typed_settings
):
    # Keys are right, so only the typed class can see that the time is in the seconds format.
    write_export(
        tmp_path, timed_entries(["2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00Z"]), signer
    )
    with pytest.raises(
        VerificationFailed, match=r"entry 1 \(organisation_settings_changed\): .*micro time"
    ):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])


def test_step_3_a_checkpoint_over_more_entries_than_the_export_names_the_first_missing(
    tmp_path, signer
):
    rows = write_export(tmp_path, settings_entries(5), signer)
    rewrite(tmp_path, rows[:3])
    with pytest.raises(VerificationFailed, match=r"entry 3: missing: checkpoint 5"):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])


def test_step_3_a_rewritten_last_entry_is_named(tmp_path, signer):
    rows = write_export(tmp_path, settings_entries(5), signer)
    rows[4] = rows[4].replace(b'"round":4', b'"round":9')
    rewrite(tmp_path, rows)
    with pytest.raises(
        VerificationFailed,
        match=r"entry 4 \(organisation_settings_changed\): does not match checkpoint 5",
    ):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()])


def known(tmp_path: Path, signer: NoteSigner, checkpoint: Checkpoint) -> list[tuple[str, str]]:
    return [("saved", sign_checkpoint(checkpoint, [signer]))]


def test_step_4_a_known_checkpoint_of_another_log_fails(tmp_path, signer):
    rows = write_export(tmp_path, settings_entries(4), signer)
    tree = merkle.MemoryTree()
    for row in rows:
        tree.append_data(row)
    saved = known(tmp_path, signer, Checkpoint("other.org/log", 4, tree.root()))
    with pytest.raises(
        VerificationFailed, match="known checkpoint saved is of log 'other.org/log'"
    ):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()], known=saved)


def test_step_4_a_known_checkpoint_larger_than_the_export_names_the_first_missing_entry(
    tmp_path, signer
):
    rows = write_export(tmp_path, settings_entries(6), signer, signed=4)
    tree = merkle.MemoryTree()
    for row in rows:
        tree.append_data(row)
    saved = known(tmp_path, signer, Checkpoint(ORIGIN, 6, tree.root()))
    with pytest.raises(VerificationFailed, match=r"entry 4: known checkpoint saved covers 6"):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()], known=saved)


def test_step_4_a_known_checkpoint_of_a_different_tree_reports_a_fork(tmp_path, signer):
    write_export(tmp_path, settings_entries(4), signer)
    other = merkle.MemoryTree()
    for i in range(3):
        other.append_data(b"another history %d" % i)
    saved = known(tmp_path, signer, Checkpoint(ORIGIN, 3, other.root()))
    with pytest.raises(VerificationFailed, match="different tree of size 3.*forked"):
        verify_record(DirSource(tmp_path), pinned=[signer.verifier()], known=saved)


def test_step_4_a_matching_known_checkpoint_is_counted(tmp_path, signer):
    rows = write_export(tmp_path, settings_entries(4), signer)
    tree = merkle.MemoryTree()
    for row in rows[:2]:
        tree.append_data(row)
    saved = known(tmp_path, signer, Checkpoint(ORIGIN, 2, tree.root()))
    summary = verify_record(DirSource(tmp_path), pinned=[signer.verifier()], known=saved)
    assert summary.known_checkpoints == 1
