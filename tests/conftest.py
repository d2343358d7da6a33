"""Test configuration shared by every suite.

The database the suite uses is the one ``DATABASE_URL`` names (SQLite by default); the first line
of the run says which, so a log always shows it.

``make test`` runs the suite twice: on SQLite, then tests/integration and tests/e2e again on
PostgreSQL with ``ASAMBLEA_SECOND_DATABASE_PASS=1``. In that second pass a test that cannot differ
by database is skipped, with its reason printed (``-rs``): a test that asks for no database (no
``django_db`` mark, no fixture that needs one; pytest-django refuses it a connection), and a
browser test (it tests pages; the pages' views and queries run on PostgreSQL in the integration
tests that render them with the test client). The Makefile says why, beside ``test-postgres``.

At the end of a run, tests that took more than ``SLOW_CPU_SECONDS`` of CPU (this process and the
processes it waited for, so the browser and subprocesses count; a database server does not) but
are not marked ``slow`` are listed, so the mark stays true; CPU time, not wall time, because the
machines are shared.
"""

from __future__ import annotations

import os
import resource

import pytest
from hypothesis import HealthCheck, settings

# CI profile: no deadline (a loaded 2-core machine is slow), derandomized (reproducible).
# Every property keeps Hypothesis' default number of examples unless its test says otherwise:
# all of them together cost about 16 CPU-seconds (measured 2026-12-07), not worth weakening.
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SLOW_CPU_SECONDS = 5.0
# Fixtures of pytest-django that give a test the database (directly or through its fixtures).
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
        "admin_user",
        "admin_client",
    }
)


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    from django.conf import settings as dj

    engine = dj.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    header = f"asamblea database: {engine} ({'PostgreSQL' if 'postgres' in engine else 'SQLite'})"
    if _second_pass():
        header += "; second database pass: tests that cannot differ by database are skipped"
    return header


def _second_pass() -> bool:
    return os.environ.get("ASAMBLEA_SECOND_DATABASE_PASS") == "1"


def uses_database(item: pytest.Item) -> bool:
    """Whether the test asks for the suite's database (a ``django_db`` mark or a fixture)."""
    if item.get_closest_marker("django_db") is not None:
        return True
    return bool(DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    from django.conf import settings as dj

    _xdist_groups(config, items)
    is_pg = "postgres" in dj.DATABASES["default"]["ENGINE"]
    second = _second_pass()
    for item in items:
        if "postgres_only" in item.keywords and not is_pg:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs PostgreSQL; runs in the PostgreSQL pass of make test"
                )
            )
        elif second and "browser" in item.keywords:
            item.add_marker(
                pytest.mark.skip(
                    reason="browser test: runs in the SQLite pass of make test (it tests pages; "
                    "their views run on this database in the integration tests)"
                )
            )
        elif second and not uses_database(item):
            item.add_marker(
                pytest.mark.skip(reason="uses no database: runs in the SQLite pass of make test")
            )


def _xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--dist loadgroup``: suffix each ``xdist_group`` test's id with its group, so that the
    group's tests run in one process (their module-scoped data is made once, not once per process).

    pytest-xdist 3.8 does this by setting ``item._nodeid``, which pytest 9 no longer reads (the id
    is ``item._id``): its groups were silently ignored (measured 2026-12-07: a group's tests ran
    in both processes). Done here as xdist meant it, unless xdist already did.
    """
    # Set in pytest-xdist's worker processes only (never in a run without -n).
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        if names and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(names))}")


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # Tests sign people in by the hundred: a deliberately slow password hash (PBKDF2, ~0.3 s on
    # this machine) would be most of the suite's time. Django's testing docs recommend a fast one.
    from django.conf import settings as dj

    dj.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    config.pluginmanager.register(CpuPerTest(), "asamblea-cpu-per-test")


# CPU seconds per test, for the list of tests that should be marked slow.
def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime


class CpuPerTest:
    """Registered as a plugin (a conftest's hooks would not see the session's fixtures)."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        # CPU spent setting up session-wide fixtures (this process's database, made once) is
        # shared, so not counted to the test that happened to come first.
        self.depth = 0
        self.shared = 0.0

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):  # type: ignore[no-untyped-def]
        if fixturedef.scope != "session":
            yield
            return
        self.depth += 1
        start = _cpu_seconds()
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0:
                self.shared += _cpu_seconds() - start

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):  # type: ignore[no-untyped-def]
        self.started[item.nodeid] = _cpu_seconds() - self.shared

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):  # type: ignore[no-untyped-def]
        outcome = yield
        report = outcome.get_result()
        if call.when == "teardown" and item.nodeid in self.started:
            # On the report, so that it reaches the main process under pytest-xdist.
            spent = _cpu_seconds() - self.shared - self.started.pop(item.nodeid)
            report.user_properties.append(("cpu_seconds", round(spent, 2)))


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    unmarked = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "teardown" or "slow" in report.keywords:
                continue
            spent = dict(report.user_properties).get("cpu_seconds", 0.0)
            if spent > SLOW_CPU_SECONDS:
                unmarked.append((spent, report.nodeid))
    if unmarked:
        terminalreporter.write_sep("=", f"over {SLOW_CPU_SECONDS:g} CPU-seconds, not marked slow")
        for spent, nodeid in sorted(unmarked, reverse=True):
            terminalreporter.write_line(f"{spent:7.2f}s cpu  {nodeid}")
