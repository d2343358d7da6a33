"""Benchmark (issue 15 item 4): a closed vote's pages and API at 100,000 and 1,000,000 ballots.

After a vote of N sealed ballots closes, these must answer in under 1 s and under 200 KB: the
election's page (a count, the search box, one page of tracking codes), the close entry's page, and
the last page of the ballots API. Also timed: a middle page of codes, "check my tracking code"
(found and not found), the tracking codes' API, a published chunk's page (1,000 sealed ballots,
about 1 MB), a plaintext vote's ``election_closed`` v1 page (every ballot and code in one entry:
the worst entry there is), its download, and the record's entry list.

The ballots and codes are bulk-inserted (the point is the pages, not casting) with the size and
shape of real sealed ballots; the record entries are appended through the record store. Each
page is requested ``--requests`` times through Django's test client after one warm-up; printed:
median and worst wall time, CPU per request, queries and bytes. Nothing is asserted on time (a
loaded machine is slow); the query count and the 200 KB are reported against the target. A
throw-away SQLite database unless DATABASE_URL is set (the figures worth quoting are PostgreSQL's).

    .venv/bin/python bench/bench_pages.py [--ballots 100000 1000000] [--requests 5]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from typing import Any

LIMIT_MS = 1000
LIMIT_BYTES = 200_000


def sealed_template(answers: int = 3) -> str:
    """A sealed ballot's canonical JSON of the real shape and size, a ``%s`` for each element."""
    p = "%s"
    ballot = {
        "answers": [
            {
                "choice_proofs": [[[p, p], [p, p]] for _ in range(answers)],
                "choices": [[p, p] for _ in range(answers)],
                "overall_proof": [[p, p], [p, p]],
                "question": "q1",
            }
        ],
        "election": "bench/election/1",
        "v": 1,
    }
    return json.dumps(ballot, separators=(",", ":"))


TEMPLATE = sealed_template()
POINTS = TEMPLATE.count("%s")


def sealed_content() -> str:
    """A sealed ballot with random elements (43 characters of base64url each)."""
    raw = base64.urlsafe_b64encode(os.urandom(33 * POINTS)).decode()
    return TEMPLATE % tuple(raw[k : k + 43] for k in range(0, 44 * POINTS, 44))


def tracking(content: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(content.encode()).digest()).decode()[:43]


def insert_in_database(election_id: int, n: int) -> None:
    """PostgreSQL: the ballots made by the database itself (where inserting them from Python
    takes several times longer), then their codes (both skipped when already there)."""
    from django.db import connection

    from asamblea.elections.models import Ballot, TrackingCode

    has_ballots = Ballot.objects.filter(election_id=election_id).exists()
    has_codes = TrackingCode.objects.filter(election_id=election_id).exists()

    # Each element: 43 characters of base64url from a hash of the row, its place and a random.
    with connection.cursor() as cur:
        if not has_ballots:
            cur.execute(
                "INSERT INTO elections_ballot (id, election_id, content)"
                " SELECT gen_random_uuid(), %s, format(%s, VARIADIC ARRAY("
                "SELECT substr(translate(encode(sha256(convert_to(g::text || ':' || k::text"
                " || random()::text, 'UTF8')), 'base64'), '+/', '-_'), 1, 43)"
                " FROM generate_series(1, %s) k)) FROM generate_series(1, %s) g",
                [election_id, TEMPLATE, POINTS, n],
            )
        if not has_codes:
            cur.execute(
                "INSERT INTO elections_trackingcode (id, election_id, code)"
                " SELECT gen_random_uuid(), election_id, substr(translate(encode(sha256("
                "convert_to(content, 'UTF8')), 'base64'), '+/', '-_'), 1, 43)"
                " FROM elections_ballot WHERE election_id = %s",
                [election_id],
            )
        cur.execute("ANALYZE elections_ballot")
        cur.execute("ANALYZE elections_trackingcode")


def build(n: int, slug: str, *, reuse: int | None, v1_max: int) -> dict[str, Any]:
    """An organisation with a closed sealed vote of ``n`` ballots and its record entries."""
    from django.db import connection, transaction

    from asamblea.core.clock import now
    from asamblea.elections import actions
    from asamblea.elections.models import Ballot, Election, TrackingCode
    from asamblea.elections.storage import ensure_partitions
    from asamblea.recordstore.append import append
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body

    if reuse is not None:
        # A vote of an earlier run (its rows made already): only what is missing is added.
        election = Election.objects.select_related("organisation", "body").get(pk=reuse)
        org, assembly = election.organisation, election.body
    else:
        org = registry.do_create_organisation(None, slug=slug, name=f"Bench {slug}")
        unit = registry.do_create_body(
            None, org, code="U1", name="Unidad", kind=Body.Kind.WORKPLACE
        )
        assembly = registry.do_create_body(
            None, org, code="A1", name="Asamblea", kind=Body.Kind.ASSEMBLY
        )
        election = actions.do_create_election(
            None, organisation=org, unit=unit, body=assembly, title=f"Voto de {n:,}", seats=1
        )
    ensure_partitions(election)  # PostgreSQL: the vote's own partitions, as opening makes them
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        insert_in_database(election.pk, n)
    else:
        batch = 5000
        for first in range(0, n, batch):
            contents = [sealed_content() for _ in range(first, min(n, first + batch))]
            with transaction.atomic():
                Ballot.objects.bulk_create(
                    [Ballot(election=election, content=c) for c in contents], batch_size=batch
                )
                TrackingCode.objects.bulk_create(
                    [TrackingCode(election=election, code=tracking(c)) for c in contents],
                    batch_size=batch,
                )
    rows = list(Ballot.objects.filter(election=election).values_list("content", flat=True)[:1000])
    chunk = [json.loads(c) for c in rows]
    codes_sample = [tracking(c) for c in rows[:10]]
    Election.objects.filter(pk=election.pk).update(state=Election.State.CLOSED, closed_at=now())
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    chunks = -(-n // 1000)
    with transaction.atomic():
        chunk_entry = append(
            org,
            "ballots_published",
            1,
            {
                "election": election.pk,
                "chunk": 0,
                "chunks": chunks,
                "ballots": chunk,
                "digest": "ab" * 32,
            },
            body=assembly,
        )
        close_entry = append(
            org,
            "election_closed",
            2,
            {
                "election": election.pk,
                "voters": n,
                "roll_size": n,
                "ballots": n,
                "chunks": chunks,
                "chain": "cd" * 32,
            },
            body=assembly,
        )
    # A plaintext vote of the same size: one entry holding every ballot and code (v1); above
    # ``v1_max`` not made (a million ballots' entry is 133 MB, built in memory by the append).
    v1_entry = None
    if n <= v1_max:
        with transaction.atomic():
            v1_entry = append(
                org,
                "election_closed",
                1,
                {
                    "election": election.pk + 1,
                    "voters": n,
                    "roll_size": n,
                    "tracking_codes": [tracking(str(i))[:12].upper() for i in range(n)],
                    "ballots": [{"choice": "c" + str(i % 3)} for i in range(n)],
                },
                body=assembly,
            )
    print(
        f"set-up: {n:,} ballots and codes inserted in {inserted:.1f} s; record entries appended "
        f"in {time.perf_counter() - started:.1f} s (v1 close entry: "
        f"{len(v1_entry.canonical.encode()) if v1_entry else 0:,} bytes)"
    )
    return {
        "slug": org.slug,
        "election": election,
        "chunk_entry": chunk_entry,
        "close_entry": close_entry,
        "v1_entry": v1_entry,
        "codes": codes_sample,
    }


def measure(client, url: str, label: str, requests: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def fetch() -> tuple[int, int]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if response.streaming:
            return sum(len(part) for part in response.streaming_content), 0
        return len(response.content), 0

    fetch()
    walls, queries, size = [], 0, 0
    cpu = time.process_time()
    for _ in range(requests):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            size, _unused = fetch()
            walls.append(1e3 * (time.perf_counter() - started))
        queries = max(queries, len(ctx.captured_queries))
    cpu_ms = 1e3 * (time.process_time() - cpu) / requests
    median = statistics.median(walls)
    flag = "" if median < LIMIT_MS and size < LIMIT_BYTES else "  (over 1 s or 200 KB)"
    print(
        f"  {label:<44} {median:>8.1f} {max(walls):>8.1f} {cpu_ms:>8.1f} {queries:>4} "
        f"{size:>12,}{flag}"
    )
    return median, size


def run(n: int, requests: int, *, reuse: int | None = None, v1_max: int = 200_000) -> bool:
    from django.test import Client

    from asamblea.elections.models import Ballot, TrackingCode

    built = build(n, f"pages-{n}-{os.urandom(2).hex()}", reuse=reuse, v1_max=v1_max)
    slug = built["slug"]
    election = built["election"]
    client = Client()
    # The cursors of the last pages, found in the set-up (a reader gets them from each `next`).
    last_ballot = (
        Ballot.objects.filter(election=election)
        .order_by("id")
        .values_list("id", flat=True)[(n - 1) // 100 * 100 - 1]
    )
    codes = TrackingCode.objects.filter(election=election).order_by("code")
    middle_code = codes.values_list("code", flat=True)[n // 2]
    last_code = codes.values_list("code", flat=True)[(n - 1) // 100 * 100 - 1]
    e = election.pk
    print(
        f"  {'page (' + format(n, ',') + ' ballots)':<44} {'median':>8} {'worst':>8} "
        f"{'cpu ms':>8} {'q':>4} {'bytes':>12}"
    )
    key = {}
    key["election"] = measure(client, f"/elections/{e}/", "election page", requests)
    measure(client, f"/elections/{e}/?after={middle_code}", "election page, middle codes", requests)
    measure(
        client, f"/elections/{e}/code/?code={built['codes'][3]}", "check a code: found", requests
    )
    measure(client, f"/elections/{e}/code/?code={'A' * 43}", "check a code: not found", requests)
    measure(client, f"/api/elections/{e}/ballots", "ballots API, first page", requests)
    key["api"] = measure(
        client,
        f"/api/elections/{e}/ballots?after={last_ballot.hex}",
        "ballots API, last page",
        requests,
    )
    measure(
        client,
        f"/api/elections/{e}/tracking-codes?after={last_code}",
        "tracking codes API, last page",
        requests,
    )
    key["close"] = measure(
        client, f"/record/{slug}/{built['close_entry'].index}/", "close entry (v2) page", requests
    )
    measure(
        client,
        f"/record/{slug}/{built['chunk_entry'].index}/",
        "published chunk page (1,000 ballots)",
        requests,
    )
    measure(
        client,
        f"/record/{slug}/{built['chunk_entry'].index}/?list=ballots&from=901",
        "published chunk page, its last items",
        requests,
    )
    if built["v1_entry"] is None:
        print(f"  plaintext close entry (v1): not made above --v1-max {v1_max:,} ballots")
    else:
        measure(
            client,
            f"/record/{slug}/{built['v1_entry'].index}/",
            "plaintext close entry (v1) page",
            requests,
        )
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/record/{slug}/{built['v1_entry'].index}/entry.json")
        size = sum(len(part) for part in response.streaming_content)
        print(
            f"  plaintext close entry (v1) download: {size:,} bytes in "
            f"{time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.2f} s CPU); peak "
            f"RSS {before // 1024:,} -> {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB"
        )
    measure(client, f"/record/?org={slug}", "record entry list", requests)
    met = all(ms < LIMIT_MS and size < LIMIT_BYTES for ms, size in key.values())
    print(
        f"  target (election page, close entry page, last API page each < 1 s and < 200 KB): "
        f"{'met' if met else 'NOT met'} at {n:,}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, nargs="+", default=[100_000])
    parser.add_argument("--requests", type=int, default=5, help="timed requests of each page")
    parser.add_argument(
        "--reuse", type=int, help="the id of a vote of an earlier run (one --ballots figure)"
    )
    parser.add_argument(
        "--v1-max",
        type=int,
        default=200_000,
        help="the most ballots for which a plaintext close entry (v1) is made and timed",
    )
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="asamblea-bench-pages-")
    os.environ.setdefault("ASAMBLEA_VAR_DIR", tmp)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    from asamblea.commands import django_setup

    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"== closed votes' pages, {engine}, {os.cpu_count()} cores, load {os.getloadavg()} ==")
    ok = True
    for n in args.ballots:
        print(f"-- {n:,} ballots --")
        ok = run(n, args.requests, reuse=args.reuse, v1_max=args.v1_max) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
