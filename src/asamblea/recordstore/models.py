"""The public record: one append-only log of entries per organisation.

Rows are never updated or deleted: the model refuses, and on PostgreSQL a trigger refuses too.
"""

from __future__ import annotations

from django.db import models


class RecordEntry(models.Model):
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

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("the public record is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("the public record is append-only")
