"""The crash test (``make crash-test``): acknowledged means durable, one member one ballot.

On a PostgreSQL cluster of its own (a temporary folder, port 55432), the production server
serves an open election to simulated voters while a chaos thread SIGKILLs every server worker
and crashes the database (``pg_ctl stop -m immediate``, then start) in turn. Each voter picks one
submission key and retries with it after any failure; some voters also try a second ballot with
a different key from a second device. Afterwards the offline checker (steps.py ``check``) proves:

- every acknowledged ballot is in the database exactly once (none lost, none counted twice);
- no member has two ballots, and no second device was let through;
- no unacknowledged ballot appears twice;
- every acknowledged voter trying again with a fresh key is refused;
- the election closes and counts with every ballot, and the exported public record verifies
  (``asamblea export-record`` + ``asamblea verify``);
- the close and the count run as chunked jobs on three ``asamblea worker`` processes, all
  SIGKILLed three times in each while a chunk is inside its transaction (crash/jobs.py): every chunk is
  published once, the published ballots are the stored ones, one close, tally and count entry.

Negative runs show the test can fail: ``--unsafe-async-commit`` (synchronous_commit off, WAL
writer delayed 10 s, so acknowledged commits die with the database) and
``--drop-one-ballot-constraint`` (the database no longer keeps one participation per roll entry).
Exit status: 0 when every check holds, 1 when any fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import httpclient  # noqa: E402
from fixture import Fixture  # noqa: E402
from server import Server, wait_workers  # noqa: E402

from crash.cluster import Cluster  # noqa: E402

PY = sys.executable
ASAMBLEA = str(Path(PY).parent / "asamblea")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--voters", type=int, default=1200)
    p.add_argument("--worker-kills", type=int, default=5, help="times every worker is SIGKILLed")
    p.add_argument("--db-crashes", type=int, default=5, help="times the database is crashed")
    p.add_argument("--interval", type=float, default=2.5, help="seconds between crashes")
    p.add_argument("--rate", type=float, default=40.0, help="new voters per second")
    p.add_argument("--concurrency", type=int, default=24)
    p.add_argument("--double-share", type=float, default=0.05, help="voters with a second device")
    p.add_argument("--workers", type=int, default=3, help="server workers")
    p.add_argument("--pg-port", type=int, default=55432)
    p.add_argument("--http-port", type=int, default=58432)
    p.add_argument("--give-up-after", type=float, default=120.0, help="a voter's retry budget (s)")
    p.add_argument("--unsafe-async-commit", action="store_true")
    p.add_argument("--drop-one-ballot-constraint", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--seed", type=int, default=None)
    return p.parse_args(argv)


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n


def vote(
    port: int,
    fx: Fixture,
    voter: int,
    ballot: dict[str, Any],
    deadline_s: float,
    tally: Tally,
    key: str | None = None,
) -> dict[str, Any]:
    """Cast one ballot, retrying with the same key until a definite answer or the deadline."""
    key = key or httpclient.new_key()
    give_up = time.monotonic() + deadline_s
    delay = 0.1
    attempts = 0
    while True:
        attempts += 1
        reply = httpclient.cast(port, fx.election_id, fx.codes[voter], ballot, key)
        if reply.status == 200:
            if attempts > 1:
                tally.add("retried_then_acknowledged")
            if reply.body.get("replayed"):
                tally.add("replayed_receipts")
            return {"code": reply.body["tracking_code"], "status": 200, "attempts": attempts}
        if reply.status in (400, 404, 409, 422):
            return {
                "code": None,
                "status": reply.status,
                "detail": reply.body,
                "attempts": attempts,
            }
        # 0 (connection refused, reset, timeout), 5xx, 429: the ballot may or may not be in; the
        # same key makes the retry safe either way.
        tally.add(f"retry_after_{reply.status or 'connection_error'}")
        if time.monotonic() + delay > give_up:
            return {"code": None, "status": reply.status, "attempts": attempts}
        time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not secrecy
        delay = min(delay * 2, 2.0)


def chaos(
    args: argparse.Namespace,
    cluster: Cluster,
    server: Server,
    log: list[str],
    stop: threading.Event,
) -> None:
    # Alternate the two kinds, so each crash meets the other's recovery too.
    order = []
    w, d = args.worker_kills, args.db_crashes
    while w or d:
        if w:
            order.append("workers")
            w -= 1
        if d:
            order.append("database")
            d -= 1
    time.sleep(args.interval)
    for kind in order:
        if stop.is_set():
            break
        started = time.monotonic()
        if kind == "workers":
            n = server.kill_workers()
            log.append(f"{time.strftime('%H:%M:%S')} SIGKILL {n} server workers")
        else:
            cluster.crash()
            log.append(f"{time.strftime('%H:%M:%S')} database crashed (pg_ctl stop -m immediate)")
            time.sleep(0.5)
            cluster.start()
            log.append(
                f"{time.strftime('%H:%M:%S')} database back after {time.monotonic() - started:.1f} s"
            )
        time.sleep(args.interval)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    rng = random.Random(args.seed)  # noqa: S311 - choosing test ballots, not secrets
    negative = args.unsafe_async_commit or args.drop_one_ballot_constraint
    mode = (
        "NEGATIVE: synchronous_commit=off, wal_writer_delay=10s"
        if args.unsafe_async_commit
        else "NEGATIVE: one-ballot constraint dropped"
        if args.drop_one_ballot_constraint
        else "positive: synchronous_commit=on, constraints in place"
    )
    print(f"crash test ({mode})", flush=True)
    pg_settings: dict[str, str] = {}
    if args.unsafe_async_commit:
        # WAL stays in shared memory until the WAL writer's next round (10 s, its maximum) or
        # until its buffers fill: an immediate stop loses every commit in between.
        pg_settings = {
            "synchronous_commit": "off",
            "wal_writer_delay": "10s",
            "wal_writer_flush_after": "1GB",
            "wal_buffers": "64MB",
        }
    cluster = Cluster(args.pg_port, pg_settings)
    work = Path(tempfile.mkdtemp(prefix="asamblea-crash-run-"))
    server: Server | None = None
    t0 = time.monotonic()
    try:
        cluster.init()
        cluster.start()
        cluster.psql("CREATE DATABASE asamblea_crash")
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": cluster.url(),
                "ASAMBLEA_SECRET_KEY": secrets.token_urlsafe(40),
                "ASAMBLEA_VAR_DIR": str(work / "var"),
                "PYTHONPATH": os.pathsep.join([str(BENCH), env.get("PYTHONPATH", "")]),
            }
        )
        if args.unsafe_async_commit:
            # The application forces synchronous_commit=on on each connection; only a settings
            # module of the harness's own can turn that off.
            env["DJANGO_SETTINGS_MODULE"] = "crash.unsafe_settings"
        fixture_path = work / "fixture.json"
        subprocess.run(
            [PY, str(HERE / "steps.py"), "setup", str(fixture_path), str(args.voters)],
            env=env,
            check=True,
        )
        fx = Fixture.load(fixture_path)
        if args.drop_one_ballot_constraint:
            cluster.psql(
                "ALTER TABLE elections_participation "
                "DROP CONSTRAINT one_participation_per_roll_entry",
                "asamblea_crash",
            )
        print(f"setup: {args.voters} voters on the roll, election {fx.election_id}", flush=True)
        server = Server(
            args.http_port, env, workers=args.workers, cpus="0", log=work / "server.log"
        )
        wait_workers(server, args.workers)
        tally = Tally()
        chaos_log: list[str] = []
        stop = threading.Event()
        chaos_thread = threading.Thread(
            target=chaos, args=(args, cluster, server, chaos_log, stop), daemon=True
        )
        outcomes: list[dict[str, Any]] = []
        out_lock = threading.Lock()
        second_devices = set(rng.sample(range(args.voters), int(args.voters * args.double_share)))
        ballots = [{"choice": rng.choice(fx.candidates)} for _ in range(args.voters)]

        def one_voter(voter: int) -> None:
            ballot = ballots[voter]
            content = json.dumps({"choice": ballot["choice"]}, separators=(",", ":"))
            second = None
            if voter in second_devices:
                other = {"choice": rng.choice(fx.candidates)}
                # The second device races the first, with a key of its own.
                second = threading.Thread(target=lambda: _second_device(voter, other), daemon=True)
                second.start()
            res = vote(args.http_port, fx, voter, ballot, args.give_up_after, tally)
            with out_lock:
                outcomes.append(
                    {"voter": voter, "tracking_code": res["code"], "content": content, **res}
                )
            if second is not None:
                second.join()

        def _second_device(voter: int, ballot: dict[str, Any]) -> None:
            res = vote(args.http_port, fx, voter, ballot, args.give_up_after, tally)
            content = json.dumps({"choice": ballot["choice"]}, separators=(",", ":"))
            with out_lock:
                outcomes.append(
                    {"voter": voter, "tracking_code": res["code"], "content": content, **res}
                )
            tally.add("second_device_acknowledged" if res["code"] else "second_device_refused")

        load_started = time.monotonic()
        chaos_thread.start()
        with ThreadPoolExecutor(args.concurrency) as pool:
            futures = []
            for voter in range(args.voters):
                due = load_started + voter / args.rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                futures.append(pool.submit(one_voter, voter))
            for f in futures:
                f.result()
        load_seconds = time.monotonic() - load_started
        stop.set()
        chaos_thread.join()
        # The acknowledged voters try again with a fresh key: every one must be refused.
        acked_voters = sorted({o["voter"] for o in outcomes if o["tracking_code"]})
        again_tally = Tally()
        with ThreadPoolExecutor(args.concurrency) as pool:
            again = list(
                pool.map(
                    lambda v: vote(args.http_port, fx, v, ballots[v], 30.0, again_tally),
                    acked_voters,
                )
            )
        voted_again = sum(1 for r in again if r["code"])
        server.stop()
        server = None
        # Voters who voted again hold two receipts now; count those ballots as theirs too.
        for v, r in zip(acked_voters, again, strict=True):
            if r["code"]:
                content = json.dumps(ballots[v], separators=(",", ":"))
                outcomes.append({"voter": v, "tracking_code": r["code"], "content": content})
        outcomes_path = work / "outcomes.json"
        outcomes_path.write_text(json.dumps(outcomes))
        result_path = work / "result.json"
        subprocess.run(
            [
                PY,
                str(HERE / "steps.py"),
                "check",
                str(fixture_path),
                str(outcomes_path),
                str(result_path),
            ],
            env=env,
            check=True,
        )
        figures = json.loads(result_path.read_text())
        figures["acknowledged_voters_who_voted_again"] = voted_again
        verified = _export_and_verify(env, work)
        figures["record_verifies"] = verified
        _report(args, chaos_log, tally, figures, load_seconds, time.monotonic() - t0)
        failures = _failures(figures)
        if failures:
            print("RESULT: FAIL: " + "; ".join(failures), flush=True)
            if negative:
                print("(a negative run is expected to fail: the harness detects the loss)")
            return 1
        print(
            "RESULT: PASS: every acknowledged ballot counted exactly once, no member twice; the "
            "close and count survived worker kills mid-chunk"
        )
        return 0
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _export_and_verify(env: dict[str, str], work: Path) -> bool:
    out = work / "record"
    exported = subprocess.run(
        [ASAMBLEA, "export-record", str(out), "--organisation", "crash"],
        env=env,
        capture_output=True,
        text=True,
    )
    if exported.returncode != 0:
        print(f"export-record failed: {exported.stderr.strip()[-500:]}")
        return False
    verified = subprocess.run(
        [ASAMBLEA, "verify", str(out)], env=env, capture_output=True, text=True
    )
    print(f"verify: {(verified.stdout or verified.stderr).strip().splitlines()[-1:]}")
    return verified.returncode == 0


def _failures(f: dict[str, Any]) -> list[str]:
    checks = [
        ("acknowledged_lost", "acknowledged ballots lost"),
        ("acknowledged_counted_twice", "acknowledged ballots counted twice"),
        ("tracking_codes_doubled", "tracking codes doubled"),
        ("voters_with_two_receipts", "voters with two receipts"),
        ("members_with_two_ballots", "members with two ballots"),
        ("ballots_missing_by_content", "acknowledged ballot contents missing"),
        ("unacknowledged_counted_twice", "unacknowledged ballots counted twice"),
        ("acknowledged_voters_who_voted_again", "acknowledged voters who could vote again"),
    ]
    out = [f"{f[k]} {label}" for k, label in checks if f.get(k)]
    if not (f["ballots_in_db"] == f["participations_in_db"] == f["tracking_codes_in_db"]):
        out.append("ballots, participations and tracking codes differ in number")
    if not f.get("counted_equals_ballots"):
        out.append("the count does not hold every ballot")
    if not f.get("record_verifies"):
        out.append("the public record does not verify")
    # The queue phase (crash/jobs.py): the close and count as jobs, workers killed mid-chunk.
    for name in ("close", "count"):
        if f.get(f"{name}_job_state") != "done":
            out.append(f"the {name} job did not finish: {f.get(f'{name}_job_error') or 'timeout'}")
        if not f.get(f"{name}_kills_with_a_chunk_in_flight"):
            out.append(f"no worker was killed in the middle of a chunk of the {name}")
        elif not f.get(f"{name}_parts_run_again"):
            out.append(f"no chunk of the {name} was run again after its worker was killed")
    for key, label in (
        ("chunks_published_twice", "chunks published twice"),
        ("chunks_missing", "chunks not published"),
        ("published_differs_from_stored", "published ballots differ from the stored ones"),
    ):
        if f.get(key):
            out.append(f"{f[key]} {label}")
    for kind in ("election_closed", "election_tallied", "election_counted"):
        if f.get(f"{kind}_entries") != 1:
            out.append(f"{f.get(f'{kind}_entries')} {kind} entries, not one")
    return out


def _report(
    args: argparse.Namespace,
    chaos_log: list[str],
    tally: Tally,
    figures: dict[str, Any],
    load_seconds: float,
    total_seconds: float,
) -> None:
    print("chaos:")
    for line in chaos_log:
        print(f"  {line}")
    kills = sum("SIGKILL" in line for line in chaos_log)
    crashes = sum("crashed" in line for line in chaos_log)
    print(
        f"crashes: {kills} worker kills, {crashes} database crashes in {load_seconds:.1f} s of load"
    )
    print("client side:")
    for k, v in sorted(tally.counts.items()):
        print(f"  {k}: {v}")
    print("offline check:")
    for k, v in figures.items():
        print(f"  {k}: {v}")
    print(f"whole run: {total_seconds:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
