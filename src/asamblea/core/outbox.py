"""The notification outbox: queue inside a transaction, deliver after commit."""

from __future__ import annotations

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
    # Delivery happens only once the change that caused it is durable.
    transaction.on_commit(lambda: deliver(msg.pk))
    return msg


def deliver(message_id: int) -> bool:
    """Send one message; secret messages are deleted once sent. Returns True when sent."""
    msg = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
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


def deliver_locked(message_id: int) -> bool:
    """``deliver`` under a row lock, marked in the same transaction: a second worker skips a
    message being sent, and one run again after a crash skips a message already sent."""
    with transaction.atomic():
        locked = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .values_list("pk", flat=True)
            .first()
        )
        if locked is None:
            return False
        return deliver(message_id)


def deliver_pending() -> int:
    sent = 0
    for pk in OutboxMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        sent += deliver(pk)
    return sent
