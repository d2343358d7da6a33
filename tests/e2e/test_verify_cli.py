"""``asamblea verify`` end to end: a real export checked in a subprocess without Django.

The tamper tests change the exported files the way an attacker (or a broken server) would, and
check that verification fails naming what was changed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from asamblea.core.action import Operator, System
from asamblea.record import merkle
from asamblea.record.checkpoint import Checkpoint, sign_checkpoint
from asamblea.record.encoding import canonical_bytes
from asamblea.recordstore import actions as record_actions
from asamblea.recordstore import keys
from asamblea.recordstore.export import export_to_dir
from asamblea.registry import actions

TEST_ACTOR = System("test")

OPERATOR = Operator("test")


def build_organisation(slug: str = "federacion"):  # type: ignore[no-untyped-def]
    org = actions.do_create_organisation(
        TEST_ACTOR, slug=slug, name="Federación", settings={"recall_threshold": "1/5"}
    )
    for i in range(5):
        actions.do_create_body(
            TEST_ACTOR, org, code=f"unidad-{i}", name=f"Unidad {i}", kind="workplace"
        )
        if i == 2:
            # A checkpoint in the middle, so the export has more than one.
            record_actions.do_sign_checkpoint(org)
    return org


def run_verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asamblea", "verify", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def export(db, tmp_path):  # type: ignore[no-untyped-def]
    org = build_organisation()
    out = tmp_path / "record"
    counts = export_to_dir(org, out)
    # Checkpoints at 5 (signed by hand: the key is made), then 6 and 7, signed in the transaction of
    # each action once the organisation has a key.
    assert counts == {"entries": 7, "checkpoints": 3, "size": 7}
    vkey = (out / "key.pub").read_text().strip()
    return org, out, vkey


def lines(out: Path) -> list[bytes]:
    return (out / "entries.jsonl").read_bytes().splitlines()


def write_lines(out: Path, rows: list[bytes]) -> None:
    (out / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))


def test_an_exported_record_verifies_in_a_process_without_django(export):
    _, out, vkey = export
    result = run_verify(str(out), "--key", vkey)
    assert result.returncode == 0, result.stderr
    assert "entries:      7" in result.stdout
    assert "body_created 5" in result.stdout
    assert "(pinned)" in result.stdout
    assert "OK: the record verifies." in result.stdout
    assert "warning" not in result.stderr


def test_verify_imports_no_django_module(export):
    _, out, vkey = export
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "asamblea", "verify", str(out), "--key", vkey],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "asamblea.record.verify" in imported
    assert not [m for m in imported if m == "django" or m.startswith("django.")]


def test_verify_warns_when_the_key_is_not_pinned(export):
    _, out, _ = export
    result = run_verify(str(out))
    assert result.returncode == 0
    assert "not pinned" in result.stderr
    assert "(NOT pinned)" in result.stdout


def test_verify_fails_against_another_pinned_key(export):
    _, out, _ = export
    other = "localhost/record/federacion+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    result = run_verify(str(out), "--key", other)
    assert result.returncode != 0


def test_changing_one_entry_fails_and_names_it(export):
    _, out, vkey = export
    rows = lines(out)
    rows[3] = rows[3].replace(b"Unidad 1", b"Unidad X")
    write_lines(out, rows)
    result = run_verify(str(out), "--key", vkey)
    assert result.returncode == 1
    assert "entry 3 (body_created)" in result.stderr
    assert "changed" in result.stderr


def test_changing_the_last_entry_fails_and_names_it(export):
    _, out, vkey = export
    rows = lines(out)
    rows[-1] = rows[-1].replace(b"Unidad 4", b"Unidad X")
    write_lines(out, rows)
    result = run_verify(str(out), "--key", vkey)
    assert result.returncode == 1
    assert "entry 6 (body_created)" in result.stderr


def test_dropping_the_last_entry_fails_and_names_it(export):
    _, out, vkey = export
    write_lines(out, lines(out)[:-1])
    result = run_verify(str(out), "--key", vkey)
    assert result.returncode == 1
    assert "entry 6" in result.stderr and "missing" in result.stderr


def test_reordering_two_entries_fails_and_names_them(export):
    _, out, vkey = export
    rows = lines(out)
    rows[3], rows[4] = rows[4], rows[3]
    write_lines(out, rows)
    result = run_verify(str(out), "--key", vkey)
    assert result.returncode == 1
    assert re.search(
        r"entry 3 \(body_created\): found on line 4 but says it is entry 4", result.stderr
    )


def test_a_forged_checkpoint_signature_fails(export):
    _, out, vkey = export
    path = out / "checkpoints" / "7"
    path.write_text(path.read_text().replace("\n7\n", "\n8\n", 1))
    result = run_verify(str(out), "--key", vkey)
    assert result.returncode == 1
    assert "checkpoint 7" in result.stderr and "does not verify" in result.stderr


def forge_second_tree(org, out: Path, forged: Path, change_index: int) -> None:  # type: ignore[no-untyped-def]
    """Rewrite history with the log's own key: same size, different tree, all re-signed."""
    entries = [json.loads(x) for x in lines(out)]
    entries[change_index]["body"]["name"] = "Rewritten"
    tree = merkle.MemoryTree()
    rows = []
    for entry in entries:
        entry["prev_root"] = tree.root().hex()
        data = canonical_bytes(entry)
        tree.append_data(data)
        rows.append(data)
    (forged / "checkpoints").mkdir(parents=True)
    write_lines(forged, rows)
    signer = keys.signer_for(keys.current_key(org))
    note = sign_checkpoint(Checkpoint(signer.name, tree.size, tree.root()), [signer])
    (forged / "checkpoints" / str(tree.size)).write_text(note)
    for name in ("key.pub", "keys.pub"):
        (forged / name).write_text((out / name).read_text())


def test_a_second_tree_of_the_same_size_fails_against_a_known_checkpoint(export, tmp_path):
    org, out, vkey = export
    forged = tmp_path / "forged"
    forge_second_tree(org, out, forged, change_index=4)
    # On its own the forgery is self-consistent: only a checkpoint seen before exposes it.
    assert run_verify(str(forged), "--key", vkey).returncode == 0
    known = out / "checkpoints" / "7"
    result = run_verify(str(forged), "--key", vkey, "--known-checkpoint", str(known))
    assert result.returncode == 1
    assert "different tree of size 7" in result.stderr and "forked" in result.stderr


def test_an_older_known_checkpoint_is_checked_for_consistency(export, tmp_path):
    org, out, vkey = export
    older = out / "checkpoints" / "5"
    assert run_verify(str(out), "--key", vkey, "--known-checkpoint", str(older)).returncode == 0
    forged = tmp_path / "forged"
    forge_second_tree(org, out, forged, change_index=2)
    result = run_verify(str(forged), "--key", vkey, "--known-checkpoint", str(older))
    assert result.returncode == 1
    assert "different tree of size 5" in result.stderr


def test_a_rotated_key_is_trusted_through_the_handover_checkpoint(export, tmp_path):
    org, out, vkey = export
    record_actions.do_rotate_key(OPERATOR, org)
    again = tmp_path / "again"
    export_to_dir(org, again)
    assert len((again / "keys.pub").read_text().splitlines()) == 2
    # The old key, pinned, reaches the new one through the checkpoint both signed.
    result = run_verify(str(again), "--key", vkey)
    assert result.returncode == 0, result.stderr
    new_vkey = (again / "key.pub").read_text().strip()
    assert new_vkey != vkey
    assert run_verify(str(again), "--key", new_vkey).returncode == 0


@pytest.mark.django_db(transaction=True)
def test_a_record_served_over_http_verifies_by_url(live_server):
    org = build_organisation(slug="servida")
    record_actions.do_sign_checkpoint(org)
    vkey = keys.current_key(org).vkey
    result = run_verify(f"{live_server.url}/record/export/servida", "--key", vkey)
    assert result.returncode == 0, result.stderr
    assert "entries:      7" in result.stdout
    # The site URL alone works when it hosts one organisation.
    assert run_verify(live_server.url, "--key", vkey).returncode == 0
