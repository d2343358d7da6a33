"""Appending to the record in the database: indexes, the tree, checkpoints, keys, immutability."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import override_settings

from asamblea.core.action import Operator
from asamblea.core.models import AuditEntry
from asamblea.record import merkle
from asamblea.record.checkpoint import NoteVerifier, open_checkpoint
from asamblea.record.encoding import EncodingError
from asamblea.recordstore import actions, keys, tree
from asamblea.recordstore.append import append
from asamblea.recordstore.models import Checkpoint, RecordEntry, RecordNode, SigningKey

pytestmark = pytest.mark.django_db

OPERATOR = Operator("test")


def memory_tree(org) -> merkle.MemoryTree:  # type: ignore[no-untyped-def]
    t = merkle.MemoryTree()
    for line in RecordEntry.objects.filter(organisation=org).values_list("canonical", flat=True):
        t.append_data(line.encode())
    return t


def add(org, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        with transaction.atomic():
            append(org, "organisation_settings_changed", 1, {"settings": {"round": i}})


def test_registry_actions_append_gapless_entries_with_their_envelope(organisation):
    org, bodies = organisation
    rows = list(RecordEntry.objects.filter(organisation=org).order_by("index"))
    assert [r.index for r in rows] == list(range(6))
    assert [r.entry_type for r in rows[:3]] == [
        "organisation_created",
        "organisation_settings_changed",
        "body_created",
    ]
    entry = json.loads(rows[2].canonical)
    assert entry["org"] == "federacion" and entry["index"] == 2 and entry["v"] == 1
    assert entry["body"]["code"] == "unidad-0"
    assert rows[2].body == bodies[0]


def test_each_entry_records_the_tree_head_before_it(organisation):
    org, _ = organisation
    t = merkle.MemoryTree()
    for row in RecordEntry.objects.filter(organisation=org).order_by("index"):
        assert json.loads(row.canonical)["prev_root"] == t.root().hex()
        t.append_data(row.canonical.encode())
        assert row.leaf_hash == t.leaf(row.index).hex()


def test_stored_nodes_give_the_same_roots_and_proofs_as_a_fresh_tree(organisation):
    org, _ = organisation
    add(org, 27)
    t = memory_tree(org)
    assert t.size == 33
    for size in (1, 2, 7, 16, 33):
        assert tree.root(org.pk, size) == t.root(size)
    for i in (0, 5, 32):
        assert tree.inclusion_proof(org.pk, i, 33) == t.inclusion_proof(i, 33)
    for m in (1, 8, 20):
        assert tree.consistency_proof(org.pk, m, 33) == t.consistency_proof(m, 33)
    # Every perfect subtree is stored once: 33 leaves + 16 + 8 + 4 + 2 + 1 nodes.
    assert RecordNode.objects.filter(organisation=org).count() == 33 + 31


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused(organisation):
    org, _ = organisation
    with pytest.raises(RuntimeError, match="transaction"):
        append(org, "organisation_settings_changed", 1, {"settings": {}})


def test_append_of_an_unregistered_or_malformed_entry_writes_nothing(organisation):
    org, _ = organisation
    before = RecordEntry.objects.count()
    with pytest.raises(EncodingError), transaction.atomic():
        append(org, "vote_cast", 1, {"ballot": "x"})
    with pytest.raises(EncodingError), transaction.atomic():
        append(org, "organisation_settings_changed", 1, {"settings": {"share": 0.5}})
    assert RecordEntry.objects.count() == before


def test_record_rows_refuse_change_and_deletion_in_the_model_layer(organisation):
    org, _ = organisation
    actions.do_sign_checkpoint(org)
    for model in (RecordEntry, RecordNode, Checkpoint):
        row = model.objects.filter(organisation=org).first()
        with pytest.raises(ValueError, match="append-only"):
            row.save()
        with pytest.raises(ValueError, match="append-only"):
            row.delete()
        with pytest.raises(ValueError, match="append-only"):
            model.objects.filter(pk=row.pk).update(organisation=org)
        with pytest.raises(ValueError, match="append-only"):
            model.objects.filter(pk=row.pk).delete()


@pytest.mark.parametrize(
    "table", ["recordstore_recordentry", "recordstore_recordnode", "recordstore_checkpoint"]
)
def test_the_database_refuses_an_update_behind_the_models_back(organisation, table):
    org, _ = organisation
    actions.do_sign_checkpoint(org)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET organisation_id = organisation_id")  # noqa: S608


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "table", ["recordstore_recordentry", "recordstore_recordnode", "recordstore_checkpoint"]
)
def test_postgresql_refuses_a_delete_behind_the_models_back(organisation, table):
    org, _ = organisation
    actions.do_sign_checkpoint(org)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table}")  # noqa: S608


def test_the_first_checkpoint_creates_the_key_and_verifies(organisation):
    org, _ = organisation
    assert not SigningKey.objects.filter(organisation=org).exists()
    cp = actions.do_sign_checkpoint(org)
    key = keys.current_key(org)
    assert key is not None and key.name == "localhost/record/federacion"
    opened, signers = open_checkpoint(cp.note, [NoteVerifier.from_vkey(key.vkey)])
    assert opened.size == 6 and opened.origin == key.name
    assert opened.root == memory_tree(org).root()
    assert cp.root_hash == opened.root.hex() and cp.key_ids == key.key_id
    assert AuditEntry.objects.filter(action="record_key_generated").count() == 1


def test_no_new_checkpoint_is_signed_when_nothing_was_appended(organisation):
    org, _ = organisation
    first = actions.do_sign_checkpoint(org)
    assert actions.do_sign_checkpoint(org) == first
    add(org, 1)
    assert actions.do_sign_checkpoint(org).size == first.size + 1


def test_a_checkpoint_is_signed_once_the_action_commits(db, django_capture_on_commit_callbacks):
    from record_helpers import make_organisation

    with django_capture_on_commit_callbacks(execute=True):
        org, _ = make_organisation(slug="otra", n_bodies=1)
    latest = actions.latest_checkpoint(org)
    assert latest is not None and latest.size == 3


def test_rotation_hands_over_with_a_checkpoint_signed_by_both_keys(organisation):
    org, _ = organisation
    actions.do_sign_checkpoint(org)
    old = keys.current_key(org)
    new, cp = actions.do_rotate_key(OPERATOR, org)
    old.refresh_from_db()
    assert old.retired_at is not None and new.retired_at is None and new.name == old.name
    _, signers = open_checkpoint(
        cp.note, [NoteVerifier.from_vkey(old.vkey), NoteVerifier.from_vkey(new.vkey)]
    )
    assert {s.key_id.hex() for s in signers} == {old.key_id, new.key_id}
    add(org, 1)
    later = actions.do_sign_checkpoint(org)
    assert later.key_ids == new.key_id


def test_generating_a_second_key_is_refused(organisation):
    org, _ = organisation
    actions.do_generate_key(OPERATOR, org)
    from asamblea.core.errors import ActionError

    with pytest.raises(ActionError, match="rotate"):
        actions.do_generate_key(OPERATOR, org)


def test_a_backup_holds_every_key_and_opens_only_with_its_passphrase(organisation):
    org, _ = organisation
    actions.do_sign_checkpoint(org)
    actions.do_rotate_key(OPERATOR, org)
    blob = actions.backup_keys(OPERATOR, org, "correct horse battery")
    assert b"PRIVATE" not in blob
    content = keys.open_backup(blob, "correct horse battery")
    vkeys = [k.vkey for k in keys.all_keys(org)]
    from asamblea.record.checkpoint import NoteSigner

    assert [NoteSigner.from_skey(k["skey"]).verifier().vkey for k in content["keys"]] == vkeys
    with pytest.raises(ValueError, match="passphrase"):
        keys.open_backup(blob, "wrong horse battery")


def test_the_private_key_at_rest_is_useless_without_secret_key(organisation):
    org, _ = organisation
    key = actions.do_generate_key(OPERATOR, org)
    raw = base64.b64decode(key.encrypted_seed.partition(":")[2])
    assert len(raw) == 12 + 32 + 16
    with (
        override_settings(SECRET_KEY="another secret key entirely"),
        pytest.raises(ValueError, match="SECRET_KEY"),
    ):
        keys.signer_for(key)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_get_gapless_indexes_and_a_valid_chain():
    import threading

    from django.db import connections
    from record_helpers import make_organisation

    org, _ = make_organisation(n_bodies=0)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(n):
                with transaction.atomic():
                    append(org, "organisation_settings_changed", 1, {"settings": {"i": i}})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(15,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = list(RecordEntry.objects.filter(organisation=org).order_by("index"))
    assert [r.index for r in rows] == list(range(2 + 45))
    t = merkle.MemoryTree()
    for row in rows:
        assert json.loads(row.canonical)["prev_root"] == t.root().hex()
        t.append_data(row.canonical.encode())
    assert tree.root(org.pk, t.size) == t.root()


@pytest.mark.parametrize("actor", ["officer", None])
def test_the_record_keys_are_handled_only_by_an_operator(organisation, actor):
    org, _ = organisation
    with pytest.raises(TypeError, match="Operator"):
        actions.do_generate_key(actor, org)
    assert not SigningKey.objects.exists()


def test_the_record_store_registers_its_own_read_only_admin():
    # So that the registry's admin need not import the record store (layers: recordstore above
    # registry).
    from django.contrib import admin

    registered = admin.site._registry[RecordEntry]
    assert type(registered).__module__ == "asamblea.recordstore.admin"
    assert not registered.has_change_permission(None)


def test_an_entry_that_would_not_read_back_through_its_class_is_refused_and_nothing_written(
    organisation,
):
    # The verifier reads every entry through its typed class: a payload whose time is in another
    # format than the class declares would fail verification later, so the appender refuses it now.
    org, _ = organisation
    before = RecordEntry.objects.filter(organisation=org).count()
    wrong_time = {
        "mandate": {
            "id": 1,
            "body": "asamblea",
            "unit": "unidad-0",
            "seat_number": 1,
            "member": "abcdefghijklmnop",
            "ended_at": "2026-01-02T03:04:05Z",
            "end_reason": "recalled",
        }
    }
    with pytest.raises(EncodingError), transaction.atomic():
        append(org, "mandate_ended", 1, wrong_time)
    assert RecordEntry.objects.filter(organisation=org).count() == before
