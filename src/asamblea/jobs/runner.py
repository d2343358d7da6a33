"""Job kinds, ``enqueue``, and running one chunk exactly once in effect."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F

from asamblea.core.clock import now
from asamblea.jobs.models import Job, JobChunk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    name: str
    # params -> one args dict per chunk, decided once, inside the enqueuing transaction.
    plan: Callable[[dict[str, Any]], Iterable[dict[str, Any]]]
    # (params, chunk args) -> a note for officers ('' or None if none); runs inside the chunk's
    # transaction.
    run: Callable[[dict[str, Any], dict[str, Any]], str | None]
    # A chunk with an effect outside the database (sending mail) runs outside the transaction
    # and must itself skip what it already did; the chunk is still marked done only at the end.
    atomic: bool = True


KINDS: dict[str, Kind] = {}
# queue name -> function putting chunk ids on that queue.
DEFERRERS: dict[str, Callable[[list[int]], None]] = {}


def kind(k: Kind) -> Kind:
    if k.name in KINDS:
        raise ValueError(f"job kind {k.name!r} registered twice")
    KINDS[k.name] = k
    return k


def queue_backend() -> str:
    """'' (run in this process after commit) or 'procrastinate'."""
    value = os.environ.get("ASAMBLEA_QUEUE", "")
    if value not in ("", "procrastinate"):
        raise ValueError(f"ASAMBLEA_QUEUE: unknown queue {value!r} (use procrastinate or nothing)")
    return value


def enqueue(name: str, *, organisation_id: int | None = None, **params: Any) -> Job:
    """Create the job and its chunks in the current transaction; they start once it commits."""
    if name not in KINDS:
        raise ValueError(f"no job kind {name!r}")
    queue_backend()  # refuse a misconfigured queue before anything is written
    k = KINDS[name]
    with transaction.atomic():
        job = Job.objects.create(
            name=name, params=params, organisation_id=organisation_id, created_at=now()
        )
        chunks = [
            JobChunk(job=job, seq=i, args=args) for i, args in enumerate(k.plan(dict(params)))
        ]
        JobChunk.objects.bulk_create(chunks, batch_size=1000)
        job.total = len(chunks)
        if not chunks:
            job.state, job.finished_at = Job.State.DONE, now()
        job.save(update_fields=["total", "state", "finished_at"])
    ids = [c.pk for c in JobChunk.objects.filter(job=job).order_by("seq")]
    transaction.on_commit(lambda: dispatch(ids))
    return job


def dispatch(chunk_ids: list[int]) -> None:
    backend = queue_backend()
    if backend:
        # Set by JobsConfig.ready (the queue's module imports this one, not the other way).
        DEFERRERS[backend](chunk_ids)
    else:
        # In this process, after the enqueuing action committed: a failing chunk marks its job
        # failed (shown to officers) and stops the rest, without undoing the committed action.
        for pk in chunk_ids:
            try:
                run_chunk(pk)
            except Exception:
                log.exception("job chunk %s failed", pk)
                return


def run_chunk(chunk_id: int) -> bool:
    """Run one chunk unless it is done already. Returns True when this call did the work."""
    chunk = JobChunk.objects.select_related("job").filter(pk=chunk_id).first()
    if chunk is None or chunk.done_at is not None:
        return False
    job = chunk.job
    k = KINDS[job.name]
    JobChunk.objects.filter(pk=chunk.pk).update(attempts=F("attempts") + 1)
    Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(state=Job.State.RUNNING)
    try:
        if k.atomic:
            with transaction.atomic():
                if not _mark_done(chunk.pk):
                    return False
                note = k.run(job.params, chunk.args)
                _note(chunk, note)
        else:
            note = k.run(job.params, chunk.args)
            with transaction.atomic():
                if not _mark_done(chunk.pk):
                    return False
                _note(chunk, note)
    except Exception as exc:
        JobChunk.objects.filter(pk=chunk.pk).update(error=str(exc)[:2000])
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED, error=f"chunk {chunk.seq}: {exc}"[:2000]
        )
        raise
    return True


def _note(chunk: JobChunk, note: str | None) -> None:
    if note:
        JobChunk.objects.filter(pk=chunk.pk).update(error=note[:2000])
        Job.objects.filter(pk=chunk.job_id).update(error=f"chunk {chunk.seq}: {note}"[:2000])


def _mark_done(chunk_pk: int) -> bool:
    """Mark the chunk done and count it, in the caller's transaction; False if it was done."""
    marked = JobChunk.objects.filter(pk=chunk_pk, done_at__isnull=True).update(done_at=now())
    if not marked:
        return False
    job_id = JobChunk.objects.filter(pk=chunk_pk).values_list("job_id", flat=True).get()
    Job.objects.filter(pk=job_id).update(done=F("done") + 1)
    Job.objects.filter(pk=job_id, done=F("total")).exclude(state=Job.State.FAILED).update(
        state=Job.State.DONE, finished_at=now()
    )
    return True
