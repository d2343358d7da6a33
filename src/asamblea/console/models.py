"""The console's own data: member files uploaded for import, between the preview and the apply.

The file is kept only until it is applied or discarded (it holds members' names and contacts:
the register is private); the preview's errors and the apply's summary stay, so an officer can
reload the page and see where the import is.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One uploaded member file: checked at upload, applied all-or-nothing on request."""

    class State(models.TextChoices):
        REJECTED = "rejected", "rejected"
        READY = "ready", "ready to apply"
        APPLYING = "applying", "applying"
        DONE = "done", "done"
        FAILED = "failed", "failed"
        DISCARDED = "discarded", "discarded"

    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.CASCADE, related_name="import_jobs"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    filename = models.CharField(max_length=200)
    # The file itself, erased once applied or discarded.
    content = models.BinaryField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices)
    # ``line: field: message`` for each problem found at upload (a rejected file).
    errors = models.JSONField(default=list)
    # What the import would do (at upload) and then did (after apply): created, updated, ...
    summary = models.JSONField(default=dict)
    # The last step reported while applying, or why applying failed.
    progress = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.state})"
