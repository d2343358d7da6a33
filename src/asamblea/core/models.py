"""The audit log (who did what, for operators) and the notification outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One trusted state change, written in the same transaction as the change.

    Never written for casting a secret ballot (see docs/adr/0002-ballot-secrecy.md).
    """

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type}:{self.target_id}"


class OutboxMessage(models.Model):
    """A notification waiting to be delivered after the transaction that queued it commits.

    Messages that carry a secret (a voting credential, a sign-in code) set ``is_secret`` and are
    deleted, not kept, once delivered.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "email"
        SMS = "sms", "SMS"

    created_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    is_secret = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        # No recipient: this is what the admin shows, and an address is not the operator's.
        return f"{self.channel} {self.pk}: {self.subject}"


class Approval(models.Model):
    """A two-person action proposed by one officer, waiting for a different one (SYSTEM.md "Two
    people, not one"; docs/adr/0010-approvals.md).

    Core knows no app, so the organisation, body and target are plain ids; the kind
    (``elections.certify``, ``registry.export_members``...) says what they mean. ``result`` holds
    what only the proposer may fetch once (an exported register, printed cards' codes), for
    ``RESULT_WINDOW`` at most, and is emptied when fetched.
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        APPROVED = "approved", "approved"
        EXPIRED = "expired", "expired"
        WITHDRAWN = "withdrawn", "withdrawn"

    kind = models.CharField(max_length=60)
    organisation_id = models.BigIntegerField()
    body_id = models.BigIntegerField(null=True, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    params = models.JSONField(default=dict, blank=True)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    result_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation_id", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(approver=models.F("proposer")),
                name="approval_approver_is_not_proposer",
            )
        ]

    def __str__(self) -> str:
        return f"approval {self.pk}: {self.kind} ({self.state})"


class ReplacedCredential(models.Model):
    """The HMAC of a voting code replaced by a reissue, kept so that the old card gets "this card
    was replaced on ..." instead of "not valid". Looked up only after a cast was refused: a valid
    code never pays for it. Plain ids: core imports no app."""

    election_id = models.BigIntegerField()
    code_hmac = models.CharField(max_length=64)
    replaced_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["election_id", "code_hmac"])]
