"""The crash test's steps that talk to the database directly; each runs in its own process.

    python bench/crash/steps.py setup FIXTURE.json VOTERS [SLUG [DELEGATES]]
    python bench/crash/steps.py check FIXTURE.json OUTCOMES.json RESULT.json

``check`` is the offline checker: it runs after the server is stopped, reads what the clients
were told (the outcomes file) and compares it with what the database holds, then closes and
counts the election through the application's own actions and checks the count.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup(fixture_path: str, voters: str, slug: str = "crash", delegates: str = "0") -> None:
    from asamblea.commands import django_setup

    django_setup()
    import fixture
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fx = fixture.build(int(voters), slug=slug, delegates=int(delegates))
    fx.dump(Path(fixture_path))
    # The board's shares, for the check to decrypt the tally (bench data in the run's own
    # temporary folder, readable by this user only; a real trustee's share never leaves them).
    shares = Path(fixture_path).with_suffix(".shares")
    shares.write_bytes(pickle.dumps(fixture.SHARES[fx.organisation]))
    shares.chmod(0o600)


def check(fixture_path: str, outcomes_path: str, result_path: str) -> None:
    from asamblea.commands import django_setup

    django_setup()
    import fixture
    from django.db.models import Count

    from asamblea.elections.models import (
        Ballot,
        Election,
        IdempotencyRecord,
        Participation,
        TrackingCode,
    )

    fx = fixture.Fixture.load(Path(fixture_path))
    outcomes: list[dict[str, Any]] = json.loads(Path(outcomes_path).read_text())
    election = Election.objects.get(pk=fx.election_id)

    acked = [o for o in outcomes if o["tracking_code"]]
    unacked = [o for o in outcomes if not o["tracking_code"]]
    codes_in_db = Counter(
        TrackingCode.objects.filter(election=election).values_list("code", flat=True)
    )
    acked_codes = Counter(o["tracking_code"] for o in acked)
    lost = [c for c in acked_codes if codes_in_db[c] == 0]
    doubled_codes = [c for c, n in codes_in_db.items() if n > 1]
    # A voter told two different tracking codes (their retry was taken as a second ballot).
    per_voter: dict[int, set[str]] = {}
    for o in acked:
        per_voter.setdefault(o["voter"], set()).add(o["tracking_code"])
    voters_with_two_receipts = sum(1 for codes in per_voter.values() if len(codes) > 1)
    members_with_two = (
        Participation.objects.filter(election=election)
        .values("roll_entry")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    ballots = Ballot.objects.filter(election=election).count()
    participations = Participation.objects.filter(election=election).count()
    tracking = sum(codes_in_db.values())
    idempotency = IdempotencyRecord.objects.filter(election=election).count()
    contents = Counter(Ballot.objects.filter(election=election).values_list("content", flat=True))
    acked_by_voter = {o["voter"]: o for o in acked}
    expected = Counter(o["content"] for o in acked)
    if election.is_sealed:
        # A sealed ballot is stored as ciphertexts, never as the choice the client sent: its
        # identity is its tracking code (the hash of the sealed ballot), so the ballots are
        # compared by code. The close's queue phase below checks the codes against the record.
        from asamblea.elections.actions.sealing import tracking as tracking_of

        contents = Counter(tracking_of(c) for c in contents.elements())
        expected = Counter(o["tracking_code"] for o in acked)
    missing_by_content = {c: n - contents[c] for c, n in expected.items() if n > contents[c]}
    # Ballots present beyond the acknowledged ones: each must be the one ballot of a voter whose
    # acknowledgement never arrived, so there can be at most one per unacknowledged voter.
    unacked_voters = {o["voter"] for o in unacked} - set(acked_by_voter)
    extra = sum(max(0, contents[c] - expected[c]) for c in contents)
    unacked_doubled = max(0, extra - len(unacked_voters))
    figures: dict[str, Any] = {
        "voters": len({o["voter"] for o in outcomes}),
        "acknowledged": len(acked_by_voter),
        "unacknowledged_voters": len(unacked_voters),
        "ballots_in_db": ballots,
        "participations_in_db": participations,
        "tracking_codes_in_db": tracking,
        "idempotency_records_in_db": idempotency,
        "acknowledged_lost": len(lost),
        "acknowledged_counted_twice": sum(1 for c in acked_codes if codes_in_db[c] > 1),
        "tracking_codes_doubled": len(doubled_codes),
        "voters_with_two_receipts": voters_with_two_receipts,
        "members_with_two_ballots": members_with_two,
        "ballots_missing_by_content": sum(missing_by_content.values()),
        "ballots_beyond_acknowledged": extra,
        "unacknowledged_counted_twice": unacked_doubled,
    }
    # Close and count through the application's own actions, as chunked jobs on worker processes
    # that are killed mid-chunk (crash/jobs.py); the count must hold every ballot.
    figures.update(_close_and_count(fx, election, Path(fixture_path).with_suffix(".shares")))
    election = Election.objects.get(pk=election.pk)
    figures["count_total"] = _count_total(election.result or {})
    figures["counted_equals_ballots"] = figures["count_total"] in (None, ballots)
    Path(result_path).write_text(json.dumps(figures, indent=1))


def _close_and_count(fx: Any, election: Any, shares_path: Path) -> dict[str, Any]:
    import crash.jobs as queue_phase
    from asamblea.crypto import ballot as sealed
    from asamblea.crypto.group import point_from_text
    from asamblea.elections import actions
    from asamblea.elections.actions import sealing, tally_jobs
    from asamblea.elections.models import Ballot, Election
    from asamblea.jobs.models import Job
    from asamblea.jobs.worker import apply_schema
    from asamblea.recordstore.models import RecordEntry
    from asamblea.trustees.actions.decryption import check_post_partial
    from asamblea.trustees.models import DecryptionRequest, Trustee
    from asamblea.trustees.sharefile import partials_for

    rng = random.Random(int(os.environ.get("CRASH_SEED", "0")) or None)  # noqa: S311
    os.environ["ASAMBLEA_QUEUE"] = "procrastinate"
    apply_schema()
    # Chunks of 50 ballots (1,000 in production) so that a run of 1,200 has enough of them to
    # kill workers in the middle of.
    sealing.CHUNK_BALLOTS = int(os.environ.get("CRASH_CHUNK_BALLOTS", "50"))
    workers = int(os.environ.get("CRASH_QUEUE_WORKERS", "3"))
    kills = int(os.environ.get("CRASH_QUEUE_KILLS", "3"))
    out: dict[str, Any] = {}
    print("queue phase: close", flush=True)
    actions.do_close_election(None, election)
    close = Job.objects.get(subject=tally_jobs.subject(election.pk, "close"))
    out.update(queue_phase.run_with_kills(close, "close", workers=workers, kills=kills, rng=rng))
    request = DecryptionRequest.objects.filter(subject=f"election:{election.pk}:tally").first()
    if request is None:
        return out
    shares = pickle.loads(shares_path.read_bytes())  # noqa: S301 - written by setup above
    for share in shares[: request.board.k]:
        trustee = Trustee.objects.select_related("user").get(board=request.board, index=share.index)
        request.refresh_from_db()
        payload = partials_for(share, point_from_text(request.board.public_key), request.groups)
        check_post_partial(trustee.user, request.pk, payload)
    print("queue phase: count", flush=True)
    actions.do_count_election(None, Election.objects.get(pk=election.pk))
    count = Job.objects.get(subject=tally_jobs.subject(election.pk, "count"))
    out.update(queue_phase.run_with_kills(count, "count", workers=workers, kills=kills, rng=rng))
    # What the record holds now: each chunk once, the stored ballots, one close, tally, count.
    rows = RecordEntry.objects.filter(organisation__slug=fx.organisation)

    def entries(kind: str) -> list[dict[str, Any]]:
        return [json.loads(r.canonical) for r in rows.filter(entry_type=kind).order_by("index")]

    published = [e for e in entries("ballots_published") if e.get("election") == election.pk]
    numbers = Counter(e["chunk"] for e in published)
    codes = Counter(
        sealed.tracking_code(sealed.ballot_from_json(b)) for e in published for b in e["ballots"]
    )
    stored = Counter(
        sealing.tracking(c)
        for c in Ballot.objects.filter(election=election).values_list("content", flat=True)
    )
    out["chunks_published_twice"] = sum(1 for n in numbers.values() if n > 1)
    out["chunks_missing"] = close.total - len(numbers)
    out["ballots_published"] = sum(codes.values())
    out["published_differs_from_stored"] = int(codes != stored)
    for kind in ("election_closed", "election_tallied", "election_counted"):
        out[f"{kind}_entries"] = sum(1 for e in entries(kind) if e.get("election") == election.pk)
    return out


def _count_total(result: dict[str, Any]) -> int | None:
    """Ballots the count saw (valid + blank + spoilt), when the result says so."""
    for key in ("voters", "ballots", "total_ballots"):
        if isinstance(result.get(key), int):
            return int(result[key])
    tally = result.get("tally")
    if isinstance(tally, dict):
        values = [v for v in tally.values() if isinstance(v, int)]
        if values:
            return sum(values) + int(result.get("blank", 0) or 0)
    return None


if __name__ == "__main__":
    step, *rest = sys.argv[1:]
    {"setup": setup, "check": check}[step](*rest)
