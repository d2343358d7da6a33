"""The organisation's Merkle tree as stored in the database (RecordNode rows).

The pure algorithms of asamblea.record.merkle run against a dict of the nodes they need, fetched
in one query; nothing is ever rehashed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db.models import Max

from asamblea.record import merkle
from asamblea.recordstore.models import RecordEntry, RecordNode

T = TypeVar("T")


def fetch_nodes(organisation_id: int, keys: set[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    if not keys:
        return {}
    # Two IN lists (a small superset, filtered here) compile much faster than an OR of pairs.
    levels = {level for level, _ in keys}
    idxs = {idx for _, idx in keys}
    rows = RecordNode.objects.filter(
        organisation_id=organisation_id, level__in=levels, idx__in=idxs
    ).values_list("level", "idx", "hash")
    found = {(lv, i): bytes.fromhex(h) for lv, i, h in rows if (lv, i) in keys}
    missing = keys - set(found)
    if missing:
        raise LookupError(f"record tree nodes missing: {sorted(missing)[:5]}")
    return found


def run(organisation_id: int, algorithm: Callable[[merkle.NodeGetter], T]) -> T:
    """Run a pure tree algorithm against the stored nodes it needs."""
    nodes = fetch_nodes(organisation_id, merkle.nodes_needed(algorithm))
    return algorithm(lambda level, idx: nodes[(level, idx)])


def tree_size(organisation_id: int) -> int:
    last = RecordEntry.objects.filter(organisation_id=organisation_id).aggregate(m=Max("index"))
    return 0 if last["m"] is None else last["m"] + 1


def root(organisation_id: int, size: int) -> bytes:
    return run(organisation_id, lambda node: merkle.root(node, size))


def inclusion_proof(organisation_id: int, index: int, size: int) -> list[bytes]:
    return run(organisation_id, lambda node: merkle.inclusion_proof(node, index, size))


def consistency_proof(organisation_id: int, first: int, second: int) -> list[bytes]:
    return run(organisation_id, lambda node: merkle.consistency_proof(node, first, second))
