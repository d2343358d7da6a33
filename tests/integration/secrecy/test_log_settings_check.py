"""The deploy check warns while PostgreSQL would log statements (and with them, ballots and codes)
for the application's sessions, and is quiet once docs/operations.md's settings are in force."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from asamblea.core.logchecks import SAFE, postgresql_logs_keep_no_statement

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _set(values: dict[str, str]) -> None:
    with connection.cursor() as cur:
        for name, value in values.items():
            cur.execute(f"SET LOCAL {name} = '{value}'")  # noqa: S608 - fixed names and values


def test_postgresql_defaults_are_warned_about_one_by_one():
    with transaction.atomic():
        _set({"log_statement": "none", "log_min_error_statement": "error"})
        _set({"log_min_duration_statement": "-1", "log_parameter_max_length_on_error": "0"})
        warnings = postgresql_logs_keep_no_statement(databases=["default"])
    assert [w.id for w in warnings] == ["asamblea.W001"]
    assert "log_min_error_statement is 'error'" in warnings[0].msg
    assert "ALTER ROLE" in warnings[0].hint


def test_the_documented_settings_pass():
    with transaction.atomic():
        _set({name: value for name, (value, _why) in SAFE.items()})
        assert postgresql_logs_keep_no_statement(databases=["default"]) == []


def test_every_unsafe_setting_is_named():
    with transaction.atomic():
        _set({"log_statement": "all", "log_min_error_statement": "error"})
        _set({"log_min_duration_statement": "0", "log_parameter_max_length_on_error": "-1"})
        names = {w.msg.split()[1] for w in postgresql_logs_keep_no_statement(databases=["default"])}
    assert names == set(SAFE)


def test_the_check_runs_with_check_deploy_and_the_database(capsys):
    with transaction.atomic():
        _set({"log_min_error_statement": "error"})
        call_command("check", "--deploy", "--database", "default", "--fail-level", "ERROR")
    assert "asamblea.W001" in capsys.readouterr().err
