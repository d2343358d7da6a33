"""A vote's storage at national size on PostgreSQL (issue 15 items 1-2, ADR 0017).

    .venv/bin/python bench/bench_storage.py [--members 100000 1000000] [--database-url URL]

For each size N: an organisation of N members in one unit (written by SQL, not measured), then
each stage in a fresh process, so that its peak memory is its own:

- open: the officer's ``do_open_election`` (freeze the roll, mint N credentials, every member
  with an e-mail address so each gets a secret outbox message; the messages' delivery after the
  commit is the queue's work and is left out);
- close: N stored cast rows (synthetic sealed-size ballots of ~1.1 KB, tracking codes,
  participation, fingerprints, idempotency rows, written by SQL as if cast) rewritten as the
  close does, then what remains after its commit (today: nothing on PostgreSQL; the code before
  partitioning ran ``VACUUM FULL`` of the shared tables);
- read: every ballot streamed in tracking-code order, and identical ballots grouped.

Each stage prints wall time, CPU seconds of the application process, its peak RSS, and the
PostgreSQL backend's CPU seconds and peak RSS (VmHWM, which counts the shared buffers it
touched). With
``--source DIR`` the same stages run against another checkout's ``src`` (e.g. the code before
this change, from ``git archive``), for a before/after in the same run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/asamblea_bench_storage"


def _setup(url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "ASAMBLEA_SECRET_KEY": os.environ.get("ASAMBLEA_SECRET_KEY", "bench-" + "k" * 40),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
    )
    from asamblea.commands import django_setup

    django_setup()


def _backend() -> tuple[int, float]:
    """The PostgreSQL backend's peak RSS (kB) and CPU seconds so far, from /proc (same host)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    peak = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return peak, cpu


def build(url: str, members: int) -> None:
    """A fresh database with one organisation, one unit of ``members`` and an election."""
    sys.path.insert(0, str(HERE))
    from bench_casting import recreate

    if not recreate(url):
        raise SystemExit(0)
    _setup(url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from asamblea.core.clock import now
    from asamblea.elections import actions
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body, OfficerRole

    org = registry.do_create_organisation(None, slug="nation", name="Nation")
    unit = registry.do_create_body(
        None, org, code="all", name="Everyone", kind=Body.Kind.OTHER_UNIT
    )
    assembly = registry.do_create_body(
        None,
        org,
        code="nat",
        name="National",
        kind=Body.Kind.ASSEMBLY,
        seat_rule=Body.SeatRule.FIXED,
    )
    registry.do_link_bodies(None, unit, assembly, fixed_seats=1)
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO registry_member (public_id, member_ref, display_name, phone, email,"
            " created_at, organisation_id, language)"
            " SELECT upper(substr(md5(i::text || %s), 1, 16)), 'm' || i, 'Member ' || i, '',"
            " 'member' || i || '@example.org', now(), %s, '' FROM generate_series(1, %s) i",
            [secrets.token_hex(8), org.pk, members],
        )
        cur.execute(
            "INSERT INTO registry_membership (joined_on, end_reason, member_id, unit_id)"
            " SELECT current_date - 30, '', id, %s FROM registry_member"
            " WHERE organisation_id = %s",
            [unit.pk, org.pk],
        )
        cur.execute("ANALYZE")
    import fixture
    from django.contrib.auth import get_user_model

    fixture.make_board(org)  # a secret vote opens only under a ready board (ADR 0013)
    officer = get_user_model().objects.create_user("officer", password="x-bench-officer")  # noqa: S106 - bench only
    OfficerRole.objects.create(
        user=officer, organisation=org, role=OfficerRole.Role.ELECTION_OFFICER
    )
    election = actions.do_create_election(
        officer,
        organisation=org,
        unit=unit,
        body=assembly,
        title="National referendum",
        method="plurality",
    )
    actions.do_open_nominations(officer, election)
    from asamblea.registry.models import Member

    for m in Member.objects.filter(organisation=org).order_by("pk")[:2]:
        actions.do_nominate(officer, election, m)
    print(json.dumps({"election": election.pk, "at": now().isoformat()}))


def _measured(fn) -> dict:  # type: ignore[no-untyped-def]
    _peak, backend_cpu = _backend()
    started, cpu = time.perf_counter(), time.process_time()
    detail = fn() or {}
    wall, app_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak, backend_after = _backend()
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(app_cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "pg_backend_cpu_s": round(backend_after - backend_cpu, 2),
        "pg_backend_peak_mb": round(peak / 1024, 1),
        **detail,
    }


def stage_open(election_id: int) -> dict:
    from django.contrib.auth import get_user_model

    from asamblea.core import outbox
    from asamblea.elections import actions
    from asamblea.elections.models import Election

    # Delivery after the commit is the queue's (jobs) work, not the open's.
    outbox._hand_over = lambda ids: None  # type: ignore[assignment]
    officer = get_user_model().objects.get(username="officer")
    election = Election.objects.get(pk=election_id)

    def run() -> dict:
        opened = actions.do_open_election(officer, election)
        return {"roll": opened.election.roll.size, "printed": len(opened.printed_codes)}

    return _measured(run)


def _synthetic_casts(election_id: int) -> int:
    """One cast per roll entry, written by SQL as casting would have: sealed-size contents."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT roll_id FROM elections_election WHERE id = %s", [election_id])
        roll = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO elections_participation (id, election_id, roll_entry_id)"
            " SELECT gen_random_uuid(), %s, id FROM registry_rollentry WHERE roll_id = %s",
            [election_id, roll],
        )
        n = cur.rowcount
        cur.execute(
            "INSERT INTO elections_ballot (id, election_id, content)"
            " SELECT gen_random_uuid(), %s, '{\"sealed\":\"' || repeat(md5(i::text), 34) || '\"}'"
            " FROM generate_series(1, %s) i",
            [election_id, n],
        )
        cur.execute(
            "INSERT INTO elections_trackingcode (id, election_id, code)"
            " SELECT gen_random_uuid(), %s, substr(md5(i::text) || md5(i::text || 'x'), 1, 43)"
            " FROM generate_series(1, %s) i",
            [election_id, n],
        )
        cur.execute(
            "INSERT INTO elections_castfingerprint (id, election_id, alpha)"
            " SELECT gen_random_uuid(), %s, substr(md5(i::text || 'a') || md5(i::text), 1, 43)"
            " FROM generate_series(1, %s) i",
            [election_id, n],
        )
        cur.execute(
            "INSERT INTO elections_idempotencyrecord"
            " (id, election_id, key_hash, tracking_code, ballot_digest)"
            " SELECT gen_random_uuid(), %s, md5(i::text) || md5(i::text || 'k'), 't', 'd'"
            " FROM generate_series(1, %s) i",
            [election_id, n],
        )
    return n


def stage_close(election_id: int) -> dict:
    from django.db import connection, transaction

    from asamblea.elections import secrecy
    from asamblea.elections.models import Election

    casts = _synthetic_casts(election_id)
    Election.objects.filter(pk=election_id).update(state="closed")
    election = Election.objects.get(pk=election_id)
    connection.close()  # a fresh backend, so its peak is the close's own

    def run() -> dict:
        with transaction.atomic():
            try:
                from asamblea.elections import storage
            except ImportError:  # the code before this change: through the ORM
                from asamblea.elections.actions import lifecycle
                from asamblea.elections.models import (
                    CastFingerprint,
                    IdempotencyRecord,
                    VotingCredential,
                )

                lifecycle._rewrite_secret_rows(election)
                IdempotencyRecord.objects.filter(election=election).delete()
                CastFingerprint.objects.filter(election=election).delete()
                VotingCredential.objects.filter(election=election).delete()
                voters = secrecy.rewrite_participation(election)
            else:
                voters = storage.rewrite_secret_rows(election).voters
                from asamblea.elections.models import VotingCredential

                VotingCredential.objects.filter(election=election).delete()
        compact = time.perf_counter()
        secrecy.compact_secret_tables()
        return {
            "casts": casts,
            "voters": voters,
            "after_commit_s": round(time.perf_counter() - compact, 2),
        }

    return _measured(run)


def stage_read(election_id: int) -> dict:
    from asamblea.elections import storage

    def run() -> dict:
        n = sum(len(b) for b in storage.iter_ballot_contents(election_id, order="tracking"))
        started = time.perf_counter()
        groups = sum(len(g) for g in storage.ballot_groups(election_id))
        return {"ballots": n, "groups": groups, "groups_s": round(time.perf_counter() - started, 2)}

    return _measured(run)


STAGES = {"open": stage_open, "close": stage_close, "read": stage_read}


def _child(url: str, source: str, *args: str) -> dict:
    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = str(Path(source).resolve())
    out = subprocess.run(
        [sys.executable, __file__, "--database-url", url, *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--members", type=int, nargs="+", default=[100_000])
    p.add_argument("--database-url", default=os.environ.get("BENCH_STORAGE_URL", DEFAULT_URL))
    p.add_argument("--source", default="", help="another checkout's src directory")
    p.add_argument("--build", type=int, help=argparse.SUPPRESS)
    p.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    p.add_argument("--election", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.build:
        build(args.database_url, args.build)
        return 0
    if args.stage:
        _setup(args.database_url)
        print(json.dumps(STAGES[args.stage](args.election)))
        return 0
    if not args.database_url.startswith("postgres"):
        print("bench_storage measures PostgreSQL only: give --database-url postgres://...")
        return 0
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    for n in args.members:
        built = _child(args.database_url, args.source, "--build", str(n))
        print(f"N = {n:,}")
        for stage in ("open", "close", "read"):
            if stage == "read" and args.source:
                continue  # the code before had no streamed read
            result = _child(
                args.database_url,
                args.source,
                "--stage",
                stage,
                "--election",
                str(built["election"]),
            )
            print(f"  {stage:<6} {json.dumps(result)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
