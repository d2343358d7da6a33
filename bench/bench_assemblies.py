"""Benchmark: a 10,000-delegate assembly's roll call through the actions.

Targets (issue 6): 10,000 votes recorded through ``do_cast_vote`` at 200 per second or more; the
live tally in under 200 ms; a 100-row page of the division in under 200 ms with at most 10
queries. Figures are printed, not asserted on time (a loaded machine is slow); the query count is.

Votes are entered the way a clerk enters a roll call read out: a first part one vote per
transaction (``do_cast_vote``), the rest a tally-sheet page of 100 per transaction
(``do_cast_votes``); both figures are printed, and the rate over all 10,000.

The assembly is weighted (1,000 units of 10 seats, populations from 20 to 3,000), set up with bulk
inserts; only the votes, the tally, the close and the page are timed. A throw-away SQLite database
unless DATABASE_URL is set.

    .venv/bin/python bench/bench_assemblies.py [--delegates 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fixture  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=10_000)
    parser.add_argument("--seats-per-unit", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100, help="votes per do_cast_votes call")
    parser.add_argument("--single", type=int, default=500, help="votes cast one at a time first")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="asamblea-bench-assemblies-")
    os.environ.setdefault("ASAMBLEA_VAR_DIR", tmp)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    from asamblea.commands import django_setup

    django_setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from asamblea.assemblies import actions
    from asamblea.assemblies.models import Session

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    call_command("migrate", verbosity=0)
    n = args.delegates
    per_unit = args.seats_per_unit
    print(
        f"== {n:,} delegates ({n // per_unit:,} units of {per_unit} seats), weighted, {engine} =="
    )
    started = time.perf_counter()
    built = fixture.build_division(n, per_unit=per_unit)
    division, session, seats = built.division, built.session, built.seats
    print(f"set-up (not timed): {time.perf_counter() - started:.1f} s")

    choices = ("for", "for", "against", "abstain", "for")
    ballots = [(seat.pk, choices[i % len(choices)]) for i, seat in enumerate(seats)]
    singles, batched = ballots[: args.single], ballots[args.single :]
    started = time.perf_counter()
    for seat_id, choice in singles:
        actions.do_cast_vote(None, division, seat_id, choice)
    elapsed = time.perf_counter() - started
    if singles:
        print(
            f"one vote a transaction (do_cast_vote): {len(singles):,} in {elapsed:.2f} s = "
            f"{len(singles) / elapsed:,.0f} votes/s"
        )
    started = time.perf_counter()
    for k in range(0, len(batched), args.batch):
        actions.do_cast_votes(None, division, batched[k : k + args.batch])
    elapsed_batch = time.perf_counter() - started
    rate = len(batched) / elapsed_batch
    print(
        f"a tally-sheet page of {args.batch} a transaction (do_cast_votes): {len(batched):,} in "
        f"{elapsed_batch:.2f} s = {rate:,.0f} votes/s"
    )
    total_rate = len(ballots) / (elapsed + elapsed_batch)
    print(
        f"all {len(ballots):,} roll-call votes through the actions: {total_rate:,.0f} votes/s "
        f"(target >= 200/s: {'met' if total_rate >= 200 else 'NOT met'})"
    )

    runs = []
    for _ in range(5):
        started = time.perf_counter()
        tally = actions.live_tally(division)
        runs.append(1e3 * (time.perf_counter() - started))
    best = min(runs)
    print(
        f"live tally of {sum(tally['counts'].values()):,} votes: best {best:.1f} ms, "
        f"worst {max(runs):.1f} ms (target < 200 ms: {'met' if max(runs) < 200 else 'NOT met'})"
    )

    client = Client()
    page_url = f"/assemblies/divisions/{division.pk}/?page=50"
    client.get(page_url)  # warm the template cache
    runs = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(page_url)
            runs.append(1e3 * (time.perf_counter() - started))
        assert response.status_code == 200, response.status_code
    queries = len(ctx.captured_queries)
    sql_ms = sum(1e3 * float(q["time"]) for q in ctx.captured_queries)
    print(
        f"  of which SQL: {sql_ms:.1f} ms; slowest: "
        + "; ".join(
            f"{1e3 * float(q['time']):.1f} ms {q['sql'][:60]}..."
            for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:2]
        )
    )
    print(
        f"division page 50 (100 rows): best {min(runs):.1f} ms, worst {max(runs):.1f} ms, "
        f"{queries} queries (target < 200 ms and <= 10 queries: "
        f"{'met' if max(runs) < 200 and queries <= 10 else 'NOT met'})"
    )

    started = time.perf_counter()
    division = actions.do_close_division(None, division)
    print(
        f"close (count, rule, record entry with {len(seats):,} votes): "
        f"{time.perf_counter() - started:.2f} s; {division.explanation}"
    )
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(f"/assemblies/sessions/{session.pk}/")
        ms = 1e3 * (time.perf_counter() - started)
    print(f"session page after close: {ms:.1f} ms, {len(ctx.captured_queries)} queries")
    assert Session.objects.filter(pk=session.pk).exists()
    if queries > 10:
        print("division page exceeds 10 queries", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
