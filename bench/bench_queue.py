"""Task queues measured side by side (issue 15, item 3; docs/adr/0016-task-queue.md).

The same jobs go through Procrastinate (PostgreSQL), Dramatiq (Redis, RabbitMQ) and Celery (Redis,
RabbitMQ), one after the other in one run, each with two worker programs of one process and one
thread each:

* enqueue rate of N trivial jobs (a job writes one row), then the throughput of the two workers;
* the same for chunked jobs (a job writes a chunk of rows and its chunk key in one transaction);
* latency: single jobs enqueued one by one onto idle workers (median and p95 enqueue -> done);
* a kill: a job sleeps with its effect either not yet written (``before``) or already committed
  (``after``); the worker program running it is killed with SIGKILL (its whole process group), a
  fresh worker is started, and we watch whether the job is run again, how long that takes, and how
  many times its effect was written.

The machine is shared with other work: every figure has the workers' CPU time beside the wall time.
Needs PostgreSQL, Redis and RabbitMQ on 127.0.0.1 and the queue libraries installed in the venv
(`pip install procrastinate "dramatiq[redis,rabbitmq]" "celery[redis]"`; only the one chosen is a
dependency of the project).

    .venv/bin/python bench/bench_queue.py [--jobs 10000] [--chunks 100 --chunk-size 500]
        [--only procrastinate,dramatiq-redis,...]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

PG = os.environ.get("BENCH_QUEUE_PG", "postgresql://postgres@127.0.0.1:5432/asamblea_j_queue")
REDIS = "redis://127.0.0.1:6379/7"
AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"
BACKENDS = [
    "procrastinate",
    "dramatiq-redis",
    "dramatiq-rabbitmq",
    "celery-redis",
    "celery-rabbitmq",
]
BACKEND = os.environ.get("BENCH_QUEUE_BACKEND", "")
# How long a dead worker's job may stay claimed before someone else takes it, where the library
# lets us set it (Procrastinate's heartbeat, Dramatiq-Redis's heartbeat, Celery-Redis's visibility).
DEAD_AFTER_S = 10

# ---- the job bodies (the same for every backend) ------------------------------------------

_conn = None


def _db():  # type: ignore[no-untyped-def]
    global _conn
    if _conn is None or _conn.closed:
        import psycopg

        _conn = psycopg.connect(PG, autocommit=True)
    return _conn


def body_one(job_id: int, enqueued: float) -> None:
    _db().execute(
        "INSERT INTO bq_rows (backend, kind, job_id, enqueued, done, pid) "
        "VALUES (%s, 'one', %s, %s, %s, %s)",
        (BACKEND, job_id, enqueued, time.time(), os.getpid()),
    )


def body_chunk(chunk: int, size: int) -> None:
    """One chunk: its rows and its key in one transaction; a chunk already done is skipped."""
    conn = _db()
    with conn.transaction():
        cur = conn.execute(
            "INSERT INTO bq_chunks (backend, chunk) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (BACKEND, chunk),
        )
        if cur.rowcount == 0:
            return
        with conn.cursor().copy("COPY bq_chunk_rows (backend, chunk, n) FROM STDIN") as copy:
            for n in range(size):
                copy.write_row((BACKEND, chunk, n))


def body_kill(tag: str, when: str, sleep_s: float) -> None:
    conn = _db()
    conn.execute(
        "INSERT INTO bq_runs (backend, tag, pid, at) VALUES (%s, %s, %s, %s)",
        (BACKEND, tag, os.getpid(), time.time()),
    )
    if when == "after":
        conn.execute("INSERT INTO bq_effects (backend, tag) VALUES (%s, %s)", (BACKEND, tag))
    time.sleep(sleep_s)
    if when == "before":
        conn.execute("INSERT INTO bq_effects (backend, tag) VALUES (%s, %s)", (BACKEND, tag))


# ---- the backends: each defines enqueue functions and a worker command --------------------

papp = None
if BACKEND == "procrastinate":
    import procrastinate

    papp = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=PG))

    @papp.task(name="one")
    def p_one(job_id: int, enqueued: float) -> None:
        body_one(job_id, enqueued)

    @papp.task(name="chunk")
    def p_chunk(chunk: int, size: int) -> None:
        body_chunk(chunk, size)

    @papp.task(name="kill")
    def p_kill(tag: str, when: str, sleep_s: float) -> None:
        body_kill(tag, when, sleep_s)

elif BACKEND.startswith("dramatiq"):
    import dramatiq

    if BACKEND == "dramatiq-redis":
        from dramatiq.brokers.redis import RedisBroker

        # Maintenance (requeueing a dead worker's messages) runs on a random share of commands:
        # 10% here, 0.1% by default, so that an idle queue notices the dead worker at all.
        _broker = RedisBroker(
            url=REDIS, heartbeat_timeout=DEAD_AFTER_S * 1000, maintenance_chance=100_000
        )
    else:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        _broker = RabbitmqBroker(url=AMQP)
    dramatiq.set_broker(_broker)

    @dramatiq.actor(actor_name="one", max_retries=0)
    def d_one(job_id: int, enqueued: float) -> None:
        body_one(job_id, enqueued)

    @dramatiq.actor(actor_name="chunk", max_retries=0)
    def d_chunk(chunk: int, size: int) -> None:
        body_chunk(chunk, size)

    @dramatiq.actor(actor_name="kill", max_retries=0, time_limit=600_000)
    def d_kill(tag: str, when: str, sleep_s: float) -> None:
        body_kill(tag, when, sleep_s)

elif BACKEND.startswith("celery"):
    from celery import Celery

    capp = Celery(
        "bench_queue", broker=REDIS if BACKEND == "celery-redis" else AMQP.replace("%2F", "")
    )
    capp.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        # Kombu scans for unacknowledged messages past the visibility timeout every
        # interval x throttle seconds (10 x 10 by default); 1 x 1 here.
        broker_transport_options={
            "visibility_timeout": DEAD_AFTER_S,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )

    @capp.task(name="one")
    def c_one(job_id: int, enqueued: float) -> None:
        body_one(job_id, enqueued)

    @capp.task(name="chunk")
    def c_chunk(chunk: int, size: int) -> None:
        body_chunk(chunk, size)

    @capp.task(name="kill")
    def c_kill(tag: str, when: str, sleep_s: float) -> None:
        body_kill(tag, when, sleep_s)


def enqueue_many(name: str, kwargs_list: list[dict]) -> None:
    if BACKEND == "procrastinate":
        task = {"one": p_one, "chunk": p_chunk, "kill": p_kill}[name]
        with papp.open():
            for i in range(0, len(kwargs_list), 1000):
                task.batch_defer(*kwargs_list[i : i + 1000])
    elif BACKEND.startswith("dramatiq"):
        actor = {"one": d_one, "chunk": d_chunk, "kill": d_kill}[name]
        for kw in kwargs_list:
            actor.send(**kw)
    else:
        task = {"one": c_one, "chunk": c_chunk, "kill": c_kill}[name]
        for kw in kwargs_list:
            task.apply_async(kwargs=kw)


def enqueue_one_by_one(name: str, kwargs_list: list[dict], gap_s: float) -> None:
    """Single jobs, each its own enqueue call (the latency probe)."""
    if BACKEND == "procrastinate":
        task = {"one": p_one, "kill": p_kill}[name]
        with papp.open():
            for kw in kwargs_list:
                kw = dict(kw, enqueued=time.time()) if "enqueued" in kw else kw
                task.defer(**kw)
                time.sleep(gap_s)
        return
    for kw in kwargs_list:
        kw = dict(kw, enqueued=time.time()) if "enqueued" in kw else kw
        enqueue_many(name, [kw])
        time.sleep(gap_s)


def retry_stalled() -> int:
    """Procrastinate leaves a dead worker's job 'doing'; an operator's periodic task retries it."""
    if BACKEND != "procrastinate":
        return 0
    import asyncio

    async def run() -> int:
        async with papp.open_async():
            jobs = list(
                await papp.job_manager.get_stalled_jobs(seconds_since_heartbeat=DEAD_AFTER_S)
            )
            for job in jobs:
                await papp.job_manager.retry_job(job)
            await papp.job_manager.prune_stalled_workers(DEAD_AFTER_S)
            return len(jobs)

    return asyncio.run(run())


def worker_main() -> None:
    if BACKEND == "procrastinate":
        papp.run_worker(
            concurrency=1,
            update_heartbeat_interval=2,
            stalled_worker_timeout=DEAD_AFTER_S,
            install_signal_handlers=True,
        )
    elif BACKEND.startswith("dramatiq"):
        from dramatiq.cli import main as dmain

        sys.argv = ["dramatiq", "bench_queue", "--processes", "1", "--threads", "1"]
        sys.exit(dmain())
    else:
        capp.worker_main(
            ["worker", "--concurrency", "1", "--pool", "prefork", "--loglevel", "WARNING"]
        )


# ---- the driver -----------------------------------------------------------------------------

HERE = Path(__file__).resolve().parent


def _env(backend: str) -> dict[str, str]:
    return dict(os.environ, BENCH_QUEUE_BACKEND=backend, PYTHONPATH=str(HERE), BENCH_QUEUE_PG=PG)


def _start_worker(backend: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HERE / "bench_queue.py"), "--worker"],
        env=_env(backend),
        cwd=HERE,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _scalar(sql: str, *args: object) -> int:
    row = _db().execute(sql, args).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _wait_for(sql: str, args: tuple, target: int, timeout: float) -> tuple[bool, float]:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if _scalar(sql, *args) >= target:
            return True, time.perf_counter() - started
        time.sleep(0.05)
    return False, time.perf_counter() - started


def _setup_db() -> None:
    import psycopg

    admin = PG.rsplit("/", 1)[0] + "/postgres"
    name = PG.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    _db().execute(
        """
        CREATE TABLE bq_rows (backend text, kind text, job_id int, enqueued float8, done float8,
                              pid int);
        CREATE TABLE bq_chunks (backend text, chunk int, PRIMARY KEY (backend, chunk));
        CREATE TABLE bq_chunk_rows (backend text, chunk int, n int);
        CREATE TABLE bq_runs (backend text, tag text, pid int, at float8);
        CREATE TABLE bq_effects (backend text, tag text);
        """
    )


def _subprocess(backend: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(HERE / "bench_queue.py"), *args],
        env=_env(backend),
        cwd=HERE,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _purge(backend: str) -> None:
    if backend.endswith("redis"):
        import redis

        redis.Redis.from_url(REDIS).flushdb()
    elif backend.endswith("rabbitmq"):
        for q in ("default", "default.DQ", "default.XQ", "celery"):
            subprocess.run(
                ["rabbitmqadmin", "delete", "queue", f"name={q}"],
                check=False,
                capture_output=True,
            )


def measure(backend: str, jobs: int, chunks: int, chunk_size: int, kill_sleep: float) -> None:
    print(f"-- {backend}", flush=True)
    if backend == "procrastinate":
        _subprocess(backend, "--apply-schema")
    _purge(backend)

    # 1. trivial jobs: enqueue all first, then start two workers and time the drain.
    cpu0 = _children_cpu()
    started = time.perf_counter()
    _subprocess(backend, "--enqueue", "one", str(jobs))
    enq_wall = time.perf_counter() - started
    enq_cpu = _children_cpu() - cpu0
    workers = [_start_worker(backend), _start_worker(backend)]
    cpu0 = _children_cpu()
    ok, wall = _wait_for(
        "SELECT count(*) FROM bq_rows WHERE backend=%s AND kind='one'", (backend,), jobs, 900
    )
    # From the first job done to the last: the workers' start-up is not the queue's throughput.
    span = (
        _db()
        .execute(
            "SELECT max(done) - min(done) FROM bq_rows WHERE backend=%s AND kind='one'",
            (backend,),
        )
        .fetchone()[0]
        or 1e-9
    )
    print(
        f"  {jobs:,} one-row jobs: enqueue {jobs / enq_wall:,.0f}/s ({enq_wall:.1f} s wall, "
        f"{enq_cpu:.1f} s CPU); {'drained' if ok else 'NOT drained'} by 2 workers "
        f"{wall:.1f} s after their start, {jobs / span:,.0f} jobs/s from the first done to "
        f"the last",
        flush=True,
    )

    # 2. chunked jobs onto the running workers.
    started = time.perf_counter()
    _subprocess(backend, "--enqueue", "chunk", str(chunks), str(chunk_size))
    ok, _ = _wait_for("SELECT count(*) FROM bq_chunks WHERE backend=%s", (backend,), chunks, 900)
    wall = time.perf_counter() - started
    rows = _scalar("SELECT count(*) FROM bq_chunk_rows WHERE backend=%s", backend)
    print(
        f"  {chunks:,} chunks of {chunk_size:,} rows: {'done' if ok else 'NOT done'} in "
        f"{wall:.1f} s (enqueue included) = {rows / wall:,.0f} rows/s",
        flush=True,
    )

    # 3. latency on idle workers.
    time.sleep(1)
    _subprocess(backend, "--latency", "200")
    ok, _ = _wait_for(
        "SELECT count(*) FROM bq_rows WHERE backend=%s AND kind='one' AND job_id >= 1000000000",
        (backend,),
        200,
        120,
    )
    lat = [
        r[0] * 1000
        for r in _db().execute(
            "SELECT done - enqueued FROM bq_rows WHERE backend=%s AND job_id >= 1000000000",
            (backend,),
        )
    ]
    lat.sort()
    if lat:
        print(
            f"  latency of 200 single jobs on idle workers: median {statistics.median(lat):,.1f} "
            f"ms, p95 {lat[int(len(lat) * 0.95) - 1]:,.1f} ms, max {lat[-1]:,.1f} ms",
            flush=True,
        )
    for w in workers:
        _stop(w)
    work_cpu = _children_cpu() - cpu0
    print(f"  CPU time of the two worker programs over 1-3: {work_cpu:.1f} s", flush=True)

    # 4. kill a worker mid-job, both with the effect not yet written and already committed.
    for when in ("before", "after"):
        tag = f"{backend}-{when}"
        _purge(backend)
        victim = _start_worker(backend)
        time.sleep(3)
        _subprocess(backend, "--kill-job", tag, when, str(kill_sleep))
        got, _ = _wait_for(
            "SELECT count(*) FROM bq_runs WHERE backend=%s AND tag=%s", (backend, tag), 1, 60
        )
        if not got:
            print(f"  kill ({when}): the job never started")
            _stop(victim)
            continue
        time.sleep(0.5)
        _stop(victim, signal.SIGKILL)
        killed_at = time.time()
        fresh = _start_worker(backend)
        deadline = time.perf_counter() + 120
        rerun = False
        while time.perf_counter() < deadline:
            if backend == "procrastinate":
                _subprocess(backend, "--retry-stalled")
            runs = _scalar("SELECT count(*) FROM bq_runs WHERE backend=%s AND tag=%s", backend, tag)
            effects = _scalar(
                "SELECT count(*) FROM bq_effects WHERE backend=%s AND tag=%s", backend, tag
            )
            if runs >= 2 and effects >= (1 if when == "before" else 2):
                rerun = True
                break
            time.sleep(1)
        time.sleep(kill_sleep + 1 if rerun else 0)
        runs = _scalar("SELECT count(*) FROM bq_runs WHERE backend=%s AND tag=%s", backend, tag)
        effects = _scalar(
            "SELECT count(*) FROM bq_effects WHERE backend=%s AND tag=%s", backend, tag
        )
        second = _scalar("SELECT max(at) FROM bq_runs WHERE backend=%s AND tag=%s", backend, tag)
        delay = f"{second - killed_at:.1f} s after the kill" if runs >= 2 else "never"
        print(
            f"  kill with the effect {'not yet written' if when == 'before' else 'committed'}: "
            f"run {runs} times (again {delay}), effect written {effects} times",
            flush=True,
        )
        _stop(fresh)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--kill-sleep", type=float, default=4.0)
    parser.add_argument("--only", default=",".join(BACKENDS))
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--apply-schema", action="store_true")
    parser.add_argument("--enqueue", nargs="+")
    parser.add_argument("--latency", type=int)
    parser.add_argument("--kill-job", nargs=3)
    parser.add_argument("--retry-stalled", action="store_true")
    a = parser.parse_args()
    if a.worker:
        worker_main()
        return 0
    if a.apply_schema:
        with papp.open():
            papp.schema_manager.apply_schema()
        return 0
    if a.enqueue:
        name, n = a.enqueue[0], int(a.enqueue[1])
        if name == "one":
            now = time.time()
            enqueue_many("one", [{"job_id": i, "enqueued": now} for i in range(n)])
        else:
            size = int(a.enqueue[2])
            enqueue_many("chunk", [{"chunk": i, "size": size} for i in range(n)])
        return 0
    if a.latency:
        enqueue_one_by_one(
            "one",
            [{"job_id": 1_000_000_000 + i, "enqueued": 0.0} for i in range(a.latency)],
            0.02,
        )
        return 0
    if a.retry_stalled:
        retry_stalled()
        return 0
    if a.kill_job:
        tag, when, sleep_s = a.kill_job
        enqueue_many("kill", [{"tag": tag, "when": when, "sleep_s": float(sleep_s)}])
        return 0
    load = os.getloadavg()
    print(
        f"{a.jobs:,} jobs, {a.chunks:,} chunks of {a.chunk_size:,} rows, 2 worker programs of "
        f"1 process x 1 thread; {os.cpu_count()} CPUs, load average {load[0]:.1f}",
        flush=True,
    )
    _setup_db()
    for backend in a.only.split(","):
        library = backend.split("-")[0]
        if importlib.util.find_spec(library) is None:
            print(f"-- {backend}: skipped, {library} is not installed (see this file's docstring)")
            continue
        try:
            measure(backend, a.jobs, a.chunks, a.chunk_size, a.kill_sleep)
        except Exception as exc:  # noqa: BLE001 - one backend failing must not hide the others
            print(f"  {backend} FAILED: {exc!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
