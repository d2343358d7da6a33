"""A sealed vote through the application, from cast to count (issue 18, ADR 0013).

    .venv/bin/python bench/bench_sealed_votes.py [--ballots 10000] [--database-url URL]

1. Casting with sealing at the door: ``check_cast`` with a plain selection, in-process on one
   connection (the server seals each ballot in memory: one encryption and one 0/1 proof per
   candidate plus the overall proof), ballots per second.
2. The post-vote pipeline of those ballots, each step timed: the close (every sealed ballot
   published on the record in chunks, the encrypted tally, the decryption request), two of the
   board's three trustees posting their partial decryptions through the real submission action
   (the second completes the decryption: the bounded discrete logarithms), the officer's count
   from the totals, and the offline recount of the election from the record (every ballot's
   proofs checked, on one core).

Runs on SQLite in a scratch directory by default, or on the PostgreSQL database ``--database-url``
names (dropped and re-created). Nothing is asserted: figures are printed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ballots", type=int, default=10_000)
    p.add_argument("--candidates", type=int, default=3)
    p.add_argument("--database-url", default="")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="asamblea-bench-sealed-"))
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    if url.startswith("postgres"):
        from bench_casting import recreate

        if not recreate(url):
            return 0
    os.environ.update(
        {
            "DATABASE_URL": url,
            "ASAMBLEA_SECRET_KEY": secrets.token_urlsafe(40),
            "ASAMBLEA_VAR_DIR": str(work / "var"),
        }
    )
    from asamblea.commands import django_setup

    django_setup()
    import fixture
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"database: {url.split('@')[-1]}; load average {os.getloadavg()[0]:.2f}")
    fx = fixture.build(args.ballots, slug="bench-sealed", candidates=args.candidates)
    from asamblea.core.action import System
    from asamblea.elections import actions
    from asamblea.elections.models import Election
    from asamblea.record.recount_elections import recount
    from asamblea.recordstore.models import RecordEntry
    from asamblea.trustees.actions.decryption import check_post_partial
    from asamblea.trustees.models import DecryptionRequest, Trustee
    from asamblea.trustees.sharefile import partials_for

    election = Election.objects.get(pk=fx.election_id)
    shares = fx_shares(election)
    keys = fx.candidates
    box = actions.BallotBox.load(election.pk)
    started = time.perf_counter()
    for i, code in enumerate(fx.codes):
        choice = keys[i % len(keys)] if i % 7 else None
        actions.check_cast(box, code, {"choice": choice}, secrets.token_urlsafe(24))
    cast = time.perf_counter() - started
    print(
        f"cast with sealing at the door, {len(fx.codes):,} ballots of {len(keys)} candidates: "
        f"{len(fx.codes) / cast:.0f} ballots/s ({1e3 * cast / len(fx.codes):.2f} ms each)"
    )
    officer = System("bench officer")
    steps: dict[str, float] = {}
    t = time.perf_counter()
    actions.do_close_election(officer, election)
    steps["close (publish, tally, request)"] = time.perf_counter() - t
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:tally")
    board = request.board
    for share in shares[:2]:
        t = time.perf_counter()
        trustee = Trustee.objects.select_related("user").get(board=board, index=share.index)
        payload = partials_for(share, box.seal.public_key, request.groups)  # type: ignore[union-attr]
        check_post_partial(trustee.user, request.pk, payload)
        steps[f"trustee {share.index}'s partial decryption (make and post)"] = (
            time.perf_counter() - t
        )
    election.refresh_from_db()
    t = time.perf_counter()
    actions.do_count_election(officer, election)
    steps["count from the totals"] = time.perf_counter() - t
    import json

    entries = [
        json.loads(r.canonical)
        for r in RecordEntry.objects.filter(organisation__slug=fx.organisation).order_by("index")
    ]
    counted = next(e for e in entries if e["type"] == "election_counted")
    t = time.perf_counter()
    recount(counted, entries)
    steps["offline recount from the record (one core)"] = time.perf_counter() - t
    for name, seconds in steps.items():
        print(f"  {name}: {seconds:.2f} s")
    post = sum(v for k, v in steps.items() if not k.startswith("offline"))
    print(f"close + tally + decryption + count: {post:.2f} s for {len(fx.codes):,} ballots")
    election.refresh_from_db()
    print(f"result: winners {election.result['winners']}, totals {election.totals}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def fx_shares(election):  # type: ignore[no-untyped-def]
    import fixture

    return fixture.SHARES[election.organisation.slug]


if __name__ == "__main__":
    sys.exit(main())
