"""A national vote through the application on PostgreSQL, stage by stage (issue 15).

    .venv/bin/python bench/bench_national.py [--members 1000000] [--workers 4]
        [--sizes 1000000,2000000,5000000] [--database-url URL]

One organisation of N members (set up by bulk SQL, not timed), a 3-of-5 board of trustees (the
demo's kind of board, its key generation run in this process) and a sealed yes/no recall vote.
Then, each stage timed through the public actions, as an officer, voter or trustee would run
them (so that whatever the actions do, in chunks or in jobs, is what is measured):

1. open: freeze the roll and mint N voting codes (``do_open_election``);
2. cast: N ballots through ``check_cast`` (sealed at the door: the server-side sealing and the
   spent-code check of every real cast), in ``--workers`` processes, each its own connection;
3. close (``do_close_election``): ballots published on the record, encrypted tally, decryption
   request;
4. decrypt: three trustees' partial decryptions made and posted through ``check_post_partial``;
5. count (``do_count_election``);
6. export the record (``export_to_dir``) and 7. ``asamblea verify --jobs WORKERS`` on it.

For each stage: wall time; CPU seconds of the application (this process and its children) and of
the PostgreSQL backends serving this database (read from /proc, sampled every 0.2 s: a backend
that ends between two samples loses its last fraction of a second); peak memory of the largest
application process, of all application processes together, and of the backends' private memory
(RssAnon: work memory and sorts, not the shared buffers). Then the record's entries: how many,
the largest in bytes and its type (goal: none over 16 MB).

With several sizes (``--members 20000,50000`` or ``--sizes``), each size runs in its own process
on a fresh database, and the growth of each stage is fitted as time = a * N^b (least squares on
the logarithms), with the figure extrapolated to 20,000,000 ballots. Nothing is asserted but the
tally (every ballot counted once); times are printed. The machine this runs on is shared: the
load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/asamblea_bench_national"
TARGET = 20_000_000
ENTRY_LIMIT = 16 * 1024 * 1024
STAGES = ("open", "cast", "close", "decrypt", "count", "export", "verify")


# --- measuring ----------------------------------------------------------------------------------


def _status(pid: int | str) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _sep, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "PPid"):
                out[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return out


def _cpu_ticks(pid: int | str) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15)


def _reset_peak() -> None:
    """Linux: make this process's VmHWM its current size (clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class Sampler:
    """Every 0.2 s: this process's descendants' and the database's backends' memory and CPU."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, database: str) -> None:
        self.database = database
        self.me = os.getpid()
        self._stop = threading.Event()
        self.app_total_kib = 0
        self.app_max_kib = 0
        self.db_total_kib = 0
        self.db_max_kib = 0
        self.db_first: dict[int, int] = {}
        self.db_last: dict[int, int] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join()
        self._sample()

    def _backends(self, procs: list[str]) -> Iterator[int]:
        marker = f" {self.database} ".encode()
        for pid in procs:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"postgres: ") and marker in cmd.replace(b"\0", b" ") + b" ":
                yield int(pid)

    def _sample(self) -> None:
        procs = [p for p in os.listdir("/proc") if p.isdigit()]
        parents = {int(p): _status(p).get("PPid", 0) for p in procs}
        family = {self.me}
        grew = True
        while grew:
            more = {p for p, pp in parents.items() if pp in family} - family
            grew = bool(more)
            family |= more
        app = [_status(p).get("VmRSS", 0) for p in family]
        self.app_total_kib = max(self.app_total_kib, sum(app))
        self.app_max_kib = max(self.app_max_kib, max(app, default=0))
        db = []
        for pid in self._backends(procs):
            ticks = _cpu_ticks(pid)
            if ticks is None:
                continue
            self.db_first.setdefault(pid, ticks)
            self.db_last[pid] = ticks
            db.append(_status(pid).get("RssAnon", 0))
        self.db_total_kib = max(self.db_total_kib, sum(db))
        self.db_max_kib = max(self.db_max_kib, max(db, default=0))

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()


def _own_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Stages:
    def __init__(self, database: str) -> None:
        self.database = database
        self.rows: dict[str, dict[str, float]] = {}
        self.db_ticks: dict[int, int] = {}

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        # Backends alive before the stage count from their CPU at its start, new ones from 0.
        before = Sampler(self.database)
        before._sample()
        baseline = dict(before.db_last)
        _reset_peak()
        wall, cpu = time.perf_counter(), _own_cpu()
        with Sampler(self.database) as sampler:
            out = fn()
        wall = time.perf_counter() - wall
        cpu = _own_cpu() - cpu
        own_peak = _status("self").get("VmHWM", 0)
        ticks = 0
        for pid, last in sampler.db_last.items():
            ticks += last - baseline.get(pid, 0)
        row = {
            "wall": wall,
            "cpu": cpu,
            "db_cpu": ticks / Sampler.TICK,
            "app_peak_mib": max(own_peak, sampler.app_max_kib) / 1024,
            "app_total_mib": max(own_peak, sampler.app_total_kib) / 1024,
            "db_mib": sampler.db_total_kib / 1024,
            "db_max_mib": sampler.db_max_kib / 1024,
        }
        self.rows[name] = row
        print(
            f"  {name:<8} {wall:9.2f} s wall {cpu:9.2f} s CPU app {row['db_cpu']:8.2f} s CPU db"
            f"  peak {row['app_peak_mib']:7,.0f} MiB largest process,"
            f" {row['app_total_mib']:7,.0f} MiB all app processes,"
            f" {row['db_mib']:6,.0f} MiB db backends (private)",
            flush=True,
        )
        return out


# --- the run of one size ------------------------------------------------------------------------


def _setup(url: str, work: Path) -> None:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "ASAMBLEA_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(40),
            "ASAMBLEA_VAR_DIR": str(work / "var"),
        }
    )
    from asamblea.commands import django_setup

    django_setup()


def _members(org: Any, unit: Any, n: int) -> None:
    """N members of ``unit``, bulk-inserted by two INSERT ... SELECT statements (bench data, as
    an import leaves them; not timed)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO registry_member (public_id, member_ref, display_name, phone, email,"
            " created_at, organisation_id, language)"
            # 16 characters of the base32 alphabet (a-z, 2-7), like new_public_id().
            " SELECT translate(substr(md5(gen_random_uuid()::text), 1, 16), '0189', 'wxyz'),"
            " 'M' || lpad(i::text, 8, '0'), 'Member ' || i, '', '', now(), %s, ''"
            " FROM generate_series(1, %s) AS i",
            [org.pk, n],
        )
        cur.execute(
            "INSERT INTO registry_membership (joined_on, end_reason, member_id, unit_id)"
            " SELECT DATE '2020-01-01', '', id, %s FROM registry_member"
            " WHERE organisation_id = %s AND member_ref LIKE 'M%%'",
            [unit.pk, org.pk],
        )


# Casting workers (spawned processes): each sets Django up once, then casts what it is given.
_BOX: Any = None


def _worker_init(env: dict[str, str], election_id: int) -> None:
    global _BOX
    os.environ.update(env)
    from asamblea.commands import django_setup

    django_setup()
    from asamblea.elections import actions

    _BOX = actions.BallotBox.load(election_id)


def _cast_chunk(chunk: list[tuple[int, str]]) -> tuple[int, int]:
    from asamblea.elections import actions

    yes = 0
    for i, code in chunk:
        vote = "no" if i % 3 == 2 else "yes"
        yes += vote == "yes"
        actions.check_cast(_BOX, code, {"vote": vote}, secrets.token_urlsafe(24))
    return len(chunk), yes


def one_size(n: int, workers: int, url: str) -> dict[str, Any]:
    from bench_casting import recreate

    if not recreate(url):
        raise SystemExit(2)
    work = Path(tempfile.mkdtemp(prefix="asamblea-bench-national-"))
    try:
        return _one_size(n, workers, url, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _one_size(n: int, workers: int, url: str, work: Path) -> dict[str, Any]:
    _setup(url, work)
    import fixture
    from django.core.management import call_command
    from django.db import connection, connections

    database = url.rsplit("/", 1)[-1]
    print(
        f"== {n:,} members, sealed yes/no recall, 3-of-5 board, {workers} casting processes; "
        f"database {database}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs ==",
        flush=True,
    )
    call_command("migrate", verbosity=0)
    from asamblea.elections import actions as elections
    from asamblea.elections.models import Election
    from asamblea.recordstore.export import export_to_dir
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body
    from asamblea.trustees.actions.decryption import check_post_partial
    from asamblea.trustees.models import DecryptionRequest, Trustee
    from asamblea.trustees.sharefile import partials_for

    t = time.perf_counter()
    slug = f"national-{secrets.token_hex(3)}"
    org = registry.do_create_organisation(None, slug=slug, name="National bench")
    unit = registry.do_create_body(None, org, code="U1", name="Nation", kind=Body.Kind.WORKPLACE)
    assembly = registry.do_create_body(
        None, org, code="A1", name="Assembly", kind=Body.Kind.ASSEMBLY
    )
    _members(org, unit, n)
    shares = fixture.make_board(org, k=3, n=5)
    election = elections.do_create_election(
        None, organisation=org, unit=unit, body=assembly, title="Recall", kind="recall",
        method="yesno",
    )  # fmt: skip
    elections.do_open_nominations(None, election)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"  (setup, not timed: {n:,} members by SQL, the board's key generation, "
          f"{time.perf_counter() - t:.1f} s)", flush=True)  # fmt: skip

    stages = Stages(database)
    opened = stages.run("open", lambda: elections.do_open_election(None, election))
    codes = list(opened.printed_codes.values())
    del opened
    if len(codes) != n:
        raise SystemExit(f"the open printed {len(codes):,} codes for {n:,} members")
    connections.close_all()

    env = {k: os.environ[k] for k in ("DATABASE_URL", "ASAMBLEA_SECRET_KEY", "ASAMBLEA_VAR_DIR")}

    def cast() -> tuple[int, int]:
        import multiprocessing

        done = yes = 0
        step = 500
        pairs = list(enumerate(codes))
        chunks = [pairs[k : k + step] for k in range(0, n, step)]
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(workers, _worker_init, (env, election.pk)) as pool:
            for did, said_yes in pool.imap_unordered(_cast_chunk, chunks):
                done += did
                yes += said_yes
            pool.close()
            pool.join()
        return done, yes

    cast_n, yes = stages.run("cast", cast)
    codes.clear()
    print(
        f"    {cast_n:,} sealed ballots cast: {cast_n / stages.rows['cast']['wall']:,.0f} ballots/s"
        f" wall, {1e3 * stages.rows['cast']['cpu'] / cast_n:.2f} ms application CPU and "
        f"{1e3 * stages.rows['cast']['db_cpu'] / cast_n:.2f} ms database CPU per ballot",
        flush=True,
    )
    election = Election.objects.get(pk=election.pk)
    stages.run("close", lambda: elections.do_close_election(None, election))

    def decrypt() -> None:
        request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:tally")
        for share in shares[:3]:
            trustee = Trustee.objects.select_related("user").get(
                board=request.board, index=share.index
            )
            request.refresh_from_db()
            payload = partials_for(share, _public_key(election), request.groups)
            check_post_partial(trustee.user, request.pk, payload)

    stages.run("decrypt", decrypt)
    election.refresh_from_db()
    stages.run("count", lambda: elections.do_count_election(None, election))
    export = work / "export"
    stages.run("export", lambda: export_to_dir(org, export))

    def verify() -> str:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "asamblea"), "verify", str(export)]
            + ["--jobs", str(workers), "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"asamblea verify failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return done.stdout

    verify_out = stages.run("verify", verify)
    election.refresh_from_db()
    tally = (election.result or {}).get("tally") or {}
    checked = json.loads(verify_out)
    print(
        f"  tally {tally}; asamblea verify: {checked.get('entries', '?'):,} entries, "
        f"recounted {json.dumps(checked.get('recounted', {}), sort_keys=True)[:300]}"
    )
    if (tally.get("yes"), tally.get("no")) != (yes, cast_n - yes):
        raise SystemExit(f"the tally {tally} is not the {yes:,} yes and {cast_n - yes:,} no cast")
    entries = _entries(org.pk)
    print(
        f"  record: {entries['count']:,} entries, {entries['bytes'] / 2**20:,.1f} MiB; largest "
        f"{entries['max_bytes'] / 2**20:,.2f} MiB ({entries['max_type']}); goal none over 16 MiB: "
        f"{'met' if entries['max_bytes'] <= ENTRY_LIMIT else 'NOT met'}",
        flush=True,
    )
    connections.close_all()
    return {
        "members": n,
        "workers": workers,
        "load": os.getloadavg()[0],
        "stages": stages.rows,
        "entries": entries,
    }


def _public_key(election: Any) -> Any:
    from asamblea.crypto.group import point_from_text

    return point_from_text(election.public_key)


def _entries(org_pk: int) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), coalesce(sum(octet_length(canonical)), 0)"
            " FROM recordstore_recordentry WHERE organisation_id = %s",
            [org_pk],
        )
        count, total = cur.fetchone()
        cur.execute(
            "SELECT octet_length(canonical), entry_type FROM recordstore_recordentry"
            " WHERE organisation_id = %s ORDER BY octet_length(canonical) DESC LIMIT 1",
            [org_pk],
        )
        biggest, kind = cur.fetchone()
    return {"count": count, "bytes": int(total), "max_bytes": biggest, "max_type": kind}


# --- several sizes: a process each, then the fit ------------------------------------------------


def fit(sizes: list[int], values: list[float]) -> tuple[float, float]:
    """(b, a) of value = a * N^b, least squares on the logarithms."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(v, 1e-6)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return b, math.exp(my - b * mx)


def summary(results: list[dict[str, Any]]) -> None:
    results = sorted(results, key=lambda r: r["members"])
    sizes = [r["members"] for r in results]
    print(f"== summary: {', '.join(f'{s:,}' for s in sizes)} members ==")
    print("  each cell: wall s | CPU s (application + database) | peak MiB (largest application")
    print("  process / database backends); growth fitted on CPU (wall follows the machine's load)")
    head = "".join(f"{f'N={s:,}':>32}" for s in sizes)
    print(f"{'stage':<8}{head}   growth   CPU at 20M (fitted; linear)")
    for stage in STAGES:
        rows = [r["stages"][stage] for r in results]
        cells = "".join(
            f"{row['wall']:8.1f} |{row['cpu'] + row['db_cpu']:8.1f} |"
            f"{row['app_peak_mib']:5,.0f}/{row['db_mib']:4,.0f}"
            for row in rows
        )
        cpus = [row["cpu"] + row["db_cpu"] for row in rows]
        linear = cpus[-1] * TARGET / sizes[-1]
        if len(sizes) > 1:
            b, a = fit(sizes, cpus)
            grow = f"N^{b:4.2f}"
            at = f"{a * TARGET**b / 3600:7.1f} h; {linear / 3600:.1f} h"
        else:
            grow, at = "(1 size)", f"{'':>7}    {linear / 3600:.1f} h"
        print(f"{stage:<8}{cells}   {grow:<8} {at}")
    post = ("close", "decrypt", "count")
    for r in results:
        wall = sum(r["stages"][s]["wall"] for s in post)
        cpu = sum(r["stages"][s]["cpu"] + r["stages"][s]["db_cpu"] for s in post)
        peak = max(row["app_peak_mib"] for row in r["stages"].values())
        print(
            f"  N={r['members']:,}: close + decrypt + count {wall:.1f} s wall, {cpu:.1f} s CPU "
            f"(goal for 1M: < 60 s); peak application process {peak:,.0f} MiB (goal < 2 GiB); "
            f"largest record entry {r['entries']['max_bytes'] / 2**20:.2f} MiB (goal <= 16 MiB); "
            f"load average {r['load']:.1f}"
        )


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(
            f"--members/--sizes: {text!r} is not a comma-separated list of numbers"
        ) from None
    if not sizes or min(sizes) < 10:
        raise SystemExit("--members/--sizes: at least 10 members")
    return sizes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--members", default="1000000", help="N, or a comma-separated list of sizes")
    p.add_argument("--sizes", default="", help="a comma-separated list of sizes (as --members)")
    p.add_argument("--workers", type=int, default=4, help="casting and verifying processes")
    p.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
        help="a PostgreSQL database to DROP and re-create for each size",
    )
    p.add_argument("--json-out", default="", help=argparse.SUPPRESS)
    p.add_argument(
        "--keep", default="", metavar="DIR", help="keep each size's figures in DIR/<N>.json"
    )
    p.add_argument(
        "--summarise",
        nargs="+",
        default=[],
        metavar="JSON",
        help="print the summary of figures kept earlier (--keep) and run nothing",
    )
    args = p.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        raise SystemExit("--database-url: this benchmark runs on PostgreSQL")
    if args.summarise:
        summary([json.loads(Path(f).read_text()) for f in args.summarise])
        return 0
    sizes = _sizes(args.sizes or args.members)
    if len(sizes) == 1:
        result = one_size(sizes[0], args.workers, args.database_url)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(result))
        else:
            summary([result])
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="asamblea-bench-national-") as tmp:
        keep = Path(args.keep or tmp)
        keep.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            out = keep / f"{n}.json"
            done = subprocess.run(
                [sys.executable, __file__, "--members", str(n), "--workers", str(args.workers)]
                + ["--database-url", args.database_url, "--json-out", str(out)],
                check=False,
            )
            if done.returncode != 0:
                print(f"the run of {n:,} members failed (exit {done.returncode})", file=sys.stderr)
                return 1
            results.append(json.loads(out.read_text()))
    summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
