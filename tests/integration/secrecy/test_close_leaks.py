"""Issue 18 item 7: what a close leaves behind.

- SQLite's checkpoint after close is retried until the WAL is truncated, and fails loudly when a
  reader keeps holding it (the pre-close pages would otherwise stay in the ``-wal`` file).
- Participation rows (who voted) keep no cast order after close; a variant that skips the
  rewrite keeps it exactly, so the test can fail.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time

import pytest
from django.db import connection
from elections_builders import build_world, open_election

from asamblea.elections import actions, secrecy
from asamblea.registry.models import RollEntry

VOTERS = 30


def _sqlite_with_wal(path) -> sqlite3.Connection:  # type: ignore[no-untyped-def]
    db = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x TEXT)")
    for i in range(200):
        db.execute("INSERT INTO t VALUES (?)", (f"row {i}",))
    return db


def test_the_checkpoint_is_retried_until_a_reader_lets_go_and_the_wal_is_empty(tmp_path):
    path = tmp_path / "db.sqlite3"
    writer = _sqlite_with_wal(path)
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # a read transaction holds a snapshot
    writer.execute("INSERT INTO t VALUES ('after the reader began')")

    def let_go() -> None:
        time.sleep(0.5)
        reader.execute("COMMIT")

    thread = threading.Thread(target=let_go)
    thread.start()
    busy_first = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy_first[0] == 1  # what an unchecked checkpoint silently got
    row = secrecy.truncate_sqlite_wal(writer.cursor(), attempts=20, pause=0.1)
    thread.join()
    assert row[0] == 0
    assert (tmp_path / "db.sqlite3-wal").stat().st_size == 0


def test_a_checkpoint_that_a_reader_keeps_blocking_fails_loudly(tmp_path):
    path = tmp_path / "db.sqlite3"
    writer = _sqlite_with_wal(path)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()
    writer.execute("INSERT INTO t VALUES ('after the reader began')")
    with pytest.raises(secrecy.CheckpointFailed, match="could not be truncated"):
        secrecy.truncate_sqlite_wal(writer.cursor(), attempts=3, pause=0.05)
    assert (tmp_path / "db.sqlite3-wal").stat().st_size > 0
    reader.execute("COMMIT")


def _physical_order(election_id: int) -> list[int]:
    """Roll entries of the participation rows, in their physical order (rowid / ctid)."""
    order = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT roll_entry_id FROM elections_participation WHERE election_id = %s"  # noqa: S608
            f" ORDER BY {order}",
            [election_id],
        )
        return [row[0] for row in cur.fetchall()]


def _kept_neighbours(cast_order: list[int], physical: list[int]) -> int:
    """How many consecutive casts are still neighbours in storage (random: about 2 of 29)."""
    position = {entry: i for i, entry in enumerate(physical)}
    return sum(
        position[b] == position[a] + 1 for a, b in zip(cast_order, cast_order[1:], strict=False)
    )


def _cast_and_close(monkeypatch, *, rewrite: bool, slug: str) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(secrecy, "REWRITE_AT_CLOSE", rewrite)
    world = build_world(VOTERS, slug=slug)
    election, codes = open_election(world, method="plurality", candidates=3)
    keys = list(election.candidates.values_list("key", flat=True))
    order = list(world.members)
    random.Random(7).shuffle(order)  # noqa: S311 - the test's arrival order, not a secret
    cast_order = []
    for i, member in enumerate(order):
        actions.check_cast(
            election, codes[member.pk], {"choice": keys[i % 3]}, f"order-{i:04d}-{slug}"
        )
        cast_order.append(RollEntry.objects.get(roll=election.roll, member=member).pk)
    actions.do_close_election(world.officers[0], election)
    return cast_order, _physical_order(election.pk)


@pytest.mark.django_db(transaction=True)
def test_participation_rows_keep_no_cast_order_after_close(monkeypatch):
    cast_order, physical = _cast_and_close(monkeypatch, rewrite=True, slug="unordered")
    assert sorted(cast_order) == sorted(physical)
    assert _kept_neighbours(cast_order, physical) < 8, "participation rows keep the cast order"


@pytest.mark.django_db(transaction=True)
def test_a_close_that_skips_the_rewrite_keeps_the_cast_order(monkeypatch):
    cast_order, physical = _cast_and_close(monkeypatch, rewrite=False, slug="ordered")
    assert _kept_neighbours(cast_order, physical) == VOTERS - 1
