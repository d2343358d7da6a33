"""The PostgreSQL backend's health check (asamblea.core.postgresql): a kept connection that is
well costs no round trip, and one whose server went away is still found and replaced before a
request uses it."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _server_dsn() -> str:
    return connection.connection.info.dsn


def test_a_well_connection_is_usable_without_asking_the_server(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    connection.ensure_connection()
    from django.db.backends.postgresql import base

    def no_round_trip(self):  # type: ignore[no-untyped-def]
        raise AssertionError("SELECT 1 was sent to a connection with nothing to read")

    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", no_round_trip)
    assert connection.is_usable()


def test_a_terminated_connection_is_found_and_replaced_before_use() -> None:
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with psycopg.connect(_server_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not connection.is_usable()
    # What Django does at the start of a request with CONN_HEALTH_CHECKS on.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        assert cur.fetchone()[0] != pid
