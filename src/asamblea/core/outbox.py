"""The notification outbox: queue inside a transaction, deliver after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from asamblea.core.clock import now
from asamblea.core.models import OutboxMessage


def queue_email(
    recipient: str, subject: str, body: str, *, is_secret: bool = False
) -> OutboxMessage:
    msg = OutboxMessage.objects.create(
        created_at=now(),
        channel=OutboxMessage.Channel.EMAIL,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        is_secret=is_secret,
    )
    # Delivery happens only once the change that caused it is durable: the transaction's messages
    # are gathered and handed over together after its commit.
    _gather(msg.pk)
    return msg


def queue_emails(messages: Iterable[tuple[str, str, str]], *, is_secret: bool = False) -> int:
    """Queue many e-mails ``(recipient, subject, body)`` with one INSERT (opening a vote queues
    one per member, in batches); delivered after the commit like :func:`queue_email`'s."""
    at = now()
    rows = [
        OutboxMessage(
            created_at=at,
            channel=OutboxMessage.Channel.EMAIL,
            recipient=recipient,
            subject=subject[:200],
            body=body,
            is_secret=is_secret,
        )
        for recipient, subject, body in messages
    ]
    OutboxMessage.objects.bulk_create(rows)
    for msg in rows:
        _gather(msg.pk)
    return len(rows)


# Set by the jobs app (asamblea.jobs): a large batch (opening a vote mints a message per member)
# goes to a chunked job, delivered by the queue's workers; None, or a small batch, is delivered
# right here after the commit, one message at a time.
LARGE_BATCH = 200
deliver_large_batch: Callable[[list[int]], None] | None = None


def _hand_over(ids: list[int]) -> None:
    if len(ids) >= LARGE_BATCH and deliver_large_batch is not None:
        deliver_large_batch(ids)
        return
    for pk in ids:
        deliver(pk)


def _gather(message_id: int) -> None:
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _hand_over([message_id])
        return
    batch: _Batch | None = getattr(conn, "_asamblea_outbox_batch", None)
    # A batch takes messages until it is handed over, and while its hand-over is still among the
    # transaction's commit callbacks (a rolled-back transaction or savepoint drops it).
    if (
        batch is None
        or batch.handed_over
        or not any(cb == batch.flush for _sids, cb, _robust in conn.run_on_commit)
    ):
        batch = _Batch()
        conn._asamblea_outbox_batch = batch  # type: ignore[attr-defined]
        transaction.on_commit(batch.flush)
    batch.ids.append(message_id)


class _Batch:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.handed_over = False

    def flush(self) -> None:
        self.handed_over = True
        _hand_over(self.ids)


def deliver(message_id: int, *, in_flight: bool = False) -> bool:
    """Send one message; secret messages are deleted once sent. Returns True when sent."""
    pending = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True)
    if in_flight:
        pending = pending.filter(last_error=IN_FLIGHT)
    else:
        pending = pending.exclude(last_error__in=[IN_FLIGHT, UNCERTAIN])
    msg = pending.first()
    if msg is None:
        return False
    try:
        if msg.channel == OutboxMessage.Channel.EMAIL:
            send_mail(msg.subject, msg.body, settings.DEFAULT_FROM_EMAIL, [msg.recipient])
        else:
            raise RuntimeError("no SMS adapter is configured yet")
    except Exception as exc:  # noqa: BLE001 - any transport failure is kept for a retry
        OutboxMessage.objects.filter(pk=msg.pk).update(
            attempts=msg.attempts + 1, last_error=str(exc)[:2000]
        )
        return False
    if msg.is_secret:
        msg.delete()
    else:
        OutboxMessage.objects.filter(pk=msg.pk).update(sent_at=now(), attempts=msg.attempts + 1)
    return True


IN_FLIGHT = "sending"
UNCERTAIN = "a worker died while sending it: perhaps sent, perhaps not; not sent again"


def deliver_locked(message_id: int) -> bool | None:
    """At most once, for the chunked job (asamblea.jobs.outbox): the message is marked as being
    sent, and that committed, before it is handed to the transport; marked sent (or deleted, if
    secret) after. A message found still marked from an earlier try is never sent again: its
    worker died after the mark, before or after the transport took it. It is marked uncertain
    instead, and None is returned so that the job can say so. True when sent, False otherwise."""
    with transaction.atomic():
        msg = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .exclude(last_error=UNCERTAIN)
            .first()
        )
        if msg is None:
            return False
        if msg.last_error == IN_FLIGHT:
            OutboxMessage.objects.filter(pk=msg.pk).update(last_error=UNCERTAIN)
            return None
        OutboxMessage.objects.filter(pk=msg.pk).update(last_error=IN_FLIGHT)
    return deliver(message_id, in_flight=True)


def deliver_pending() -> int:
    sent = 0
    for pk in OutboxMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        sent += deliver(pk)
    return sent
