"""Ballot casting throughput of Asamblea against the database's own ceiling on this machine.

    .venv/bin/python bench/bench_casting.py [--seconds 10] [--database-url URL]

1. The ceiling: ``pgbench -n -f script.sql -c 2 -j 2 -T SECONDS`` on a scratch database, where
   the script is one transaction inserting one row shaped like a ballot (random UUID, election
   id, JSON content), with synchronous commit on, as the application runs.
2. Asamblea through the action: ``check_cast`` called in-process from 2 threads (2 connections,
   like pgbench's 2 clients), each cast a new member with a new submission key.
3. Asamblea through HTTP: the production server (uWSGI, pinned to CPU 0) and 16 clients
   pinned to CPU 1, POST /api/elections/ID/vote.

Prints each rate and its ratio to the ceiling. A cast is one transaction of four inserts plus
the credential, roll and idempotency look-ups, so a ratio well under 1 is expected; the figure
to watch is how it moves. Exits 0 without measuring when no PostgreSQL answers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PGBENCH_SCRIPT = """\
BEGIN;
INSERT INTO bench_ballot (id, election_id, content)
  VALUES (gen_random_uuid(), 1, '{"choice":"cql2qdsblkcjxglg"}');
COMMIT;
"""


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/asamblea_bench_casting"
        ),
        help="a PostgreSQL database to DROP and re-create",
    )
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--port", type=int, default=58600)
    return p.parse_args(argv)


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name {name!r}")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    return admin, name


def recreate(url: str) -> bool:
    import psycopg

    admin, name = _admin_url(url)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"no PostgreSQL at {admin}: {exc}; nothing measured")
        return False
    return True


def pgbench_ceiling(url: str, seconds: float) -> float:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_ballot (id uuid PRIMARY KEY, election_id bigint NOT NULL, "
            "content text NOT NULL)"
        )
        conn.execute("CREATE INDEX ON bench_ballot (election_id)")
    parts = urlsplit(url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(PGBENCH_SCRIPT)
        script = fh.name
    try:
        done = subprocess.run(
            [
                shutil.which("pgbench") or "pgbench",
                "-n",
                "-f",
                script,
                "-c",
                "2",
                "-j",
                "2",
                "-T",
                str(int(seconds)),
                "-h",
                parts.hostname or "127.0.0.1",
                "-p",
                str(parts.port or 5432),
                "-U",
                parts.username or "postgres",
                parts.path.lstrip("/"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script)
    match = re.search(r"tps = ([0-9.]+)", done.stdout)
    if not match:
        raise RuntimeError(f"no tps in pgbench's output:\n{done.stdout}")
    return float(match.group(1))


def through_action(fx, seconds: float) -> float:  # type: ignore[no-untyped-def]
    from django.db import connection

    from asamblea.elections import actions
    from asamblea.elections.models import Election

    election = Election.objects.get(pk=fx.election_id)
    codes = iter(fx.codes[: len(fx.codes) // 2])
    lock = threading.Lock()
    done = 0
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal done
        mine = 0
        try:
            while time.monotonic() < stop_at:
                with lock:
                    code = next(codes, None)
                if code is None:
                    break
                actions.check_cast(
                    election, code, {"choice": fx.candidates[0]}, secrets.token_urlsafe(24)
                )
                mine += 1
        finally:
            connection.close()
            with lock:
                done += mine

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done / (time.monotonic() - started)


def through_http(fx, env: dict[str, str], port: int, seconds: float, work: Path) -> float:  # type: ignore[no-untyped-def]
    import httpclient
    from server import Server, wait_workers

    server = Server(port, env, workers=4, cpus="0", log=work / "server.log")
    try:
        wait_workers(server, 4)
        codes = iter(fx.codes[len(fx.codes) // 2 :])
        lock = threading.Lock()
        done = 0
        stop_at = time.monotonic() + seconds

        def client() -> None:
            nonlocal done
            while time.monotonic() < stop_at:
                with lock:
                    code = next(codes, None)
                if code is None:
                    return
                reply = httpclient.cast(
                    port, fx.election_id, code, {"choice": fx.candidates[0]}, httpclient.new_key()
                )
                if reply.status == 200:
                    with lock:
                        done += 1

        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            for f in [pool.submit(client) for _ in range(16)]:
                f.result()
        return done / (time.monotonic() - started)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not recreate(args.database_url):
        return 0
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    ceiling = pgbench_ceiling(args.database_url, args.seconds)
    print(f"pgbench one-row insert transaction, 2 clients: {ceiling:.0f} tps (the ceiling)")
    work = Path(tempfile.mkdtemp(prefix="asamblea-bench-casting-"))
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "ASAMBLEA_SECRET_KEY": secrets.token_urlsafe(40),
            "ASAMBLEA_VAR_DIR": str(work / "var"),
        }
    )
    os.environ.update(env)
    from asamblea.commands import django_setup

    django_setup()
    import fixture
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Enough members that neither measurement runs out of voters within its time.
    fx = fixture.build(max(2000, int(args.seconds * 400)), slug="bench-casting")
    fixture_path = work / "fixture.json"
    fx.dump(fixture_path)
    action_rate = through_action(fx, args.seconds)
    print(
        f"Asamblea check_cast in-process, 2 threads: {action_rate:.0f} ballots/s "
        f"= {action_rate / ceiling:.2f} of the ceiling"
    )
    from django.db import connections

    connections.close_all()
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {1})
    http_rate = through_http(fx, env, args.port, args.seconds, work)
    print(
        f"Asamblea POST /api/elections/ID/vote, production server: {http_rate:.0f} ballots/s "
        f"= {http_rate / ceiling:.2f} of the ceiling"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
