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
    # (params, chunk args) -> a note for officers (a str, '' or None if none), or the chunk's
    # partial result (a dict, kept on the chunk for ``finish``); runs inside the chunk's
    # transaction.
    run: Callable[[dict[str, Any], dict[str, Any]], str | dict[str, Any] | None]
    # A chunk with an effect outside the database (sending mail) runs outside the transaction
    # and must itself skip what it already did; the chunk is still marked done only at the end.
    atomic: bool = True
    # (job, every chunk's result in seq order) -> the job's result: the final step, run in the
    # transaction of whichever chunk completes the job (the last to commit, on any worker), so
    # that it runs exactly once and sees every chunk's effect.
    finish: Callable[[Job, list[Any]], Any] | None = None
    # With no queue configured, run the chunks inside the enqueuing transaction rather than after
    # it commits: the action stays all-or-nothing in one request (an election's close on SQLite).
    inline: bool = False


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


def enqueue(
    name: str, *, organisation_id: int | None = None, subject: str = "", **params: Any
) -> Job:
    """Create the job and its chunks in the current transaction; they start once it commits
    (or, for an ``inline`` kind with no queue configured, now, inside it)."""
    if name not in KINDS:
        raise ValueError(f"no job kind {name!r}")
    backend = queue_backend()  # refuse a misconfigured queue before anything is written
    k = KINDS[name]
    with transaction.atomic():
        job = Job.objects.create(
            name=name,
            params=params,
            organisation_id=organisation_id,
            subject=subject,
            created_at=now(),
        )
        chunks = [
            JobChunk(job=job, seq=i, args=args) for i, args in enumerate(k.plan(dict(params)))
        ]
        JobChunk.objects.bulk_create(chunks, batch_size=1000)
        job.total = len(chunks)
        job.save(update_fields=["total"])
        if not chunks:
            _finish(job, k)
    ids = [c.pk for c in JobChunk.objects.filter(job=job).order_by("seq")]
    if k.inline and not backend:
        # Inside the caller's transaction: a failing chunk raises and undoes the whole action.
        for pk in ids:
            run_chunk(pk)
    else:
        transaction.on_commit(lambda: dispatch(ids))
    job.refresh_from_db()
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
                if not _claim(chunk.pk):
                    return False
                out = k.run(job.params, chunk.args)
                _complete(chunk, k, out)
        else:
            out = k.run(job.params, chunk.args)
            with transaction.atomic():
                if not _claim(chunk.pk):
                    return False
                _complete(chunk, k, out)
    except Exception as exc:
        JobChunk.objects.filter(pk=chunk.pk).update(error=str(exc)[:2000])
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED, error=f"chunk {chunk.seq}: {exc}"[:2000]
        )
        raise
    return True


def _claim(chunk_pk: int) -> bool:
    """Mark the chunk done in the caller's transaction; False if it was done already.

    The row lock this takes makes a second run of the same chunk (a redelivery while the first
    still runs) wait here, then find it done and write nothing."""
    return bool(JobChunk.objects.filter(pk=chunk_pk, done_at__isnull=True).update(done_at=now()))


def _complete(chunk: JobChunk, k: Kind, out: str | dict[str, Any] | None) -> None:
    """Count the chunk (last, so that the job's row is locked only from here to the commit and
    chunks on several workers run side by side) and, if it was the last, finish the job."""
    if isinstance(out, str):
        _note(chunk, out)
    elif out is not None:
        JobChunk.objects.filter(pk=chunk.pk).update(result=out)
    Job.objects.filter(pk=chunk.job_id).update(done=F("done") + 1)
    job = Job.objects.get(pk=chunk.job_id)
    if job.done == job.total:
        _finish(job, k)


def _finish(job: Job, k: Kind) -> None:
    result = None
    if k.finish is not None:
        results = list(job.chunks.order_by("seq").values_list("result", flat=True))
        result = k.finish(job, results)
    # A job that failed once and whose failed chunk was then run again to the end is done; its
    # error stays for officers to read.
    Job.objects.filter(pk=job.pk).update(state=Job.State.DONE, finished_at=now(), result=result)


def _note(chunk: JobChunk, note: str | None) -> None:
    if note:
        JobChunk.objects.filter(pk=chunk.pk).update(error=note[:2000])
        Job.objects.filter(pk=chunk.job_id).update(error=f"chunk {chunk.seq}: {note}"[:2000])


def retry(job: Job) -> list[int]:
    """Put a job's unfinished chunks on the queue again (after a failure was repaired). A chunk
    that is done is skipped wherever it is run, so this never does anything twice."""
    ids = list(job.chunks.filter(done_at__isnull=True).order_by("seq").values_list("pk", flat=True))
    if ids:
        Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
        transaction.on_commit(lambda: dispatch(ids))
    return ids
