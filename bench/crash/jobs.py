"""The crash test's queue phase: the election's close and count run as chunked jobs on several
`asamblea worker` processes, and workers are SIGKILLed while chunks are inside their transactions
(docs/adr/0016-task-queue.md). Called by ``steps.py check`` after the server is stopped.

Each kill (of every worker at once) is logged with whether a chunk was in flight at that moment (a chunk started, not yet
done); a phase where no kill hit a chunk in flight tested nothing and is reported as such. After
the kills two workers are left to finish, the dead workers' chunks being retried after the
heartbeat (15 s). What is checked afterwards (by ``steps.py``): each chunk number published once,
the published ballots are the stored ones, one close, one tally, one count, and the record
verifies (``run.py``).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ASAMBLEA = str(Path(sys.executable).parent / "asamblea")


class Workers:
    def __init__(self, log: list[str]) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log = log
        self.env = dict(os.environ, ASAMBLEA_QUEUE="procrastinate")

    def start(self, n: int = 1) -> None:
        for _ in range(n):
            self.procs.append(
                subprocess.Popen(
                    [ASAMBLEA, "worker"],
                    env=self.env,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def kill_all(self) -> int:
        """SIGKILL every worker at once: whichever of them held the chunk in flight, it dies
        inside that chunk's transaction. Returns how many were killed."""
        alive = [p for p in self.procs if p.poll() is None]
        for p in alive:
            os.killpg(p.pid, signal.SIGKILL)
        for p in alive:
            p.wait()
        return len(alive)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def run_with_kills(
    job: Any, name: str, *, workers: int, kills: int, rng: random.Random, timeout: float = 600
) -> dict[str, Any]:
    """Run ``job`` on ``workers`` worker processes; whenever a chunk is in flight, SIGKILL every
    worker and start as many fresh ones, ``kills`` times; then wait for the job. Returns the
    phase's figures."""
    from asamblea.jobs.models import Job, JobChunk

    log: list[str] = []
    pool = Workers(log)
    pool.start(workers)
    t0 = time.monotonic()
    cpu0 = os.times()
    done_kills = mid_chunk = 0
    # Each chunk's attempts at the last kill: a chunk started since (its attempts grew) and not
    # done is in the hands of a live worker; one left over by a killed worker is not.
    seen: dict[int, int] = {}

    def live_chunks() -> list[int]:
        rows = JobChunk.objects.filter(job=job, done_at__isnull=True, attempts__gte=1)
        return [pk for pk, n in rows.values_list("pk", "attempts") if n > seen.get(pk, 0)]

    try:
        deadline = time.monotonic() + timeout
        while done_kills < kills and time.monotonic() < deadline:
            job.refresh_from_db()
            if job.state in (Job.State.DONE, Job.State.FAILED):
                break
            if live_chunks():
                time.sleep(rng.uniform(0.05, 0.3))  # somewhere inside the chunk
                held = live_chunks()
                killed = pool.kill_all()
                done_kills += 1
                # Started by a live worker before the kill and still not done once every worker
                # is dead: its worker died inside it (one that committed in between does not count).
                still = JobChunk.objects.filter(pk__in=held, done_at__isnull=True).exists()
                mid_chunk += int(still)
                log.append(
                    f"{time.monotonic() - t0:6.1f}s SIGKILL {killed} workers of the {name} "
                    f"({job.done}/{job.total} parts done, a chunk in a live worker's hands: "
                    f"{still})"
                )
                seen = dict(JobChunk.objects.filter(job=job).values_list("pk", "attempts"))
                pool.start(workers)
            time.sleep(0.1)
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.state in (Job.State.DONE, Job.State.FAILED):
                break
            time.sleep(0.5)
    finally:
        pool.stop()
    job.refresh_from_db()
    cpu1 = os.times()
    for line in log:
        print(f"  {line}", flush=True)
    return {
        f"{name}_job_state": job.state,
        f"{name}_job_error": job.error,
        f"{name}_parts": job.total,
        f"{name}_parts_done": job.done,
        f"{name}_worker_kills": done_kills,
        f"{name}_kills_with_a_chunk_in_flight": mid_chunk,
        f"{name}_parts_run_again": JobChunk.objects.filter(job=job, attempts__gte=2).count(),
        f"{name}_wall_s": round(time.monotonic() - t0, 1),
        # The workers' CPU (children reaped by this process).
        f"{name}_workers_cpu_s": round(
            (cpu1.children_user - cpu0.children_user)
            + (cpu1.children_system - cpu0.children_system),
            1,
        ),
    }
