"""A sealed vote's close and count as chunked jobs on PostgreSQL with three queue workers, each
killed with SIGKILL in the middle of a chunk's transaction (issue 15; docs/adr/0016-task-queue.md):
every ballot is published once, the tally and the count include each exactly once, and the
exported record verifies."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elections"))

from elections_builders import build_world, decrypt_tally, open_election  # noqa: E402

from asamblea.cli import main as cli  # noqa: E402
from asamblea.core.errors import BlockingIssues  # noqa: E402
from asamblea.crypto import ballot as sealed  # noqa: E402
from asamblea.elections import actions  # noqa: E402
from asamblea.elections.actions import sealing, tally_jobs  # noqa: E402
from asamblea.elections.models import Election  # noqa: E402
from asamblea.jobs import worker  # noqa: E402
from asamblea.jobs.models import Job, JobChunk  # noqa: E402
from asamblea.record.verify import DirSource, verify_record  # noqa: E402
from asamblea.recordstore.models import RecordEntry  # noqa: E402

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
VOTERS = 30
PER_CHUNK = 3  # ten chunks


def _workers(env: dict[str, str], n: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.jobs.slowchunks"],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _stop(workers: list[subprocess.Popen], sig: int) -> None:
    for w in workers:
        if w.poll() is None:
            os.killpg(w.pid, sig)
    for w in workers:
        w.wait(timeout=60)


def _kill_mid_job(job: Job, env: dict[str, str]) -> None:
    """Three workers; once some chunks are done and others are inside their transaction, kill
    every worker; two fresh ones finish the job (the dead ones' chunks after the heartbeat)."""
    first = _workers(env, 3)
    fresh: list[subprocess.Popen] = []
    try:
        in_flight = JobChunk.objects.filter(job=job, done_at__isnull=True, attempts__gte=1)
        assert _wait(lambda: job.chunks.filter(done_at__isnull=False).count() >= 2, 120)
        assert _wait(in_flight.exists, 60)
        time.sleep(0.2)  # inside the pause: sums computed, or the entry appended, not committed
        _stop(first, signal.SIGKILL)
        job.refresh_from_db()
        assert job.done < job.total, "the job finished before the kill: nothing was tested"
        fresh = _workers(env, 2)
        assert _wait(lambda: Job.objects.get(pk=job.pk).state == Job.State.DONE, 180), (
            Job.objects.get(pk=job.pk)
        )
    finally:
        _stop(first + fresh, signal.SIGTERM)
    job.refresh_from_db()
    assert (job.done, job.total) == (job.chunks.count(), job.chunks.count())
    assert JobChunk.objects.filter(job=job, attempts__gte=2).exists()  # a killed chunk redone


def _entries(org, entry_type: str) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = RecordEntry.objects.filter(organisation=org, entry_type=entry_type).order_by("index")
    return [json.loads(r.canonical) for r in rows]


def test_a_close_and_a_count_survive_killed_workers_and_count_each_ballot_once(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ASAMBLEA_QUEUE", "procrastinate")
    monkeypatch.setattr(sealing, "CHUNK_BALLOTS", PER_CHUNK)
    worker.apply_schema()
    world = build_world(VOTERS, slug="killed")
    election, codes = open_election(world, method="approval", candidates=3)
    keys = actions.candidate_keys(election)
    choices = [{"approve": keys[:2]}, {"approve": [keys[2]]}, {"approve": []}]
    receipts = [
        actions.check_cast(election, code, choices[i % 3], secrets.token_urlsafe(24)).tracking_code
        for i, code in enumerate(codes.values())
    ]
    db = connection.settings_dict
    env = dict(
        os.environ,
        ASAMBLEA_QUEUE="procrastinate",
        ASAMBLEA_TEST_CHUNK_PAUSE="0.5",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
        ),
    )

    # The close returns at once: casting has stopped, the publication and tally are queued.
    actions.check_close_election(world.officers[0], election)
    election.refresh_from_db()
    assert election.state == Election.State.CLOSED
    close = Job.objects.get(subject=tally_jobs.subject(election.pk, "close"))
    assert close.total == VOTERS // PER_CHUNK and close.done == 0
    with pytest.raises(BlockingIssues, match="the close is still running: 0 of 10 parts"):
        actions.check_count_election(world.officers[0], election)
    _kill_mid_job(close, env)

    published = _entries(world.org, "ballots_published")
    assert sorted(Counter(e["chunk"] for e in published).items()) == [
        (n, 1) for n in range(close.total)
    ]
    codes_published = [
        sealed.tracking_code(sealed.ballot_from_json(b)) for e in published for b in e["ballots"]
    ]
    assert sorted(codes_published) == sorted(receipts)  # each ballot published, and once
    assert len(_entries(world.org, "election_closed")) == 1
    (tallied,) = _entries(world.org, "election_tallied")
    assert tallied["ballots"] == VOTERS

    decrypt_tally(world, election)
    assert election.totals == [{"question": "q1", "totals": [10, 10, 10]}]
    actions.check_count_election(world.officers[0], election)
    count = Job.objects.get(subject=tally_jobs.subject(election.pk, "count"))
    _kill_mid_job(count, env)
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    assert len(_entries(world.org, "election_counted")) == 1
    assert election.result["voters"] == VOTERS

    out = tmp_path / "export"
    assert cli(["export-record", str(out), "--organisation", "killed"]) == 0
    report = verify_record(DirSource(out), jobs=1)
    assert report.recounted["election_counted"] == 1
