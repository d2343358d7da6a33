"""Issue 18 item 8: an attacker with the storage finds no plaintext ballot, mid-vote or after close.

On a throwaway PostgreSQL cluster (``initdb``; ``log_statement = all``, ``log_min_error_statement =
error``, ``wal_level = replica``, the server log in a file) and on an SQLite file, the application
(storage_driver.py, its own process) opens a vote of every method it offers and casts every
ballot through the cast API with the plain selection (the no-JavaScript path: the server sees the
choice), with a retried cast and a used code among them. Mid-vote, and again after every vote is
closed (and, on PostgreSQL, a ``CHECKPOINT``), the attacker reads:

- PostgreSQL: every WAL segment byte by byte (and ``pg_waldump``'s decoding of each), the server
  log, a ``pg_dump`` of every table, and every file of the data directory;
- SQLite: the main file, its ``-wal`` and ``-shm``, byte by byte;

and searches for the plaintext encodings of every cast ballot (storage.py). Nothing may be found.
The same test against a variant that writes each cast's plaintext (``--plaintext``) must find it
in every one of those places, so it can fail.

The PostgreSQL half needs the server binaries (``ASAMBLEA_PG_BIN``, default
/usr/lib/postgresql/15/bin). Neither half uses the suite's own database (each makes its own), so
the module runs once, in the SQLite pass of ``make test``, and is skipped in the PostgreSQL pass.

Each test has a cluster (or file) of its own, so none sees another's WAL, log or pages; they are
copies of one cluster and one file that the module migrates once (``initdb`` and the migrations
were three quarters of each test's time), and the module's tests run in one process
(``xdist_group``) so that this happens once per run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from storage import (
    Cluster,
    Driver,
    Needles,
    copy_sqlite,
    migrated_cluster,
    migrated_sqlite_file,
    pg_available,
    scan_files,
)


def _suite_on_postgresql() -> bool:
    from django.conf import settings

    return "postgres" in settings.DATABASES["default"]["ENGINE"]


pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("storage-attack"),
    pytest.mark.skipif(
        _suite_on_postgresql(), reason="makes its own databases: runs in the SQLite pass"
    ),
]

PG_SETTINGS = {
    "log_statement": "'all'",
    "log_min_error_statement": "error",
    "wal_level": "replica",
    "logging_collector": "off",
    "log_line_prefix": "'%m [%p] %u@%d '",
}

# Every method the application opens a secret vote with; the test fails if one does not open.
METHODS = ["recall yes/no", "plurality", "approval", "irv", "stv", "instruction"]

needs_pg = pytest.mark.skipif(not pg_available(), reason="needs PostgreSQL's server binaries")


@pytest.fixture(scope="module")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The data directory of a stopped cluster whose database ``attack`` is migrated."""
    cluster = migrated_cluster(tmp_path_factory.mktemp("pg-template"))
    yield cluster.data
    cluster.stop()


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the application's tables."""
    return migrated_sqlite_file(tmp_path_factory.mktemp("sqlite-template") / "attack.sqlite3")


def _pg_look(cluster: Cluster, needles: Needles) -> dict[str, Any]:
    """Everything an attacker with the PostgreSQL server's disk finds, by place: the WAL and the
    log as they are, then (after a CHECKPOINT writes the shared buffers out) every table and every
    file of the data directory."""
    records, waldump_text = cluster.waldump()
    assert records > 100, "pg_waldump decoded almost nothing: the WAL scan would prove nothing"
    look = {
        "wal": scan_files(cluster.wal_segments(), needles),
        "waldump": needles.search(waldump_text.encode()),
        "log": needles.search(cluster.log.read_bytes()),
        "tables": needles.search(cluster.dump().encode()),
    }
    cluster.sql("CHECKPOINT")
    look["data directory"] = scan_files(
        [p for p in cluster.files() if "pg_wal" not in p.parts], needles
    )
    look["wal after checkpoint"] = scan_files(cluster.wal_segments(), needles)
    return look


def _run_pg(
    tmp_path: Path, template: Path, *, plaintext: bool
) -> tuple[dict[str, Any], dict[str, Any], Driver]:
    cluster = Cluster(PG_SETTINGS, template)
    driver = None
    try:
        cluster.start()
        driver = Driver(cluster.url(), tmp_path, plaintext=plaintext)
        mid = driver.until("mid-vote")
        assert mid["opened"] == METHODS, f"not every method opened: {driver.skipped}"
        needles = Needles(mid["ballots"])
        assert len(needles.literals) >= 5, mid
        at_mid = _pg_look(cluster, needles)
        driver.go_on()
        driver.until("closed")
        after = _pg_look(cluster, needles)
        driver.finish()
        return at_mid, after, driver
    finally:
        if driver is not None:
            driver.finish()
        cluster.stop()


def _sqlite_look(db: Path, needles: Needles) -> dict[str, Any]:
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    assert db.stat().st_size > 0
    return {"files": scan_files(files, needles)}


def _run_sqlite(
    tmp_path: Path, template: Path, *, plaintext: bool
) -> tuple[dict[str, Any], dict[str, Any], Driver]:
    db = tmp_path / "attack.sqlite3"
    copy_sqlite(template, db)
    driver = Driver(f"sqlite:///{db}", tmp_path, plaintext=plaintext)
    try:
        mid = driver.until("mid-vote")
        assert mid["opened"] == METHODS, f"not every method opened: {driver.skipped}"
        needles = Needles(mid["ballots"])
        at_mid = _sqlite_look(db, needles)
        driver.go_on()
        driver.until("closed")
        after = _sqlite_look(db, needles)
        return at_mid, after, driver
    finally:
        driver.finish()


def _found(look: dict[str, Any]) -> dict[str, str]:
    """Where plaintext was found, with a few examples of what (the full lists run long)."""
    out = {}
    for place, hits in look.items():
        if isinstance(hits, dict):
            hits = [f"{Path(name).name}: {h}" for name, found in hits.items() for h in found]
        if hits:
            out[place] = f"{len(hits)} findings, e.g. {hits[:3]}"
    return out


@needs_pg
def test_postgresql_storage_holds_no_plaintext_ballot_mid_vote_or_after_close(
    tmp_path, pg_template
):
    at_mid, after, driver = _run_pg(tmp_path, pg_template, plaintext=False)
    found = {"mid-vote": _found(at_mid), "after close and CHECKPOINT": _found(after)}
    assert not any(found.values()), f"{found} (not opened: {driver.skipped})"


@needs_pg
def test_the_postgresql_attack_finds_a_variant_that_writes_the_plaintext(tmp_path, pg_template):
    at_mid, after, _ = _run_pg(tmp_path, pg_template, plaintext=True)
    for when, look in (("mid-vote", at_mid), ("after close", after)):
        places = ("wal", "log", "tables", "data directory", "wal after checkpoint")
        missed = [place for place in places if not look[place]]
        assert not missed, f"{when}: the attack missed the plaintext in {missed}"


def test_sqlite_files_hold_no_plaintext_ballot_mid_vote_or_after_close(tmp_path, sqlite_template):
    at_mid, after, driver = _run_sqlite(tmp_path, sqlite_template, plaintext=False)
    found = {"mid-vote": _found(at_mid), "after close": _found(after)}
    assert not any(found.values()), f"{found} (not opened: {driver.skipped})"


def test_the_sqlite_attack_finds_a_variant_that_writes_the_plaintext(tmp_path, sqlite_template):
    at_mid, after, _ = _run_sqlite(tmp_path, sqlite_template, plaintext=True)
    assert at_mid["files"], "mid-vote: the attack missed the plaintext in the SQLite files"
    assert after["files"], "after close: the attack missed the plaintext in the SQLite files"


def test_the_needles_match_every_encoding_of_a_ballot_and_not_a_bare_key():
    needles = Needles(
        [
            {"plaintext": '{"vote":"yes"}'},
            {"plaintext": '{"approve":["kA","kB"]}'},
            {"plaintext": '{"ranking":["kC","kA"]}'},
        ]
    )
    assert needles.search(b'xx{"vote":"yes"}xx')
    assert needles.search(b'{"vote": "yes", "x": 1}')
    assert needles.search(b'{"approve": ["kZ", "kB"]}')
    assert needles.search(b"INSERT ... VALUES ('ranking=kA&x')")
    assert needles.search(b"code=1&choice=kA&key=2") == []  # kA is no choice of these ballots
    assert needles.search(b"vote=yes&key=1")
    assert not needles.search(b'{"key": "kA", "name": "Member 1"}')  # the candidate table
    assert not needles.search(b'{"vote":"no"}')


@needs_pg
def test_a_duplicate_cast_leaves_nothing_secret_in_the_server_log(tmp_path, pg_template):
    """The issue's log leak, reproduced with PostgreSQL's defaults (``log_statement = none``,
    ``log_min_error_statement = error``): a cast submitted twice with one code fails on a unique
    constraint, and the log must then carry neither the ballot, nor its tracking code, nor the
    code's HMAC, nor the submission key's hash, nor which roll entry voted."""
    cluster = Cluster({"log_statement": "none", "log_min_error_statement": "error"}, pg_template)
    driver = None
    try:
        cluster.start()
        driver = Driver(cluster.url(), tmp_path)
        mid = driver.until("mid-vote")
        log = cluster.log.read_text(errors="replace")
    finally:
        if driver is not None:
            driver.finish()
        cluster.stop()
    needles = Needles(mid["ballots"])
    leaked = {
        "ballots": needles.search(log.encode()),
        "receipts, code HMACs, key hashes": sorted(s for s in mid["secrets"] if s in log),
        "roll entries": re.findall(r"Key \\(election_id, roll_entry_id\\)=\\(\\d+, \\d+\\)", log),
    }
    assert not any(leaked.values()), {k: v[:3] for k, v in leaked.items() if v}
