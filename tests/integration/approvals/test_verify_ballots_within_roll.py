"""`asamblea verify` checks that an election's published ballots never exceed the credentials
issued at open (the roll's size: a reissued card replaces a code, it never adds one). The tamper
test is a server that holds the record's key and stuffs the box: the forged export is
self-consistent and signed, and only this invariant catches it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from elections_builders import build_world, open_election

from asamblea.elections import actions
from asamblea.record import merkle
from asamblea.record.checkpoint import Checkpoint, sign_checkpoint
from asamblea.record.encoding import canonical_bytes
from asamblea.recordstore import actions as record_actions
from asamblea.recordstore import keys
from asamblea.recordstore.export import export_to_dir

pytestmark = pytest.mark.django_db


def _verify(out: Path, vkey: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asamblea", "verify", str(out), "--key", vkey],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _resign(org, entries: list[dict], forged: Path, out: Path) -> None:  # type: ignore[no-untyped-def]
    tree = merkle.MemoryTree()
    rows = []
    for entry in entries:
        entry["prev_root"] = tree.root().hex()
        data = canonical_bytes(entry)
        tree.append_data(data)
        rows.append(data)
    (forged / "checkpoints").mkdir(parents=True)
    (forged / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))
    signer = keys.signer_for(keys.current_key(org))
    note = sign_checkpoint(Checkpoint(signer.name, tree.size, tree.root()), [signer])
    (forged / "checkpoints" / str(tree.size)).write_text(note)
    for name in ("key.pub", "keys.pub"):
        (forged / name).write_text((out / name).read_text())


def test_verify_fails_naming_the_entry_when_ballots_exceed_the_credentials_issued(tmp_path):
    world = build_world(3, seats=1)
    record_actions.do_sign_checkpoint(world.org)
    # A vote opened before sealing (election_closed v1, ballots in the clear).
    election, codes = open_election(world, candidates=2, plaintext=True)
    choice = {"choice": world.members[0].public_id}
    for i, member in enumerate(world.members[:2]):
        actions.check_cast(election, codes[member.pk], choice, f"key-{i:04d}" * 3)
    actions.do_close_election(world.officers[0], election)
    actions.do_count_election(world.officers[0], election)
    out = tmp_path / "record"
    export_to_dir(world.org, out)
    vkey = (out / "key.pub").read_text().strip()
    assert _verify(out, vkey).returncode == 0
    entries = [json.loads(x) for x in (out / "entries.jsonl").read_bytes().splitlines()]
    (closed,) = [e for e in entries if e["type"] == "election_closed"]
    # Two stuffed ballots: 4 ballots for a roll of 3, voters and tracking codes to match.
    closed["ballots"] += closed["ballots"][:2]
    closed["tracking_codes"] += ["STUFFED-1", "STUFFED-2"]
    closed["voters"] = len(closed["ballots"])
    forged = tmp_path / "forged"
    _resign(world.org, entries, forged, out)
    result = _verify(forged, vkey)
    assert result.returncode == 1
    assert f"entry {closed['index']} (election_closed)" in result.stderr
    assert "more than the 3 credentials issued at open" in result.stderr
