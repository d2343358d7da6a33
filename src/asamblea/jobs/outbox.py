"""The first job kind: deliver the outbox's pending messages in chunks (core/outbox.py).

Planned at enqueue time as fixed lists of message ids, ``CHUNK`` at a time. Each message is sent
under a row lock and marked sent (or, if secret, deleted) in the same transaction, so a chunk run
again after its worker died skips what was delivered, and two workers never send the same message.
Each message is marked as being sent, and that committed, before the transport gets it: one found
still marked after a worker died is never sent again (at most once) and is reported on the chunk
as perhaps not delivered (docs/adr/0016-task-queue.md).
"""

from __future__ import annotations

from typing import Any

from asamblea.core import outbox
from asamblea.core.models import OutboxMessage
from asamblea.jobs.runner import Kind, enqueue, kind

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


def _run(params: dict[str, Any], args: dict[str, Any]) -> str:
    uncertain = sum(outbox.deliver_locked(pk) is None for pk in args["ids"])
    if uncertain:
        return (
            f"{uncertain} message(s) perhaps not delivered: a worker died while sending; "
            "not sent again (reissue the member's code if it was a voting code)"
        )
    return ""


DELIVER = kind(Kind("outbox.deliver", plan=_plan, run=_run, atomic=False))


def deliver_batch(ids: list[int]) -> None:
    """core.outbox hands over a committed transaction's large batch of messages here."""
    enqueue("outbox.deliver", ids=ids)
