"""200 voters casting at once on PostgreSQL, many twice and with retries, on separate
connections: exactly one ballot per voter who got a receipt, and none for the rest."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from elections_builders import build_world, decrypt_tally, open_election

from asamblea.core.errors import ActionError
from asamblea.elections import actions
from asamblea.elections.models import Ballot, Election, Participation, TrackingCode

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VOTERS = 200


def test_two_hundred_voters_casting_at_once_leave_exactly_one_ballot_per_receipt():
    world = build_world(VOTERS, slug="rush")
    election, codes = open_election(world, candidates=3)
    keys = [m.public_id for m in world.members[:3]]
    rng = random.Random(200)  # noqa: S311 - the test's own schedule
    tasks = []  # (voter index, submission key, selection)
    for i in range(VOTERS):
        if i % 10 == 9:
            # These voters only ever send a ballot naming no candidate: refused, never counted.
            tasks.append((i, f"bad-{i:04d}-xxxxxxxxxxxx", {"choice": "no-such-candidate"}))
            continue
        first = (i, f"key-{i:04d}-aaaaaaaaaaaa", {"choice": keys[i % 3]})
        tasks.append(first)
        if i % 2 == 0:
            tasks += [first, first]  # retries of the same submission
        if i % 3 == 0:
            # A second, different ballot with another key: must be refused.
            tasks.append((i, f"key-{i:04d}-bbbbbbbbbbbb", {"choice": keys[(i + 1) % 3]}))
    rng.shuffle(tasks)

    def cast(task):
        i, key, selection = task
        try:
            e = Election.objects.get(pk=election.pk)
            receipt = actions.check_cast(e, codes[world.members[i].pk], selection, key)
            return i, key, receipt.tracking_code, None
        except ActionError as exc:
            return i, key, None, exc.detail
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(cast, tasks))

    receipts: dict[int, set[str]] = defaultdict(set)
    by_key: dict[str, set[str]] = defaultdict(set)
    for i, key, code, error in outcomes:
        if code is not None:
            receipts[i].add(code)
            by_key[key].add(code)
        else:
            assert error, "a refusal must say why"
    assert all(len(c) == 1 for c in receipts.values()), "a voter got two different receipts"
    assert all(len(c) == 1 for c in by_key.values())
    voters_with_receipt = set(receipts)
    assert voters_with_receipt == {i for i in range(VOTERS) if i % 10 != 9}
    assert Participation.objects.filter(election=election).count() == len(voters_with_receipt)
    assert Ballot.objects.filter(election=election).count() == len(voters_with_receipt)
    published = set(TrackingCode.objects.filter(election=election).values_list("code", flat=True))
    assert published == {c for codes_ in receipts.values() for c in codes_}
    # Each voter's counted ballot is the one submission that got receipts; the other was refused.
    accepted: dict[int, set[str]] = defaultdict(set)
    selections = {key: selection for _i, key, selection in tasks}
    for i, key, code, _error in outcomes:
        if code is not None:
            accepted[i].add(key)
    assert all(len(k) == 1 for k in accepted.values()), "two ballots of one voter accepted"
    # The ballots are sealed: what they hold is what the trustees decrypt as the totals.
    actions.do_close_election(world.officers[0], election)
    decrypt_tally(world, election)
    expected = Counter(selections[next(iter(k))]["choice"] for k in accepted.values())
    assert election.totals == [{"question": "q1", "totals": [expected[k] for k in keys]}]


def test_casts_racing_a_close_are_either_counted_or_refused_never_lost():
    # Voters keep casting while an officer closes the election: every receipt's ballot is in the
    # closed election's published lists, every refusal says the election is not open, and no
    # ballot is written after the close.
    world = build_world(120, slug="race")
    election, codes = open_election(world, candidates=2)
    keys = [m.public_id for m in world.members[:2]]

    def cast(i):
        try:
            e = Election.objects.get(pk=election.pk)
            receipt = actions.check_cast(
                e, codes[world.members[i].pk], {"choice": keys[i % 2]}, f"race-{i:04d}-xxxxxxxxxx"
            )
            return receipt.tracking_code, None
        except ActionError as exc:
            return None, exc.detail
        finally:
            connection.close()

    def close():
        try:
            actions.do_close_election(None, Election.objects.get(pk=election.pk))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(cast, i) for i in range(60)]
        closing = pool.submit(close)
        futures += [pool.submit(cast, i) for i in range(60, 120)]
        outcomes = [f.result() for f in futures]
        closing.result()

    election.refresh_from_db()
    assert election.state == Election.State.CLOSED
    receipts = {code for code, _ in outcomes if code}
    refusals = [error for code, error in outcomes if code is None]
    assert all(error == "this election is not open for voting" for error in refusals), refusals
    published = set(TrackingCode.objects.filter(election=election).values_list("code", flat=True))
    assert published == receipts
    assert Ballot.objects.filter(election=election).count() == len(receipts)
    assert Participation.objects.filter(election=election).count() == len(receipts)
