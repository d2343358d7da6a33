"""A vote's secret rows in bulk: partitions, credentials, the rewrite at close, streamed reads.

Everything here works in bounded memory whatever the size of the roll (docs/adr/0017): the
database does the bulk work (``INSERT ... SELECT``, ``COPY``, ``TRUNCATE``), rows come back
through server-side cursors (PostgreSQL) or batched cursors (SQLite), and no function holds one
Python object per member at once. Each bulk step is also callable per chunk (``mint_batch``,
``ballot_page``), so that a job can split it across transactions and workers.

PostgreSQL keeps each vote's secret rows in partitions of their own (``PARTITION BY LIST
(election_id)``, migration 0005): the ballots, the tracking codes, who voted, the cast
fingerprints and the idempotency rows. A partition is created and attached when the vote opens
(:func:`ensure_partitions`); at close each one is rewritten on its own (:func:`rewrite_secret_rows`)
and emptied by ``TRUNCATE``, which gives it new files and unlinks the old ones at commit, so no
dead row and no physical order of the casting period survives, and no other vote's rows are
locked, read or rewritten. SQLite keeps plain tables: rows are rewritten with ``secure_delete``
on, and the file is compacted after commit (``secrecy.compact_secret_tables``).

Nothing here may log or raise with a credential, a ballot's content or an idempotency key.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import translation

from asamblea.core.mail import site_url
from asamblea.core.outbox import queue_emails
from asamblea.elections import messages as m
from asamblea.elections import secrecy
from asamblea.elections.models import (
    Ballot,
    CastFingerprint,
    Election,
    IdempotencyRecord,
    Participation,
    TrackingCode,
    VotingCredential,
)

# Roll entries per minting batch: its codes, HMACs and messages are held at once, nothing more.
MINT_BATCH = 5_000
# Rows per round trip when ballots are streamed out of the database.
READ_BATCH = 2_000

# The per-vote tables kept in one partition per vote on PostgreSQL (ADR 0017 says why each).
PARTITIONED_MODELS: tuple[type[Any], ...] = (
    Ballot,
    TrackingCode,
    Participation,
    CastFingerprint,
    IdempotencyRecord,
)
PARTITIONED_TABLES = tuple(model._meta.db_table for model in PARTITIONED_MODELS)

# The columns each rewritten table keeps (the id is fresh; election_id is the partition key).
_REWRITTEN: dict[str, str] = {
    Ballot._meta.db_table: "content",
    TrackingCode._meta.db_table: "code",
    Participation._meta.db_table: "roll_entry_id",
}
_DISCARDED = (CastFingerprint._meta.db_table, IdempotencyRecord._meta.db_table)


def _election_id(election: Election | int) -> int:
    return int(election if isinstance(election, int) else election.pk)


# --- partitions ---------------------------------------------------------------------------------


def partition_name(table: str, election_id: int) -> str:
    return f"{table}_e{int(election_id)}"


def is_partitioned(table: str = Ballot._meta.db_table) -> bool:
    """Whether ``table`` is a partitioned table here (PostgreSQL after migration 0005)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cur.fetchone()
    return row is not None and row[0] == "p"


def ensure_partitions(election: Election | int) -> list[str]:
    """Create and attach the vote's partitions that do not exist yet; returns those created.

    Each is created as a table of its own and then attached: ``ATTACH PARTITION`` takes only a
    SHARE UPDATE EXCLUSIVE lock on the parent, so casting in other votes goes on (``CREATE TABLE
    ... PARTITION OF`` would take an ACCESS EXCLUSIVE lock on the parent until commit). The CHECK
    constraint matching the bound spares the attach its validation scan. Two opens attaching at
    once wait for each other (that lock conflicts with itself), casting never does.
    """
    if not is_partitioned():
        return []
    eid = _election_id(election)
    created = []
    with connection.cursor() as cur:
        for table in PARTITIONED_TABLES:
            name = partition_name(table, eid)
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if cur.fetchone()[0]:
                continue
            # Names come from the models and an integer: nothing here is user input.
            cur.execute(
                f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
                " INCLUDING INDEXES)"
            )
            cur.execute(
                f"ALTER TABLE {name} ADD CONSTRAINT {name}_bound CHECK (election_id = {eid})"
            )
            cur.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES IN ({eid})")
            created.append(name)
    return created


# --- credentials --------------------------------------------------------------------------------


@dataclass
class MintedBatch:
    """What one minting batch did. ``printed`` (member pk -> code) holds the codes of members
    with no e-mail address, for their printed cards: in memory only, never stored."""

    last_entry_id: int | None
    issued: int = 0
    emailed: int = 0
    printed: dict[int, str] = field(default_factory=dict)


def _open_mail(language: str) -> tuple[str, str]:
    with translation.override(language):
        return translation.gettext(m.VOTE_OPEN_SUBJECT), translation.gettext(m.VOTE_OPEN_BODY)


def mint_batch(
    election: Election, *, after_entry_id: int = 0, limit: int = MINT_BATCH
) -> MintedBatch:
    """Mint one credential for each of the next ``limit`` roll entries after ``after_entry_id``
    (keyset by roll entry id), inside the caller's transaction.

    The server keeps only HMAC(server key, code) (written by ``COPY`` on PostgreSQL). A member
    with an e-mail address gets the code in a secret outbox message (deleted once delivered, as
    before); the others' codes are returned for printing. A batch redone after a crash is safe:
    a committed batch cannot be minted twice (one credential per voter, by constraint), and an
    uncommitted one left nothing. ``last_entry_id`` is None once the roll is exhausted.
    """
    assert election.roll_id is not None and election.opened_at is not None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT r.id, m.id, m.email, m.language, o.language FROM registry_rollentry r"
            " JOIN registry_member m ON m.id = r.member_id"
            " JOIN registry_organisation o ON o.id = m.organisation_id"
            " WHERE r.roll_id = %s AND r.id > %s ORDER BY r.id LIMIT %s",
            [election.roll_id, after_entry_id, limit],
        )
        rows = cur.fetchall()
    if not rows:
        return MintedBatch(last_entry_id=None)
    key = secrecy.credential_key()
    url = site_url(reverse("elections:vote", args=[election.pk]))
    templates: dict[str, tuple[str, str]] = {}
    credentials = []
    mails = []
    batch = MintedBatch(last_entry_id=int(rows[-1][0]))
    for _entry_id, member_id, email, own_language, org_language in rows:
        code = secrecy.new_credential()
        credentials.append((member_id, hmac.new(key, code.encode(), hashlib.sha256).hexdigest()))
        if not email:
            batch.printed[int(member_id)] = code
            continue
        language = own_language or org_language or settings.LANGUAGE_CODE
        if language not in templates:
            templates[language] = _open_mail(language)
        subject, body = templates[language]
        params = {"title": election.title, "code": secrecy.format_code(code), "url": url}
        mails.append((email, subject % params, body % params))
    _insert_credentials(election, credentials)
    queue_emails(mails, is_secret=True)
    batch.issued = len(credentials)
    batch.emailed = len(mails)
    return batch


def _insert_credentials(election: Election, rows: list[tuple[int, str]]) -> None:
    table = VotingCredential._meta.db_table
    at = election.opened_at
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            raw = cur.cursor  # psycopg's own cursor: COPY is not in the DB-API
            copy_sql = f"COPY {table} (election_id, member_id, code_hmac, issued_at) FROM STDIN"
            with raw.copy(copy_sql) as copy:
                for member_id, code_hmac in rows:
                    copy.write_row((election.pk, member_id, code_hmac, at))
        return
    issued = VotingCredential._meta.get_field("issued_at").get_db_prep_save(at, connection)
    with connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} (election_id, member_id, code_hmac, issued_at)"  # noqa: S608
            " VALUES (%s, %s, %s, %s)",
            [(election.pk, member_id, code_hmac, issued) for member_id, code_hmac in rows],
        )


def mint_all(election: Election, *, limit: int = MINT_BATCH) -> MintedBatch:
    """Every batch of :func:`mint_batch` in turn, in the caller's transaction; the printed codes
    of all batches together (members with no e-mail address)."""
    total = MintedBatch(last_entry_id=None)
    after = 0
    while True:
        batch = mint_batch(election, after_entry_id=after, limit=limit)
        if batch.last_entry_id is None:
            return total
        after = batch.last_entry_id
        total.last_entry_id = after
        total.issued += batch.issued
        total.emailed += batch.emailed
        total.printed.update(batch.printed)


# --- the rewrite at close -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rewritten:
    ballots: int
    tracking_codes: int
    voters: int


def _sqlite_uuid() -> None:
    connection.ensure_connection()
    connection.connection.create_function(
        "asamblea_uuid", 0, lambda: uuid.uuid4().hex, deterministic=False
    )


def _rewrite_table(cur: Any, table: str, column: str, eid: int, partitioned: bool) -> int:
    """One vote's rows of ``table`` again, with fresh random ids, in the order of those ids.

    The rows are first copied to a temporary table (not in the WAL; dropped below, or at commit
    on PostgreSQL), then removed and written back. On PostgreSQL ``TRUNCATE`` of the vote's own
    partition gives it new files and unlinks the old ones (cast order, dead rows) at commit, and
    locks only that partition. On SQLite the originals are deleted with ``secure_delete`` on
    (overwritten with zeros) and the copies get new rowids in random order.
    """
    scratch = f"asamblea_rewrite_{table}"
    source = partition_name(table, eid) if partitioned else table
    drop = " ON COMMIT DROP" if partitioned else ""
    cur.execute(f"DROP TABLE IF EXISTS {scratch}")
    cur.execute(
        f"CREATE TEMPORARY TABLE {scratch}{drop} AS"  # noqa: S608 - fixed names
        f" SELECT {column} FROM {source} WHERE election_id = %s",
        [eid],
    )
    if partitioned:
        _truncate(cur, source)
        fresh = f"SELECT gen_random_uuid() AS id, {column} FROM {scratch}"  # noqa: S608
    else:
        cur.execute(f"DELETE FROM {table} WHERE election_id = %s", [eid])  # noqa: S608
        fresh = f"SELECT asamblea_uuid() AS id, {column} FROM {scratch}"  # noqa: S608
    # Written in the order of the fresh random ids: physical order and key order say nothing.
    cur.execute(
        f"INSERT INTO {source} (id, election_id, {column})"  # noqa: S608 - fixed names
        f" SELECT id, {eid}, {column} FROM ({fresh}) AS fresh ORDER BY id"
    )
    count = int(cur.rowcount)
    cur.execute(f"DROP TABLE {scratch}")
    return count


def _truncate(cur: Any, table: str) -> None:
    # Rows written earlier in this transaction (the close's own, a test's) leave deferred
    # foreign-key checks pending, and PostgreSQL refuses to TRUNCATE under pending trigger
    # events: the checks run now (they would at commit), then the constraints defer again.
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute(f"TRUNCATE {table}")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")


def _count(cur: Any, table: str, eid: int) -> int:
    cur.execute(f"SELECT count(*) FROM {table} WHERE election_id = %s", [eid])  # noqa: S608
    return int(cur.fetchone()[0])


def rewrite_secret_rows(election: Election | int) -> Rewritten:
    """The close's rewrite, inside its transaction: ballots, tracking codes and participation
    rows again in fresh random order with fresh random ids, and the cast fingerprints and
    idempotency rows discarded, so that neither primary keys, nor SQLite's rowid, nor
    PostgreSQL's ctid, xmin or old files keep the order in which people voted.

    On PostgreSQL this touches the vote's own partitions only. With ``secrecy.REWRITE_AT_CLOSE``
    off (the linkage tests' deliberately linkable variant) nothing is rewritten or discarded.
    """
    eid = _election_id(election)
    partitioned = is_partitioned()
    if partitioned:
        ensure_partitions(eid)
    elif connection.vendor == "sqlite":
        secrecy.enable_secure_delete()
        _sqlite_uuid()
    counts: dict[str, int] = {}
    with connection.cursor() as cur:
        for table, column in _REWRITTEN.items():
            if secrecy.REWRITE_AT_CLOSE:
                counts[table] = _rewrite_table(cur, table, column, eid, partitioned)
            else:
                counts[table] = _count(cur, table, eid)
        if secrecy.REWRITE_AT_CLOSE:
            discard_cast_traces(eid, cur=cur, partitioned=partitioned)
    return Rewritten(
        ballots=counts[Ballot._meta.db_table],
        tracking_codes=counts[TrackingCode._meta.db_table],
        voters=counts[Participation._meta.db_table],
    )


def discard_cast_traces(
    election: Election | int, *, cur: Any = None, partitioned: bool | None = None
) -> None:
    """Delete the vote's cast fingerprints and idempotency rows (of no use once it is closed,
    and each one more trace): ``TRUNCATE`` of its partitions on PostgreSQL, ``DELETE`` (with
    secure_delete on) on SQLite."""
    eid = _election_id(election)
    if partitioned is None:
        partitioned = is_partitioned()
    if cur is None:
        with connection.cursor() as own:
            discard_cast_traces(eid, cur=own, partitioned=partitioned)
        return
    for table in _DISCARDED:
        if partitioned:
            _truncate(cur, partition_name(table, eid))
        else:
            secrecy.enable_secure_delete()
            cur.execute(f"DELETE FROM {table} WHERE election_id = %s", [eid])  # noqa: S608


# --- streamed reads -----------------------------------------------------------------------------


def _stream(sql: str, params: list[Any], batch: int) -> Iterator[list[tuple[Any, ...]]]:
    # A server-side cursor on PostgreSQL (Django's chunked cursor, inside the caller's
    # transaction or its own), a plain one on SQLite, which steps through rows as they are read.
    with connection.chunked_cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(batch):
            yield rows


def iter_ballot_contents(
    election: Election | int, *, batch: int = READ_BATCH, order: str = "id"
) -> Iterator[list[str]]:
    """The vote's stored ballot contents, ``batch`` at a time.

    ``order="id"``: by the ballots' random ids (fresh at close), an order that says nothing of
    when a ballot was cast. ``order="tracking"``: by the tracking code of a sealed ballot
    (base64url of SHA-256 of its canonical JSON, compared byte by byte), the order the record
    publishes sealed ballots in; the database sorts (PostgreSQL computes the code itself).
    """
    eid = _election_id(election)
    table = Ballot._meta.db_table
    if order == "id":
        sql = f"SELECT content FROM {table} WHERE election_id = %s ORDER BY id"  # noqa: S608
        for rows in _stream(sql, [eid], batch):
            yield [r[0] for r in rows]
        return
    if order != "tracking":
        raise ValueError(f"unknown order {order!r}")
    if connection.vendor == "postgresql":
        code = (
            "translate(rtrim(encode(sha256(convert_to(content, 'UTF8')), 'base64'), '='),"
            " '+/', '-_') COLLATE \"C\""
        )
        params: list[Any] = [eid]
    else:
        from asamblea.crypto.group import b64encode

        connection.ensure_connection()
        connection.connection.create_function(
            "asamblea_tracking",
            1,
            lambda c: b64encode(hashlib.sha256(c.encode()).digest()),
            deterministic=True,
        )
        code, params = "asamblea_tracking(content)", [eid]
    sql = f"SELECT content FROM {table} WHERE election_id = %s ORDER BY {code}"  # noqa: S608
    for rows in _stream(sql, params, batch):
        yield [r[0] for r in rows]


def ballot_page(
    election: Election | int, *, after_id: str | uuid.UUID | None = None, limit: int = 1_000
) -> list[tuple[uuid.UUID, str]]:
    """One page of (id, content) by random id after ``after_id`` (keyset): a chunk a job can
    redo, whichever worker runs it. The ids are fixed once the close has rewritten them."""
    eid = _election_id(election)
    qs = Ballot.objects.filter(election_id=eid).order_by("id")
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    return [(i, c) for i, c in qs.values_list("id", "content")[:limit]]


def ballot_groups(
    election: Election | int, *, batch: int = READ_BATCH
) -> Iterator[list[tuple[str, int]]]:
    """Identical ballots grouped by the database (``GROUP BY content``) with their counts,
    streamed ``batch`` groups at a time, sorted by content (which says nothing of cast order).
    Counts are exact integers. For the plaintext path and decrypted rankings stored as rows."""
    eid = _election_id(election)
    table = Ballot._meta.db_table
    sql = (
        f"SELECT content, count(*) FROM {table} WHERE election_id = %s"  # noqa: S608
        " GROUP BY content ORDER BY content"
    )
    if connection.vendor == "postgresql":
        sql = sql.replace("ORDER BY content", 'ORDER BY content COLLATE "C"')
    for rows in _stream(sql, [eid], batch):
        yield [(r[0], int(r[1])) for r in rows]
