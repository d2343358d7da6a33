"""The first job kind: deliver the outbox's pending messages in chunks (core/outbox.py).

Planned at enqueue time as fixed lists of message ids, ``CHUNK`` at a time. Each message is sent
under a row lock and marked sent (or, if secret, deleted) in the same transaction, so a chunk run
again after its worker died skips what was delivered, and two workers never send the same message.
A worker killed between the transport's accepting a message and that commit leaves it pending, to
be sent again: the one window left, microseconds wide (docs/adr/0016-task-queue.md).
"""

from __future__ import annotations

from typing import Any

from asamblea.core import outbox
from asamblea.core.models import OutboxMessage
from asamblea.jobs.runner import Kind, kind

CHUNK = 200


def _plan(params: dict[str, Any]) -> list[dict[str, Any]]:
    ids = params.get("ids")
    if ids is None:
        ids = list(
            OutboxMessage.objects.filter(sent_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return [{"ids": ids[i : i + CHUNK]} for i in range(0, len(ids), CHUNK)]


def _run(params: dict[str, Any], args: dict[str, Any]) -> None:
    for pk in args["ids"]:
        outbox.deliver_locked(pk)


DELIVER = kind(Kind("outbox.deliver", plan=_plan, run=_run, atomic=False))
