"""The verbs ``asamblea key`` and ``asamblea export-record``, run in-process on the test database."""

from __future__ import annotations

import getpass
import os
import stat

import pytest

from asamblea.cli import main
from asamblea.record.checkpoint import NoteSigner
from asamblea.record.verify import DirSource, verify_record
from asamblea.recordstore import keys
from asamblea.recordstore.models import SigningKey

pytestmark = pytest.mark.django_db


def test_key_generate_then_export_public_prints_the_verifier_key(organisation, capsys):
    org, _ = organisation
    assert main(["key", "generate", "--organisation", "federacion"]) == 0
    generated = capsys.readouterr().out.strip()
    assert main(["key", "export-public", "--organisation", "federacion"]) == 0
    assert capsys.readouterr().out.strip() == generated == keys.current_key(org).vkey


def test_key_rotate_keeps_every_key_in_export_public_all(organisation, capsys):
    from asamblea.core.action import Operator
    from asamblea.recordstore.actions import do_rotate_key

    org, _ = organisation
    assert main(["key", "generate", "--organisation", "federacion"]) == 0
    # `key rotate` proposes (tests/integration/approvals/test_key_rotation.py); the rotation:
    do_rotate_key(Operator("test"), org)
    capsys.readouterr()
    assert main(["key", "export-public", "--all", "--organisation", "federacion"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert SigningKey.objects.filter(retired_at__isnull=True).count() == 1


def test_key_commands_refuse_unknown_organisations_and_double_generation(organisation, capsys):
    assert main(["key", "generate", "--organisation", "nadie"]) == 2
    assert main(["key", "rotate", "--organisation", "federacion"]) == 2
    assert main(["key", "generate", "--organisation", "federacion"]) == 0
    assert main(["key", "generate", "--organisation", "federacion"]) == 2
    assert "rotate it instead" in capsys.readouterr().err


def test_key_backup_writes_a_private_file_that_restores_the_keys(
    organisation, tmp_path, monkeypatch, capsys
):
    org, _ = organisation
    main(["key", "generate", "--organisation", "federacion"])
    monkeypatch.setenv("ASAMBLEA_KEY_BACKUP_PASSPHRASE", "a long enough passphrase")
    out = tmp_path / "backup.json"
    assert main(["key", "backup", "--organisation", "federacion", "--output", str(out)]) == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    content = keys.open_backup(out.read_bytes(), "a long enough passphrase")
    signer = NoteSigner.from_skey(content["keys"][0]["skey"])
    assert signer.verifier().vkey == keys.current_key(org).vkey
    # Never overwrites an existing backup.
    assert main(["key", "backup", "--organisation", "federacion", "--output", str(out)]) == 2


def test_export_record_writes_the_layout_that_verifies(organisation, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["export-record", str(out), "--organisation", "federacion"]) == 0
    assert "exported 6 entries and 1 checkpoints" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoints",
        "entries.jsonl",
        "key.pub",
        "keys.pub",
    ]
    assert (out / "checkpoints" / "index.txt").read_text() == "6\n"
    summary = verify_record(DirSource(out))
    assert summary.entries == 6 and summary.checkpoints == 1


def test_key_restore_recovers_keys_after_secret_key_changes(
    organisation, tmp_path, monkeypatch, capsys, settings
):
    org, _ = organisation
    main(["key", "generate", "--organisation", "federacion"])
    monkeypatch.setenv("ASAMBLEA_KEY_BACKUP_PASSPHRASE", "a long enough passphrase")
    out = tmp_path / "backup.json"
    assert main(["key", "backup", "--organisation", "federacion", "--output", str(out)]) == 0
    settings.SECRET_KEY = "a new secret key after a disaster"
    with pytest.raises(ValueError, match="SECRET_KEY"):
        keys.signer_for(keys.current_key(org))
    assert main(["key", "restore", "--organisation", "federacion", "--input", str(out)]) == 0
    assert keys.signer_for(keys.current_key(org)).verifier().vkey == keys.current_key(org).vkey
    monkeypatch.setenv("ASAMBLEA_KEY_BACKUP_PASSPHRASE", "the wrong passphrase!!")
    assert main(["key", "restore", "--organisation", "federacion", "--input", str(out)]) == 2


def test_key_generate_is_an_operator_verb_audited_with_the_operating_system_user(
    organisation, capsys
):
    from asamblea.core.models import AuditEntry

    assert main(["key", "generate", "--organisation", "federacion"]) == 0
    entry = AuditEntry.objects.get(action="record_key_generated")
    assert entry.actor is None
    assert entry.actor_label == f"operator:{getpass.getuser()}"
