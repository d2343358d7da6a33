"""A job and its chunks: what officers see as progress, and the chunks' idempotency keys."""

from __future__ import annotations

from django.db import models


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    name = models.CharField(max_length=100)
    params = models.JSONField(default=dict)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # What the job works on, e.g. "election:12:close": pages find an election's jobs by it.
    subject = models.CharField(max_length=100, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # What the job's final step left for later steps (e.g. a close's encrypted tally).
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"job {self.pk} {self.name}: {self.done}/{self.total} {self.state}"


class JobChunk(models.Model):
    """One chunk of a job. ``done_at`` is set in the same transaction as the chunk's effect: a
    chunk run again after its worker died finds it set and writes nothing."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    args = models.JSONField(default=dict)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # The chunk's partial result (a digest, partial sums), written with ``done_at`` in the
    # chunk's transaction; the job's final step reads every chunk's, in ``seq`` order.
    result = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="jobs_chunk_key")]

    def __str__(self) -> str:
        return f"chunk {self.seq} of job {self.job_id}"
