"""Test configuration shared by every suite.

The database the suite uses is the one ``DATABASE_URL`` names (SQLite by default); the first line
of the run says which, so a log always shows it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI profile: no deadline (a loaded 2-core machine is slow), derandomized (reproducible).
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    from django.conf import settings as dj

    engine = dj.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"asamblea database: {engine} ({'PostgreSQL' if 'postgres' in engine else 'SQLite'})"


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    import pytest
    from django.conf import settings as dj

    is_pg = "postgres" in dj.DATABASES["default"]["ENGINE"]
    for item in items:
        if "postgres_only" in item.keywords and not is_pg:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs PostgreSQL; runs in the PostgreSQL pass of make test"
                )
            )


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # Tests sign people in by the hundred: a deliberately slow password hash (PBKDF2, ~0.3 s on
    # this machine) would be most of the suite's time. Django's testing docs recommend a fast one.
    from django.conf import settings as dj

    dj.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
