"""Appending to the public record, inside the caller's transaction.

Every action that changes public state calls :func:`append` in the same transaction, so that the
change and its record entry commit or roll back together.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785
from django.db import transaction

from asamblea.core.clock import now
from asamblea.recordstore.models import RecordEntry


def canonical_bytes(entry: dict[str, Any]) -> bytes:
    return rfc8785.dumps(entry)


def leaf_hash(data: bytes) -> str:
    # RFC 6962: leaf hash = SHA-256(0x00 || entry)
    return hashlib.sha256(b"\x00" + data).hexdigest()


def append(
    organisation: Any, entry_type: str, version: int, payload: dict[str, Any], *, body: Any = None
) -> RecordEntry:
    """Append one entry; must run inside the action's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append() must run inside the action's transaction")
    from asamblea.registry.models import Organisation

    # Serialise appenders of one organisation: indexes must be gapless and unique.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    last = (
        RecordEntry.objects.filter(organisation=organisation)
        .order_by("-index")
        .values_list("index", flat=True)
        .first()
    )
    index = 0 if last is None else last + 1
    at = now()
    entry = {
        "type": entry_type,
        "v": version,
        "index": index,
        "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        **payload,
    }
    data = canonical_bytes(entry)
    return RecordEntry.objects.create(
        organisation=organisation,
        index=index,
        entry_type=entry_type,
        version=version,
        canonical=data.decode("utf-8"),
        leaf_hash=leaf_hash(data),
        recorded_at=at,
        body=body,
    )
