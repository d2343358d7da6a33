"""Jobs in chunks (docs/adr/0016-task-queue.md): the embedded runner, chunk keys, progress."""

from __future__ import annotations

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.utils import translation

from asamblea.cli import main as cli
from asamblea.core.clock import now
from asamblea.core.models import OutboxMessage
from asamblea.jobs import outbox as outbox_job
from asamblea.jobs.models import Job, JobChunk
from asamblea.jobs.queries import job_rows
from asamblea.jobs.runner import KINDS, Kind, enqueue, kind, run_chunk

pytestmark = pytest.mark.django_db


def _messages(n: int, *, secret: bool = False) -> list[int]:
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            created_at=now(),
            channel=OutboxMessage.Channel.EMAIL,
            recipient=f"m{i}@example.org",
            subject="s",
            body="b",
            is_secret=secret,
        )
        for i in range(n)
    )
    return list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))


def test_embedded_runner_delivers_every_message_once_in_chunks(
    django_capture_on_commit_callbacks,
):
    _messages(450, secret=True)
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue("outbox.deliver")
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (Job.State.DONE, 3, 3)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"m{i}@example.org" for i in range(450))
    assert not OutboxMessage.objects.exists()  # secret messages are deleted once sent
    assert len(outbox_job._plan({"ids": list(range(450))})) == 3


def test_a_chunk_run_again_writes_nothing_twice(django_capture_on_commit_callbacks):
    ids = _messages(250)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = enqueue("outbox.deliver", ids=ids)
    assert len(callbacks) == 1 and not mail.outbox  # nothing runs before the commit
    first = JobChunk.objects.get(job=job, seq=0)
    assert run_chunk(first.pk) is True
    assert run_chunk(first.pk) is False  # done already: skipped
    assert len(mail.outbox) == outbox_job.CHUNK
    # A chunk whose worker died after sending part of it: its done mark was never written.
    second = JobChunk.objects.get(job=job, seq=1)
    from asamblea.core.outbox import deliver_locked

    for pk in second.args["ids"][:20]:
        deliver_locked(pk)
    assert run_chunk(second.pk) is True
    assert len(mail.outbox) == 250
    assert len({m.to[0] for m in mail.outbox}) == 250
    job.refresh_from_db()
    assert (job.state, job.done) == (Job.State.DONE, 2)
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_a_failing_chunk_fails_the_job_with_its_error_and_rolls_back(
    django_capture_on_commit_callbacks,
):
    def boom(params, args):  # type: ignore[no-untyped-def]
        OutboxMessage.objects.all().delete()
        raise ValueError(f"bad part {args['n']}")

    name = "test.boom"
    KINDS.pop(name, None)
    kind(Kind(name, plan=lambda p: [{"n": 1}, {"n": 2}], run=boom))
    _messages(3)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue(name)
        with pytest.raises(ValueError, match="bad part 2"):
            run_chunk(JobChunk.objects.get(job__name=name, seq=1).pk)
    finally:
        KINDS.pop(name)
    job = Job.objects.get(name=name)
    assert job.state == Job.State.FAILED and job.error == "chunk 1: bad part 2"
    assert job.done == 0 and OutboxMessage.objects.count() == 3  # the chunk's delete rolled back
    assert JobChunk.objects.get(job=job, seq=0).done_at is None
    assert JobChunk.objects.get(job=job, seq=0).error == "bad part 1"


def test_unknown_kind_and_unknown_queue_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="no job kind 'nope'"):
        enqueue("nope")
    monkeypatch.setenv("ASAMBLEA_QUEUE", "rabbit")
    with pytest.raises(ValueError, match="ASAMBLEA_QUEUE: unknown queue 'rabbit'"):
        enqueue("outbox.deliver")


def test_progress_in_the_cli_and_the_partial(capsys, django_capture_on_commit_callbacks):
    ids = _messages(1)
    with django_capture_on_commit_callbacks(execute=False):
        job = enqueue("outbox.deliver", ids=ids * 1)
    Job.objects.filter(pk=job.pk).update(total=12345, done=1234)
    assert cli(["jobs"]) == 0
    out = capsys.readouterr().out
    assert f"{job.pk}" in out and "1,234/12,345 chunks (9%)" in out
    with translation.override("es"):
        html = render_to_string(
            "jobs/_progress.html", {"job_rows": job_rows([job.__class__.objects.get(pk=job.pk)])}
        )
    assert (
        "1\xa0234 de 12\xa0345 partes" in html
    )  # Django's Spanish grouping and "Enviando mensajes" in html
    assert 'max="12345" value="1234"' in html


def test_a_transactions_large_batch_of_messages_becomes_one_chunked_job(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    from asamblea.core.outbox import LARGE_BATCH, queue_email

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for i in range(LARGE_BATCH + 50):
            queue_email(f"v{i}@example.org", "code", "b", is_secret=True)
    job = Job.objects.get()
    assert (job.name, job.state, job.total, job.done) == ("outbox.deliver", "done", 2, 2)
    assert len({m.to[0] for m in mail.outbox}) == len(mail.outbox) == LARGE_BATCH + 50
    # A small batch is delivered directly, without a job.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_email("a@example.org", "s", "b")
        queue_email("b@example.org", "s", "b")
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    assert Job.objects.count() == 1


def test_messages_of_a_rolled_back_savepoint_are_not_sent_and_later_ones_are(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    from asamblea.core.outbox import queue_email

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                queue_email("gone@example.org", "s", "b")
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        queue_email("kept@example.org", "s", "b")
    assert [m.to[0] for m in mail.outbox] == ["kept@example.org"]


def test_a_message_left_in_flight_by_a_dead_worker_is_never_sent_again_and_is_reported(
    django_capture_on_commit_callbacks,
):
    from asamblea.core.outbox import IN_FLIGHT, UNCERTAIN, deliver, deliver_pending

    ids = _messages(5, secret=True)
    OutboxMessage.objects.filter(pk=ids[2]).update(last_error=IN_FLIGHT)
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue("outbox.deliver", ids=ids)
    job.refresh_from_db()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "m0@example.org",
        "m1@example.org",
        "m3@example.org",
        "m4@example.org",
    ]
    left = OutboxMessage.objects.get()
    assert (left.pk, left.last_error) == (ids[2], UNCERTAIN)
    assert job.state == Job.State.DONE and "1 message(s) perhaps not delivered" in job.error
    assert deliver(left.pk) is False and deliver_pending() == 0 and len(mail.outbox) == 4
