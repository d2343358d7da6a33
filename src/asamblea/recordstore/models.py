"""The public record: one append-only Merkle log of entries per organisation.

Entries, tree nodes and checkpoints are never updated or deleted: the model and its queryset
refuse, and on PostgreSQL a trigger refuses too (migration 0002). Signing keys are the one mutable
table here (a key is retired at rotation).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ValueError("the public record is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("the public record is append-only")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("the public record is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("the public record is append-only")


class RecordEntry(AppendOnly):
    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="record_entries"
    )
    # Leaf index in the organisation's Merkle log, from 0, without gaps.
    index = models.PositiveBigIntegerField()
    entry_type = models.CharField(max_length=60)
    version = models.PositiveSmallIntegerField()
    # The canonical (RFC 8785) bytes of the entry, as text; the leaf hash is over these bytes.
    canonical = models.TextField()
    leaf_hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField()
    # For browsing only (not part of the signed content): the body the entry is about.
    body = models.ForeignKey(
        "registry.Body",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="record_entries",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "index"], name="record_index_unique")
        ]
        ordering = ["organisation_id", "index"]
        indexes = [
            models.Index(fields=["organisation", "recorded_at"], name="record_org_time"),
            models.Index(fields=["body", "index"], name="record_body_index"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}#{self.index} {self.entry_type}"


class RecordNode(AppendOnly):
    """A perfect subtree hash of the log: leaves ``[idx * 2**level, (idx + 1) * 2**level)``.

    Written once, when the subtree completes (level 0 is the leaf hash), so a root or a proof of
    any size reads ``O(log n)`` rows and nothing is ever rehashed.
    """

    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField()
    idx = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "level", "idx"], name="record_node_unique"
            )
        ]


class Checkpoint(AppendOnly):
    """A signed tree head: a C2SP tlog-checkpoint in a signed note."""

    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="record_checkpoints"
    )
    size = models.PositiveBigIntegerField()
    root_hash = models.CharField(max_length=64)
    note = models.TextField()
    # Hex key ids of the organisation's keys that signed it, comma-separated.
    key_ids = models.CharField(max_length=200)
    signed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "size"], name="record_checkpoint_size")]
        ordering = ["organisation_id", "size", "id"]

    def __str__(self) -> str:
        return f"{self.organisation_id} checkpoint {self.size}"


class SigningKey(models.Model):
    """An organisation's Ed25519 checkpoint key. The private seed is encrypted at rest.

    Encryption: AES-256-GCM under a key derived (HKDF-SHA256) from SECRET_KEY; see
    docs/adr/0003-record-format.md. The seed is never logged, shown or sent anywhere but a
    passphrase-protected backup file.
    """

    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="record_keys"
    )
    # The note key name; it is also the checkpoint origin, the same for every key of one log.
    name = models.CharField(max_length=200)
    key_id = models.CharField(max_length=8)
    vkey = models.CharField(max_length=300)
    encrypted_seed = models.TextField()
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(retired_at__isnull=True),
                name="record_one_current_key",
            )
        ]
        ordering = ["organisation_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id}"
