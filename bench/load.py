"""Load harness: members voting, delegates voting in a division, and readers, against
production mode.

    .venv/bin/python bench/load.py [--voters 20000] [--delegates 300] [--duration 60]

Starts ``asamblea serve --production`` (uWSGI, WhiteNoise, PostgreSQL with synchronous commit
on) on 127.0.0.1 on a scratch database it creates (``--database-url``, default ``asamblea_load``
on the local server), with one unit of ``--voters`` members and an open election, and a weighted
assembly of ``--delegates`` delegates in session with a division open. The load generator pins
itself to one core (``--client-cpu``, as ``taskset -c 1`` would); the server and PostgreSQL run
where the kernel puts them, unless ``--server-cpus`` pins the server too.

Bounded in count (each member and each delegate votes once) and in time (``--duration``):

- a member "logs in" with the voting code on the printed card: fetches the ballot paper
  (GET /api/elections/ID), then casts (POST /api/elections/ID/vote with a fresh submission key,
  retried with the same key on failure);
- a delegate votes their seat with their bearer token (POST /api/divisions/ID/votes), spread
  evenly among the members;
- readers load the result and record pages at ``--read-rate`` requests per second.

Prints throughput and latency percentiles (p50/p95/p99) of each kind of request. The target
(>= 300 ballots/s with p99 < 500 ms on a 2-core machine) is printed next to the figures, never
asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_casting  # noqa: E402
import httpclient  # noqa: E402
from fixture import Fixture  # noqa: E402
from server import Server, wait_workers  # noqa: E402

TARGET_BALLOTS_PER_SECOND = 300
TARGET_P99_SECONDS = 0.5


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--database-url",
        default=os.environ.get(
            "LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/asamblea_load"
        ),
        help="a PostgreSQL database to DROP and re-create for the run",
    )
    p.add_argument("--voters", type=int, default=20000)
    p.add_argument("--delegates", type=int, default=300, help="delegates voting in a division")
    p.add_argument("--duration", type=float, default=60.0, help="stop after this many seconds")
    p.add_argument("--concurrency", type=int, default=32, help="simultaneous voting clients")
    p.add_argument("--processes", type=int, default=4, help="client processes (on one core)")
    p.add_argument("--workers", type=int, default=5, help="server workers")
    p.add_argument("--port", type=int, default=58500)
    p.add_argument("--read-rate", type=float, default=10.0, help="page reads per second")
    p.add_argument(
        "--server-cpus", default=None, help="pin the server to these CPUs (default: not pinned)"
    )
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument(
        "--pgbench-seconds",
        type=float,
        default=10.0,
        help="measure the database's ceiling with pgbench first (0: skip)",
    )
    return p.parse_args(argv)


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name {name!r}")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {}
        self.statuses: Counter[str] = Counter()

    def add(self, kind: str, reply: httpclient.Reply) -> None:
        with self.lock:
            self.statuses[f"{kind} {reply.status}"] += 1
            if 200 <= reply.status < 400:
                self.latency.setdefault(kind, []).append(reply.seconds)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    work = Path(tempfile.mkdtemp(prefix="asamblea-load-"))
    ceiling = None
    if args.pgbench_seconds > 0:
        scratch = args.database_url.rstrip("/") + "_pgbench"
        if bench_casting.recreate(scratch):
            ceiling = bench_casting.pgbench_ceiling(scratch, args.pgbench_seconds)
            print(f"pgbench one-row insert transaction, 2 clients: {ceiling:.0f} tps (the ceiling)")
    recreate_database(args.database_url)
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "ASAMBLEA_SECRET_KEY": secrets.token_urlsafe(40),
            "ASAMBLEA_VAR_DIR": str(work / "var"),
        }
    )
    fixture_path = work / "fixture.json"
    print(
        f"setting up {args.voters} members and an open election, {args.delegates} delegates and "
        "an open division ...",
        flush=True,
    )
    subprocess.run(
        [
            sys.executable,
            str(HERE / "crash" / "steps.py"),
            "setup",
            str(fixture_path),
            str(args.voters),
            "load",
            str(args.delegates),
        ],
        env=env,
        check=True,
    )
    fx = Fixture.load(fixture_path)
    server = Server(
        args.port, env, workers=args.workers, cpus=args.server_cpus, log=work / "server.log"
    )
    try:
        wait_workers(server, args.workers)
        return run_load(args, fx, server.port, ceiling)
    finally:
        server.stop()


def run_load(args: argparse.Namespace, fx: Fixture, port: int, ceiling: float | None) -> int:
    # The work: every member votes once, every delegate once, delegates spread among members;
    # dealt round-robin to the client processes (several processes, all on the client's core:
    # one Python process's threads queue on its interpreter lock long before the core is busy).
    jobs: list[tuple[str, int]] = [("cast", i) for i in range(len(fx.codes))]
    if fx.delegates:
        every = max(1, len(jobs) // len(fx.delegates))
        for k in reversed(range(len(fx.delegates))):
            jobs.insert(min(len(jobs), k * every), ("division", k))
    processes = max(1, min(args.processes, args.concurrency))
    start_at = time.monotonic() + 1.0
    print(
        f"voting starts: {len(jobs)} votes to cast by {args.concurrency} clients in {processes} "
        f"processes, for at most {args.duration:.0f} s",
        flush=True,
    )
    # Pinned only now: the server started above must not inherit the client's core.
    try:
        os.sched_setaffinity(0, {args.client_cpu})
    except OSError as exc:
        print(f"could not pin the load generator to CPU {args.client_cpu}: {exc}")
    context = multiprocessing.get_context("fork")  # inherits the pinning to the client's core
    with context.Pool(processes) as pool:
        parts = pool.starmap(
            _client_process,
            [
                (
                    args,
                    fx,
                    port,
                    jobs[k::processes],
                    args.concurrency // processes,
                    k == 0,
                    start_at,
                )
                for k in range(processes)
            ],
        )
    elapsed = max(part[3] for part in parts) - start_at
    stats = Stats()
    acked = 0
    for latency, statuses, part_acked, _ended in parts:
        for kind, values in latency.items():
            stats.latency.setdefault(kind, []).extend(values)
        stats.statuses.update(statuses)
        acked += part_acked
    report(args, stats, acked, elapsed, ceiling)
    return 0


def _client_process(
    args: argparse.Namespace,
    fx: Fixture,
    port: int,
    jobs: list[tuple[str, int]],
    threads: int,
    reads: bool,
    start_at: float,
) -> tuple[dict[str, list[float]], Counter[str], int, float]:
    """One client process: ``threads`` clients working through ``jobs``, and the reader when
    ``reads``. Returns latencies, statuses, acknowledged ballots and when it ended."""
    stats = Stats()
    rng = random.Random(7)  # noqa: S311 - choosing test ballots, not secrets
    ballots = [{"choice": rng.choice(fx.candidates)} for _ in range(len(fx.codes))]
    queue = iter(jobs)
    queue_lock = threading.Lock()
    stop_at = start_at + args.duration
    acked = 0
    acked_lock = threading.Lock()
    done = threading.Event()

    def vote(voter: int) -> None:
        nonlocal acked
        stats.add("open", httpclient.request(port, "GET", f"/api/elections/{fx.election_id}"))
        key = httpclient.new_key()
        for _attempt in range(5):
            reply = httpclient.cast(port, fx.election_id, fx.codes[voter], ballots[voter], key)
            stats.add("cast", reply)
            if reply.status == 200:
                with acked_lock:
                    acked += 1
                return
            if reply.status and reply.status < 500 and reply.status != 429:
                return

    def division_vote(k: int) -> None:
        token, seat_id = fx.delegates[k]
        choice = ("for", "for", "against", "abstain")[k % 4]
        payload = {"votes": [{"seat_id": seat_id, "choice": choice}]}
        path = f"/api/divisions/{fx.division_id}/votes"
        stats.add("division", httpclient.request(port, "POST", path, payload, token=token))

    def client() -> None:
        while time.monotonic() < stop_at:
            with queue_lock:
                job = next(queue, None)
            if job is None:
                return
            kind, index = job
            if kind == "cast":
                vote(index)
            else:
                division_vote(index)

    def reader() -> None:
        local = random.Random(11)  # noqa: S311
        interval = 1.0 / args.read_rate
        due = time.monotonic()
        while not done.is_set() and time.monotonic() < stop_at:
            stats.add("read", httpclient.request(port, "GET", local.choice(fx.pages)))
            due += interval
            done.wait(max(0.0, due - time.monotonic()))

    time.sleep(max(0.0, start_at - time.monotonic()))
    with ThreadPoolExecutor(threads + 1) as pool:
        readers = pool.submit(reader) if reads and args.read_rate > 0 else None
        for f in [pool.submit(client) for _ in range(threads)]:
            f.result()
        ended = time.monotonic()
        done.set()
        if readers is not None:
            readers.result()
    return stats.latency, stats.statuses, acked, ended


def report(
    args: argparse.Namespace, stats: Stats, acked: int, elapsed: float, ceiling: float | None
) -> None:
    print(
        f"\nload: {args.concurrency} clients in {args.processes} processes and a reader on CPU "
        f"{args.client_cpu}, server on "
        f"{'CPU ' + args.server_cpus if args.server_cpus else 'any CPU'} ({args.workers} "
        f"server workers), {elapsed:.1f} s"
    )
    for kind in ("cast", "open", "division", "read"):
        values = sorted(stats.latency.get(kind, []))
        if not values:
            continue
        p50, p95, p99 = (httpclient.percentile(values, p) * 1000 for p in (50, 95, 99))
        print(
            f"  {kind:8} {len(values) / elapsed:7.1f}/s  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
            f"p99 {p99:6.1f} ms  ({len(values)} ok)"
        )
    print("  statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items())))
    rate = acked / elapsed
    casts = sorted(stats.latency.get("cast", []))
    p99 = httpclient.percentile(casts, 99) if casts else float("nan")
    meets = rate >= TARGET_BALLOTS_PER_SECOND and p99 < TARGET_P99_SECONDS
    print(
        f"ballots acknowledged: {acked} = {rate:.1f} ballots/s, cast p99 {p99 * 1000:.0f} ms; "
        f"target >= {TARGET_BALLOTS_PER_SECOND}/s with p99 < {TARGET_P99_SECONDS * 1000:.0f} ms: "
        f"{'met' if meets else 'NOT met'}"
    )
    if ceiling:
        print(
            f"ratio to the pgbench ceiling ({ceiling:.0f} tps): {rate / ceiling:.2f} "
            "(a cast is one transaction of four inserts plus look-ups)"
        )


if __name__ == "__main__":
    sys.exit(main())
