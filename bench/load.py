"""Load harness: members voting and readers on result pages, against production mode.

    .venv/bin/python bench/load.py [--voters 3000] [--duration 60] [--concurrency 32]

Starts ``asamblea serve --production`` (gunicorn, WhiteNoise, PostgreSQL with synchronous commit
on) on 127.0.0.1 pinned to CPU 0, on a scratch database it creates (``--database-url``, default
``asamblea_load`` on the local server), with one unit of ``--voters`` members and an open
election. The load generator pins itself to CPU 1 (as ``taskset -c 1`` would) and runs bounded
in count (each member votes once) and time (``--duration``). A member "logs in" with the voting
code on the printed card: opens the election (GET /api/elections/ID), then casts (POST
/api/elections/ID/vote with a fresh submission key, retried with the same key on failure).
Readers load the result and record pages meanwhile.

Prints throughput and latency percentiles (p50/p95/p99). The target (>= 300 ballots/s with
p99 < 500 ms on a 2-core machine) is printed next to the figures, never asserted.
"""

from __future__ import annotations

import argparse
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
    p.add_argument("--voters", type=int, default=3000)
    p.add_argument("--duration", type=float, default=60.0, help="stop after this many seconds")
    p.add_argument("--concurrency", type=int, default=32, help="simultaneous clients")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    p.add_argument("--port", type=int, default=58500)
    p.add_argument("--reader-share", type=float, default=0.2, help="share of requests that read")
    p.add_argument("--server-cpus", default="0")
    p.add_argument("--client-cpu", type=int, default=1)
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
    try:
        os.sched_setaffinity(0, {args.client_cpu})
    except OSError as exc:
        print(f"could not pin the load generator to CPU {args.client_cpu}: {exc}")
    work = Path(tempfile.mkdtemp(prefix="asamblea-load-"))
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
    print(f"setting up {args.voters} members and an open election ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            str(HERE / "crash" / "steps.py"),
            "setup",
            str(fixture_path),
            str(args.voters),
            "load",
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
        return run_load(args, fx, server.port)
    finally:
        server.stop()


def run_load(args: argparse.Namespace, fx: Fixture, port: int) -> int:
    stats = Stats()
    rng = random.Random(7)  # noqa: S311 - choosing test ballots, not secrets
    ballots = [{"choice": rng.choice(fx.candidates)} for _ in range(len(fx.codes))]
    next_voter = iter(range(len(fx.codes)))
    voter_lock = threading.Lock()
    stop_at = time.monotonic() + args.duration
    acked = 0
    acked_lock = threading.Lock()

    def client(seed: int) -> None:
        nonlocal acked
        local = random.Random(seed)  # noqa: S311
        while time.monotonic() < stop_at:
            if local.random() < args.reader_share:
                path = local.choice(fx.pages)
                stats.add("read", httpclient.request(port, "GET", path))
                continue
            with voter_lock:
                voter = next(next_voter, None)
            if voter is None:
                return
            stats.add("open", httpclient.request(port, "GET", f"/api/elections/{fx.election_id}"))
            key = httpclient.new_key()
            for _attempt in range(5):
                reply = httpclient.cast(port, fx.election_id, fx.codes[voter], ballots[voter], key)
                stats.add("cast", reply)
                if reply.status == 200:
                    with acked_lock:
                        acked += 1
                    break
                if reply.status and reply.status < 500 and reply.status != 429:
                    break

    started = time.monotonic()
    with ThreadPoolExecutor(args.concurrency) as pool:
        for f in [pool.submit(client, i) for i in range(args.concurrency)]:
            f.result()
    elapsed = time.monotonic() - started
    report(args, stats, acked, elapsed)
    return 0


def report(args: argparse.Namespace, stats: Stats, acked: int, elapsed: float) -> None:
    print(
        f"\nload: {args.concurrency} clients on CPU {args.client_cpu}, server on CPU "
        f"{args.server_cpus} ({args.workers} gunicorn workers), {elapsed:.1f} s"
    )
    for kind in ("cast", "open", "read"):
        values = sorted(stats.latency.get(kind, []))
        if not values:
            continue
        p50, p95, p99 = (httpclient.percentile(values, p) * 1000 for p in (50, 95, 99))
        print(
            f"  {kind:5} {len(values) / elapsed:7.1f}/s  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
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


if __name__ == "__main__":
    sys.exit(main())
