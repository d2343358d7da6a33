"""Appending to the public record, inside the caller's transaction.

The record store sits above the registry (it locks the organisation's row and names it by slug)
and nothing below imports it: the action context writes entries through the writer that
asamblea.recordstore.apps installs (core.action.set_record_writer).

Every action that changes public state calls :func:`append` in the same transaction, so that the
change and its record entry commit or roll back together. A checkpoint is signed after the
transaction commits (asamblea.recordstore.actions.do_sign_checkpoint).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from asamblea.core.clock import now
from asamblea.record import merkle
from asamblea.record.encoding import EncodingError, build_entry, canonical_bytes
from asamblea.record.entries.base import entry_class
from asamblea.record.plugins import load_plugins
from asamblea.recordstore.actions import do_sign_checkpoint
from asamblea.recordstore.models import RecordEntry, RecordNode, SigningKey
from asamblea.recordstore.tree import fetch_nodes
from asamblea.registry.models import Organisation

logger = logging.getLogger(__name__)

__all__ = ["append", "canonical_bytes"]


def append(
    organisation: Any, entry_type: str, version: int, payload: dict[str, Any], *, body: Any = None
) -> RecordEntry:
    """Append one entry of a registered ``(entry_type, version)``; runs in the action's transaction.

    The envelope (``type``, ``v``, ``index``, ``at``, ``org``, ``prev_root``) is added here; the
    payload must have exactly the registered keys (asamblea.record.encoding).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append() must run inside the action's transaction")
    load_plugins()
    _check_typed(entry_type, version, payload)
    # Serialise appenders of one organisation so indexes are gapless and unique and each entry's
    # prev_root is the head it really follows. PostgreSQL: this row lock. SQLite: select_for_update
    # is a no-op there, but transactions are IMMEDIATE (settings), so the writer already holds the
    # database's write lock from BEGIN.
    org = Organisation.objects.select_for_update().only("pk", "slug").get(pk=organisation.pk)
    last = (
        RecordEntry.objects.filter(organisation_id=org.pk)
        .order_by("-index")
        .values_list("index", flat=True)
        .first()
    )
    index = 0 if last is None else last + 1
    needed = merkle.nodes_needed(lambda node: merkle.root(node, index))
    needed |= set(merkle.left_siblings_for_append(index))
    nodes = fetch_nodes(org.pk, needed)

    def get(level: int, idx: int) -> bytes:
        return nodes[(level, idx)]

    at = now()
    entry = build_entry(
        entry_type=entry_type,
        version=version,
        index=index,
        at=at,
        org=org.slug,
        prev_root=merkle.root(get, index).hex(),
        payload=payload,
    )
    data = canonical_bytes(entry)
    leaf = merkle.leaf_hash(data)
    record = RecordEntry.objects.create(
        organisation_id=org.pk,
        index=index,
        entry_type=entry_type,
        version=version,
        canonical=data.decode("utf-8"),
        leaf_hash=leaf.hex(),
        recorded_at=at,
        body=body,
    )
    RecordNode.objects.bulk_create(
        RecordNode(organisation_id=org.pk, level=level, idx=idx, hash=h.hex())
        for level, idx, h in merkle.hashes_for_append(index, leaf, get)
    )
    _sign_after_commit(org.pk)
    return record


def _check_typed(entry_type: str, version: int, payload: dict[str, Any]) -> None:
    """Every entry written has its typed class and reads back through it byte for byte, so the
    verifier, which reads each entry through its class, accepts everything we write."""
    cls = entry_class(entry_type, version)
    if cls is None:
        raise EncodingError(f"{entry_type} v{version} has no typed class (asamblea.record.entries)")
    if cls.from_payload(payload).to_payload() != payload:
        raise EncodingError(f"{entry_type} v{version}: the payload does not read back identically")


class _SignCheckpoint:
    """After-commit hook signing the organisation's new tree head (once per transaction)."""

    def __init__(self, organisation_id: int) -> None:
        self.organisation_id = organisation_id

    def __call__(self) -> None:
        try:
            do_sign_checkpoint(Organisation.objects.get(pk=self.organisation_id))
        except Exception:
            # The action has committed; a checkpoint not signed now is signed by the next commit,
            # by `asamblea export-record`, or on demand. Never fail the action for it.
            logger.exception(
                "could not sign a record checkpoint for organisation %s", self.organisation_id
            )


def sign_before_commit(organisation_ids: set[int]) -> None:
    """Sign each organisation's new tree head inside the action's transaction, as it is about to
    commit (core.action calls this), so the entries and their checkpoint commit together: one
    commit per action, not two. An organisation without a key yet gets its first key after the
    commit, as before (making a key is not the action's business). A signature that fails here (a
    key that cannot be opened) never fails the action: it is logged, and the after-commit hook
    tries again after the commit.
    """
    connection = transaction.get_connection()
    for organisation_id in sorted(organisation_ids):
        if not SigningKey.objects.filter(
            organisation_id=organisation_id, retired_at__isnull=True
        ).exists():
            continue
        try:
            # A savepoint: a failed signature rolls back only itself.
            with transaction.atomic():
                do_sign_checkpoint(Organisation.objects.get(pk=organisation_id))
        except Exception:
            logger.exception(
                "could not sign a record checkpoint for organisation %s", organisation_id
            )
            continue
        connection.run_on_commit = [
            hook
            for hook in connection.run_on_commit
            if not (
                isinstance(hook[1], _SignCheckpoint) and hook[1].organisation_id == organisation_id
            )
        ]


def _sign_after_commit(organisation_id: int) -> None:
    connection = transaction.get_connection()
    # One hook per organisation per transaction, however many entries it appends.
    for hook in getattr(connection, "run_on_commit", ()):
        func = hook[1]
        if isinstance(func, _SignCheckpoint) and func.organisation_id == organisation_id:
            return
    transaction.on_commit(_SignCheckpoint(organisation_id))
