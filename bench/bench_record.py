"""Benchmark of the public record: the Merkle log at a million entries, and appends to the database.

Pure layer (asamblea.record.merkle): append N leaves, then prove inclusion and consistency at
sizes 10^3 .. N; proof sizes must grow with log2(size). Database layer (asamblea.recordstore):
append a smaller number of entries, one transaction each as actions do (a checkpoint is signed
after each commit), in a throw-away SQLite database unless DATABASE_URL is set.

    .venv/bin/python bench/bench_record.py [--size 1000000] [--db-entries 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
import tempfile
import time


def pure(size: int) -> None:
    from asamblea.record import merkle

    print(f"== Merkle log (pure), {size:,} entries ==")
    tree = merkle.MemoryTree()
    data = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(size)]
    started = time.perf_counter()
    for item in data:
        tree.append_data(item)
    elapsed = time.perf_counter() - started
    print(f"append: {elapsed:.2f} s ({size / elapsed:,.0f} entries/s), nodes kept in memory")
    started = time.perf_counter()
    root = tree.root()
    print(
        f"root of {size:,}: {root.hex()[:16]}... in {1e3 * (time.perf_counter() - started):.2f} ms"
    )
    print(
        f"{'size':>10} {'log2':>5} {'incl.len':>8} {'incl.bytes':>10} {'incl.ms':>8} "
        f"{'cons.len':>8} {'cons.bytes':>10} {'cons.ms':>8}"
    )
    sizes = [10**k for k in range(3, 1 + int(math.log10(size)))]
    if size not in sizes:
        sizes.append(size)
    for n in sizes:
        index = n // 3
        started = time.perf_counter()
        proof = tree.inclusion_proof(index, n)
        root_n = tree.root(n)
        ok = merkle.verify_inclusion(tree.leaf(index), index, n, proof, root_n)
        incl_ms = 1e3 * (time.perf_counter() - started)
        first = n // 2 + 1
        started = time.perf_counter()
        cproof = tree.consistency_proof(first, n)
        ok = ok and merkle.verify_consistency(first, n, tree.root(first), root_n, cproof)
        cons_ms = 1e3 * (time.perf_counter() - started)
        assert ok, f"a proof failed at size {n}"
        print(
            f"{n:>10,} {math.log2(n):>5.1f} {len(proof):>8} {32 * len(proof):>10} "
            f"{incl_ms:>8.3f} {len(cproof):>8} {32 * len(cproof):>10} {cons_ms:>8.3f}"
        )


def database(entries: int) -> None:
    tmp = tempfile.mkdtemp(prefix="asamblea-bench-record-")
    os.environ.setdefault("ASAMBLEA_VAR_DIR", tmp)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    from asamblea.commands import django_setup

    django_setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from asamblea.core.clock import now
    from asamblea.recordstore import tree
    from asamblea.recordstore.actions import do_sign_checkpoint
    from asamblea.recordstore.append import append
    from asamblea.registry.models import Organisation

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"\n== Database appends ({engine}), {entries:,} entries, one transaction each ==")
    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(
        slug=f"bench-{int(time.time())}", name="Bench", created_at=now()
    )
    started = time.perf_counter()
    for i in range(entries):
        with transaction.atomic():
            append(org, "organisation_settings_changed", 1, {"settings": {"round": i}})
    elapsed = time.perf_counter() - started
    print(
        f"append + checkpoint after each commit: {elapsed:.2f} s "
        f"({entries / elapsed:,.0f} entries/s, {1e3 * elapsed / entries:.2f} ms each)"
    )
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(entries):
            append(org, "organisation_settings_changed", 1, {"settings": {"batch": i}})
    elapsed = time.perf_counter() - started
    print(f"append in one transaction: {elapsed:.2f} s ({entries / elapsed:,.0f} entries/s)")
    size = tree.tree_size(org.pk)
    started = time.perf_counter()
    cp = do_sign_checkpoint(org)
    print(f"checkpoint of {cp.size:,} signed in {1e3 * (time.perf_counter() - started):.1f} ms")
    started = time.perf_counter()
    proof = tree.inclusion_proof(org.pk, size // 3, size)
    print(
        f"inclusion proof from the database: {len(proof)} hashes in "
        f"{1e3 * (time.perf_counter() - started):.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--db-entries", type=int, default=1000)
    args = parser.parse_args()
    pure(args.size)
    if args.db_entries:
        database(args.db_entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
