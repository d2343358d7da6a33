"""A worker killed in the middle of a chunk, on PostgreSQL with Procrastinate: the chunk is redone
by another worker and no message is sent twice (issue 15; docs/adr/0016-task-queue.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from asamblea.core.clock import now
from asamblea.core.models import OutboxMessage
from asamblea.core.outbox import UNCERTAIN
from asamblea.jobs import worker
from asamblea.jobs.models import Job, JobChunk
from asamblea.jobs.runner import enqueue

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
N = 600


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "asamblea.cli", "worker"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_killed_workers_chunk_is_redone_and_no_message_is_sent_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("ASAMBLEA_QUEUE", "procrastinate")
    worker.apply_schema()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            created_at=now(),
            channel=OutboxMessage.Channel.EMAIL,
            recipient=f"m{i}@example.org",
            subject="your code",
            body="b",
            is_secret=True,
        )
        for i in range(N)
    )
    log = tmp_path / "mail.log"
    db = connection.settings_dict
    env = dict(
        os.environ,
        ASAMBLEA_QUEUE="procrastinate",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        ASAMBLEA_EMAIL_BACKEND="tests.integration.jobs.slowmail.EmailBackend",
        ASAMBLEA_TEST_MAIL_LOG=str(log),
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    job = enqueue("outbox.deliver")  # autocommit: deferred to the queue at once
    assert job.total == 3
    first = _worker(env)
    workers = [first]
    try:
        # Kill it in the middle of its first chunk: some of its messages sent, not all.
        assert _wait(lambda: len(_lines(log)) >= 50, 120), first.stderr
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        sent_before_kill = len(_lines(log))
        assert 50 <= sent_before_kill < N
        running = JobChunk.objects.filter(job=job, done_at__isnull=True, attempts=1)
        assert running.exists()  # a chunk was left half done
        workers += [_worker(env), _worker(env)]
        assert _wait(lambda: Job.objects.get(pk=job.pk).state == Job.State.DONE, 150), (
            Job.objects.get(pk=job.pk)
        )
    finally:
        for w in workers:
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGTERM)
                w.wait(timeout=30)
    sent = _lines(log)
    assert len(sent) == len(set(sent)), "a message was sent twice"
    assert JobChunk.objects.filter(job=job, attempts__gte=2).exists()  # the killed chunk redone
    job.refresh_from_db()
    assert (job.done, job.total, job.state) == (3, 3, Job.State.DONE)
    # At most one message was in the transport's hands when the worker died: never sent again,
    # kept and reported as perhaps not delivered. Every other message was sent exactly once.
    uncertain = list(OutboxMessage.objects.values_list("recipient", "last_error"))
    assert len(uncertain) <= 1 and all(e == UNCERTAIN for _r, e in uncertain)
    assert sorted(set(sent) | {r for r, _e in uncertain}) == sorted(
        f"m{i}@example.org" for i in range(N)
    )
    assert ("perhaps not delivered" in job.error) == bool(uncertain)
