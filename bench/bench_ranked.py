"""Sealed ranked ballots (issue 18 item 4, ADR 0014): the ballot itself, then an IRV vote's whole
post-vote pipeline through the application.

    .venv/bin/python bench/bench_ranked.py [--ballots 10000] [--candidates 4] [--database-url URL]

1. Per ballot, pure (crypto.ranked): seal and verify a full ranking of 4 and of 10 candidates
   (one ciphertext and one interval proof over 0..c per rank), and the canonical JSON's size.
2. An IRV election of ``--ballots`` voters: cast with sealing at the door (setup, its rate
   printed), then each step timed: the close (every sealed ballot published in chunks, the
   request for the trustees' mix), two of three trustees each shuffling with proof and posting it
   (the server verifies each proof; the second asks for the decryption: ADR 0015, whose own
   bench is bench_mixnet.py), two trustees' partial decryptions made and posted through the real
   submission action (the second completes the decryption, solves each rank's discrete log and
   counts the rankings with the engine), and the offline recount from the record (every sealed
   ballot's proofs, the decryption digest against the last shuffle, the count; one core; the
   shuffles' proofs are asamblea verify's other recounter, not timed here).

SQLite in a scratch directory by default, or the PostgreSQL database ``--database-url`` names
(dropped and re-created). Nothing is asserted: figures are printed, with the load average (a
loaded machine is slow).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))


def per_ballot(candidates: int, n: int) -> None:
    from asamblea.crypto import ranked
    from asamblea.crypto.group import base_mul, random_scalar

    key = base_mul(random_scalar())
    question = ranked.RankedQuestion("q1", candidates, candidates)
    rng = random.Random(candidates)  # noqa: S311 - benchmark data
    rankings = [rng.sample(range(1, candidates + 1), candidates) for _ in range(n)]
    t = time.process_time()
    ballots = [ranked.seal_ranking(key, "bench/election/1", question, r)[0] for r in rankings]
    seal = (time.process_time() - t) / n
    t = time.process_time()
    for b in ballots:
        ranked.verify_ranking(key, "bench/election/1", question, b)
    verify = (time.process_time() - t) / n
    size = len(ranked.canonical_bytes(ballots[0]))
    print(
        f"ranked ballot of {candidates} candidates ({candidates} ranks): seal {seal * 1e3:.1f} ms,"
        f" verify {verify * 1e3:.1f} ms of CPU, {size:,} bytes (mean of {n})"
    )


def pipeline(ballots: int, candidates: int, url: str, work: Path) -> None:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "ASAMBLEA_SECRET_KEY": secrets.token_urlsafe(40),
            "ASAMBLEA_VAR_DIR": str(work / "var"),
        }
    )
    from asamblea.commands import django_setup

    django_setup()
    import datetime as dt

    import fixture
    from django.core.management import call_command

    from asamblea.core.action import System
    from asamblea.core.clock import now
    from asamblea.crypto import shuffle
    from asamblea.crypto.group import point_from_text
    from asamblea.crypto.shuffle_verify import ballots_from_json
    from asamblea.crypto.transcript import Context
    from asamblea.elections import actions
    from asamblea.elections.models import Election
    from asamblea.record.recount_ranked import recount_ranked
    from asamblea.recordstore.models import RecordEntry
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body, Member, Membership
    from asamblea.trustees.actions.decryption import check_post_partial
    from asamblea.trustees.actions.mixing import check_post_shuffle
    from asamblea.trustees.models import DecryptionRequest, MixRequest, Trustee
    from asamblea.trustees.sharefile import partials_for

    call_command("migrate", verbosity=0)
    slug = "bench-ranked"
    org = registry.do_create_organisation(None, slug=slug, name="Bench ranked")
    unit = registry.do_create_body(None, org, code="U1", name="Unit", kind=Body.Kind.WORKPLACE)
    assembly = registry.do_create_body(
        None, org, code="A1", name="Assembly", kind=Body.Kind.ASSEMBLY
    )
    at = now()
    Member.objects.bulk_create(
        [
            Member(organisation=org, member_ref=f"M{i:07d}", display_name=f"M {i}", created_at=at)
            for i in range(ballots)
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(member_id=pk, unit=unit, joined_on=dt.date(2020, 1, 1))
            for pk in Member.objects.filter(organisation=org).values_list("pk", flat=True)
        ],
        batch_size=1000,
    )
    election = actions.do_create_election(
        None, organisation=org, unit=unit, body=assembly, title="Bench IRV", method="irv"
    )
    actions.do_open_nominations(None, election)
    for member in Member.objects.filter(organisation=org).order_by("member_ref")[:candidates]:
        actions.do_nominate(None, election, member)
    shares = fixture.make_board(org)
    opened = actions.do_open_election(None, election)
    election = opened.election
    keys = actions.candidate_keys(election)
    box = actions.BallotBox.load(election.pk)
    rng = random.Random(2026)  # noqa: S311 - benchmark data
    started = time.perf_counter()
    for code in opened.printed_codes.values():
        ranking = rng.sample(keys, rng.randint(1, len(keys)))
        actions.check_cast(box, code, {"ranking": ranking}, secrets.token_urlsafe(24))
    cast = time.perf_counter() - started
    print(
        f"setup: cast with sealing at the door, {ballots:,} rankings of {candidates} candidates:"
        f" {ballots / cast:.0f} ballots/s ({1e3 * cast / ballots:.1f} ms each)"
    )
    steps: dict[str, float] = {}
    cpu: dict[str, float] = {}
    t, c = time.perf_counter(), time.process_time()
    actions.do_close_election(System("bench officer"), election)
    name = "close (publish sealed, request the mix)"
    steps[name], cpu[name] = time.perf_counter() - t, time.process_time() - c
    mix = MixRequest.objects.get(subject=f"election:{election.pk}:rankings")
    context = Context(mix.seal_id, mix.question, point_from_text(mix.board.public_key))
    for index in (1, 2):
        t, c = time.perf_counter(), time.process_time()
        mix.refresh_from_db()
        trustee = Trustee.objects.select_related("user").get(board=mix.board, index=index)
        outputs, proof = shuffle.shuffle_with_proof(context, ballots_from_json(mix.current))
        payload = {
            "round": index,
            "ballots": shuffle.ballots_to_json(outputs),
            "proof": shuffle.proof_to_json(proof),
        }
        check_post_shuffle(trustee.user, mix.pk, payload)
        name = f"trustee {index}: shuffle with proof and post (verified by the server)"
        steps[name], cpu[name] = time.perf_counter() - t, time.process_time() - c
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings")
    key = point_from_text(request.board.public_key)
    for share in shares[:2]:
        t, c = time.perf_counter(), time.process_time()
        trustee = Trustee.objects.select_related("user").get(board=request.board, index=share.index)
        payload = partials_for(share, key, request.groups)
        made, made_cpu = time.perf_counter() - t, time.process_time() - c
        check_post_partial(trustee.user, request.pk, payload)
        name = f"trustee {share.index}: make {request.total:,} partial decryptions"
        steps[name], cpu[name] = made, made_cpu
        name = f"trustee {share.index}: post (verified; the last one decrypts and counts)"
        steps[name] = time.perf_counter() - t - made
        cpu[name] = time.process_time() - c - made_cpu
    election = Election.objects.get(pk=election.pk)
    entries = [
        json.loads(r.canonical)
        for r in RecordEntry.objects.filter(organisation=org).order_by("index")
    ]
    counted = next(e for e in entries if e["type"] == "election_ranked_counted")
    t, c = time.perf_counter(), time.process_time()
    recount_ranked(counted, entries)
    name = "offline recount from the record (one core)"
    steps[name], cpu[name] = time.perf_counter() - t, time.process_time() - c
    for name, seconds in steps.items():
        print(f"  {name}: {seconds:.1f} s wall, {cpu[name]:.1f} s CPU")
    post = sum(v for k, v in steps.items() if not k.startswith("offline"))
    post_cpu = sum(v for k, v in cpu.items() if not k.startswith("offline"))
    print(
        f"close + mix + decryption + count: {post:.1f} s wall, {post_cpu:.1f} s CPU"
        f" for {ballots:,} ballots"
    )
    print(
        f"result: state {election.state}, winners {election.result['winners']},"
        f" spoilt {election.result['spoilt']}, rounds {len(election.result.get('rounds', []))}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ballots", type=int, default=10_000)
    p.add_argument("--candidates", type=int, default=4)
    p.add_argument("--samples", type=int, default=30)
    p.add_argument("--database-url", default="")
    args = p.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for c in (4, 10):
        per_ballot(c, args.samples)
    work = Path(tempfile.mkdtemp(prefix="asamblea-bench-ranked-"))
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    if url.startswith("postgres"):
        from bench_casting import recreate

        if not recreate(url):
            return 0
    try:
        pipeline(args.ballots, args.candidates, url, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
