"""elections.storage (issue 15 items 1-2): partitions per vote, streamed minting, the close's
rewrite, streamed reads; on SQLite and PostgreSQL, with bounded memory and bounded queries."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from elections_builders import build_world, open_election

from asamblea.core.models import OutboxMessage
from asamblea.crypto.group import b64encode
from asamblea.elections import actions, secrecy, storage
from asamblea.elections.actions._common import State
from asamblea.elections.models import (
    Ballot,
    CastFingerprint,
    IdempotencyRecord,
    Participation,
    TrackingCode,
    VotingCredential,
)
from asamblea.record.commitment import roll_commitment
from asamblea.registry.actions import do_freeze_roll
from asamblea.registry.models import Member, RollEntry

pytestmark = pytest.mark.django_db


def _is_pg() -> bool:
    return connection.vendor == "postgresql"


def _physical_order(table: str, column: str, election_id: int) -> list[str]:
    order = "ctid" if _is_pg() else "rowid"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {column} FROM {table} WHERE election_id = %s ORDER BY {order}",  # noqa: S608
            [election_id],
        )
        return [str(r[0]) for r in cur.fetchall()]


def _rows(election, n: int) -> list[str]:
    """``n`` stored rows in every secret table, in a known (cast) order; the ballot contents."""
    entries = list(RollEntry.objects.filter(roll_id=election.roll_id).order_by("pk")[:n])
    contents = [json.dumps({"choice": f"k{i % 7}", "n": i}) for i in range(n)]
    for i, (entry, content) in enumerate(zip(entries, contents, strict=True)):
        Participation.objects.create(election=election, roll_entry=entry)
        Ballot.objects.create(election=election, content=content)
        TrackingCode.objects.create(election=election, code=f"code{i:06d}")
        CastFingerprint.objects.create(election=election, alpha=f"alpha{i}")
        IdempotencyRecord.objects.create(
            election=election, key_hash=f"{i:064d}", tracking_code="t", ballot_digest="d"
        )
    return contents


# --- the roll and the credentials ---------------------------------------------------------------


def test_the_frozen_roll_is_the_members_and_its_commitment_is_the_in_memory_one():
    world = build_world(25)
    election, _codes = open_election(world)
    roll = election.roll
    ids = list(Member.objects.filter(roll_entries__roll=roll).values_list("public_id", flat=True))
    assert roll.size == 25 == len(ids) == RollEntry.objects.filter(roll=roll).count()
    assert roll.commitment == roll_commitment(roll.salt, ids)


def test_every_roll_entry_gets_one_credential_mailed_or_printed_whatever_the_batch_size():
    world = build_world(23)
    Member.objects.filter(pk__in=[m.pk for m in world.members[::2]]).update(email="m@example.org")
    election, printed = open_election(world)
    mailed = OutboxMessage.objects.filter(is_secret=True).count()
    assert mailed == 12 and len(printed) == 11
    assert VotingCredential.objects.filter(election=election).count() == 23
    hmacs = set(
        VotingCredential.objects.filter(election=election).values_list("code_hmac", flat=True)
    )
    assert all(secrecy.credential_hmac(code) in hmacs for code in printed.values())
    # Minted again in batches of 5 (keyset by roll entry), the same members, each once.
    VotingCredential.objects.filter(election=election).delete()
    after, batches, total = 0, 0, 0
    while (batch := storage.mint_batch(election, after_entry_id=after, limit=5)).last_entry_id:
        after, batches, total = batch.last_entry_id, batches + 1, total + batch.issued
    assert (batches, total) == (5, 23)
    assert VotingCredential.objects.filter(election=election).count() == 23


def test_a_minting_batch_takes_the_same_few_queries_for_5_or_500_entries():
    world = build_world(600)
    Member.objects.filter(organisation=world.org).update(email="m@example.org")
    election, _ = open_election(world)
    VotingCredential.objects.filter(election=election).delete()
    counts = []
    for limit in (5, 500):
        with CaptureQueriesContext(connection) as queries:
            storage.mint_batch(election, after_entry_id=0, limit=limit)
        counts.append(len(queries))
        VotingCredential.objects.filter(election=election).delete()
    # One read of the roll, one bulk insert of messages; the credentials by COPY on
    # PostgreSQL (not a Django query) or one executemany on SQLite, whose bulk insert of the
    # messages is split by its limit of 999 parameters (a query per ~160 rows, not per row).
    if _is_pg():
        assert counts[0] == counts[1] <= 4, counts
    else:
        assert counts[0] <= 4 and counts[1] <= counts[0] + 4, counts


@pytest.mark.slow
def test_freezing_and_minting_20000_members_hold_a_bounded_amount_of_memory():
    world = build_world(20_000)
    Member.objects.filter(organisation=world.org, pk__gt=world.members[10_000].pk).update(
        email="m@example.org"
    )
    election, _ = open_election(world)  # warms every import and cache
    VotingCredential.objects.filter(election=election).delete()
    OutboxMessage.objects.all().delete()
    tracemalloc.start()
    try:
        do_freeze_roll(None, world.unit, purpose="measure")
        froze = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        after = 0
        while (b := storage.mint_batch(election, after_entry_id=after, limit=1_000)).last_entry_id:
            after = b.last_entry_id
        minted = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # One ORM object per member (what the open did before) weighs well over 1 KB each: 20,000
    # of them are over 20 MB. Freezing holds O(log n) hashes and a batch of leaves; minting
    # one batch of 1,000 codes (the printed ones are returned: ~10,000 short strings here).
    assert froze < 4_000_000, froze
    assert minted < 6_000_000, minted


# --- partitions ---------------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_an_open_vote_has_a_partition_of_its_own_in_each_secret_table():
    world = build_world(5)
    election, codes = open_election(world)
    actions.check_cast(election, codes[world.members[0].pk], {"choice": None}, "k" * 20)
    with connection.cursor() as cur:
        for table in storage.PARTITIONED_TABLES:
            assert storage.is_partitioned(table)
            cur.execute(
                f"SELECT DISTINCT tableoid::regclass::text FROM {table}"  # noqa: S608
                " WHERE election_id = %s",
                [election.pk],
            )
            found = [r[0] for r in cur.fetchall()]
            assert found == [storage.partition_name(table, election.pk)], (table, found)
    assert storage.ensure_partitions(election) == []  # idempotent


def test_sqlite_keeps_plain_tables():
    if _is_pg():
        pytest.skip("SQLite only")
    assert not storage.is_partitioned()
    assert storage.ensure_partitions(1) == []


# --- the rewrite at close -----------------------------------------------------------------------


def test_the_rewrite_keeps_every_row_with_fresh_ids_in_another_order_and_drops_the_traces():
    world = build_world(60)
    election, _ = open_election(world)
    contents = _rows(election, 60)
    old_ids = set(Ballot.objects.filter(election=election).values_list("id", flat=True))
    before = _physical_order("elections_participation", "roll_entry_id", election.pk)
    done = storage.rewrite_secret_rows(election)
    assert (done.ballots, done.tracking_codes, done.voters) == (60, 60, 60)
    stored = Ballot.objects.filter(election=election).values_list("id", "content")
    assert Counter(c for _, c in stored) == Counter(contents)
    assert not old_ids & {i for i, _ in stored}
    after = _physical_order("elections_participation", "roll_entry_id", election.pk)
    assert sorted(after) == sorted(before) and after != before
    assert _physical_order("elections_ballot", "content", election.pk) != contents
    assert not CastFingerprint.objects.filter(election=election).exists()
    assert not IdempotencyRecord.objects.filter(election=election).exists()


def _other_connection():  # type: ignore[no-untyped-def]
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        password=s["PASSWORD"] or None,
        autocommit=True,
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_close_rewrite_locks_no_other_vote_and_unlinks_the_old_files_at_commit():
    from django.db import transaction

    world = build_world(30)
    first, _ = open_election(world)
    second, _ = open_election(world)
    _rows(first, 20)
    part = storage.partition_name("elections_ballot", first.pk)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_relation_filepath(%s)", [part])
        old_path = cur.fetchone()[0]
    with _other_connection() as other, transaction.atomic():
        other.execute("SET lock_timeout = '2s'")
        storage.rewrite_secret_rows(first)
        # Another vote casts and reads while the close holds its locks...
        other.execute(
            "INSERT INTO elections_ballot (id, election_id, content)"
            " VALUES (gen_random_uuid(), %s, 'x')",
            [second.pk],
        )
        assert other.execute(
            "SELECT count(*) FROM elections_ballot WHERE election_id = %s", [second.pk]
        ).fetchone() == (1,)
        # ...while the closing vote's own partition is locked (so this test can fail).
        import psycopg

        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute(
                "SELECT count(*) FROM elections_ballot WHERE election_id = %s", [first.pk]
            )
    with connection.cursor() as cur:
        cur.execute("SELECT pg_relation_filepath(%s)", [part])
        assert cur.fetchone()[0] != old_path
        # The old file, in cast order: unlinked, or (until the next checkpoint, so that its
        # number is not reused) left empty by PostgreSQL at commit.
        cur.execute("SELECT (pg_stat_file(%s, true)).size", [old_path])
        assert cur.fetchone()[0] in (None, 0)


def test_the_rewrite_leaves_other_votes_rows_untouched():
    world = build_world(20)
    first, _ = open_election(world)
    second, _ = open_election(world)
    _rows(first, 10)
    ids = set(Participation.objects.filter(election=first).values_list("id", flat=True))
    storage.rewrite_secret_rows(second)
    assert set(Participation.objects.filter(election=first).values_list("id", flat=True)) == ids
    assert IdempotencyRecord.objects.filter(election=first).count() == 10


def test_the_linkable_variant_rewrites_nothing(monkeypatch):
    world = build_world(10)
    election, _ = open_election(world)
    _rows(election, 10)
    before = _physical_order("elections_ballot", "content", election.pk)
    monkeypatch.setattr(secrecy, "REWRITE_AT_CLOSE", False)
    assert storage.rewrite_secret_rows(election).voters == 10
    assert _physical_order("elections_ballot", "content", election.pk) == before


# --- streamed reads -----------------------------------------------------------------------------


def test_ballots_stream_in_batches_by_random_id_or_by_tracking_code():
    world = build_world(45)
    election, _ = open_election(world)
    contents = _rows(election, 45)
    storage.rewrite_secret_rows(election)
    batches = list(storage.iter_ballot_contents(election, batch=10))
    assert [len(b) for b in batches] == [10, 10, 10, 10, 5]
    flat = [c for b in batches for c in b]
    by_id = Ballot.objects.filter(election=election).order_by("id")
    assert flat == list(by_id.values_list("content", flat=True))
    tracked = [c for b in storage.iter_ballot_contents(election, order="tracking") for c in b]
    code = lambda c: b64encode(hashlib.sha256(c.encode()).digest())  # noqa: E731
    assert tracked == sorted(contents, key=code)


def test_ballot_pages_by_keyset_cover_every_ballot_once():
    world = build_world(25)
    election, _ = open_election(world)
    contents = _rows(election, 25)
    seen, after = [], None
    while page := storage.ballot_page(election, after_id=after, limit=7):
        seen.extend(c for _, c in page)
        after = page[-1][0]
    assert Counter(seen) == Counter(contents)


def test_identical_ballots_are_grouped_and_counted_by_the_database():
    world = build_world(40)
    election, _ = open_election(world)
    entries = list(RollEntry.objects.filter(roll_id=election.roll_id)[:40])
    choices = [f"k{i % 3}" for i in range(40)]
    for entry, choice in zip(entries, choices, strict=True):
        Participation.objects.create(election=election, roll_entry=entry)
        Ballot.objects.create(election=election, content=json.dumps({"choice": choice}))
    with CaptureQueriesContext(connection) as queries:
        groups = [g for batch in storage.ballot_groups(election, batch=2) for g in batch]
    assert groups == sorted(Counter(json.dumps({"choice": c}) for c in choices).items())
    assert all(isinstance(n, int) for _, n in groups)
    assert len(queries) <= 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_partitioning_migration_moves_an_existing_databases_rows_into_partitions():
    from django.db.migrations.executor import MigrationExecutor

    def migrate(name: str) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("elections", name)])

    migrate("0004_idempotency_key_unique_per_vote")
    try:
        assert not storage.is_partitioned()
        world = build_world(12)
        closed, _ = open_election(world)
        contents = _rows(closed, 12)
        still_open, codes = open_election(world)
        migrate("0005_partition_secret_tables_by_vote")
        for table in storage.PARTITIONED_TABLES:
            assert storage.is_partitioned(table)
        assert Counter(
            Ballot.objects.filter(election=closed).values_list("content", flat=True)
        ) == Counter(contents)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT DISTINCT tableoid::regclass::text FROM elections_participation"
                " WHERE election_id = %s",
                [closed.pk],
            )
            assert cur.fetchall() == [(f"elections_participation_e{closed.pk}",)]
        # The open vote got its partitions, so casting through the ORM and SQL goes on.
        actions.check_cast(still_open, codes[world.members[0].pk], {"choice": None}, "q" * 20)
        assert Participation.objects.filter(election=still_open).count() == 1
        assert storage.ensure_partitions(still_open) == []
    finally:
        migrate("0005_partition_secret_tables_by_vote")


@pytest.mark.postgres_only
def test_the_casting_check_reads_only_its_own_votes_partition_of_submission_keys():
    from asamblea.elections.actions import casting

    world = build_world(4)
    first, _ = open_election(world)
    second, _ = open_election(world)
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + casting._VOTER, ["x" * 64, second.pk, State.OPEN, "y" * 64])
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert storage.partition_name(table, second.pk) in plan, plan
    assert storage.partition_name(table, first.pk) not in plan, plan


def test_a_submission_key_is_per_vote():
    # The same key (a client's retry token) in two votes is two submissions, one in each.
    world = build_world(4)
    first, codes_1 = open_election(world)
    second, codes_2 = open_election(world)
    voter = world.members[0].pk
    a = actions.check_cast(first, codes_1[voter], {"choice": None}, "same-key-" + "k" * 20)
    b = actions.check_cast(second, codes_2[voter], {"choice": None}, "same-key-" + "k" * 20)
    assert not a.replayed and not b.replayed
    assert IdempotencyRecord.objects.filter(election__in=[first, second]).count() == 2
