"""Shared by the abuse-resistance tests: the elections' small worlds and a fresh cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elections"))


@pytest.fixture(autouse=True)
def _fresh_budgets(request):  # type: ignore[no-untyped-def]
    # Budgets live in the cache (a database table here): start and end every test without any.
    if "django_db" not in request.keywords:
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):  # type: ignore[no-untyped-def]
    # Budgets count in fixed windows: keep every request of a test in one of them.
    import time as real_time
    from types import SimpleNamespace

    from asamblea.core import ratelimit

    frozen = (real_time.time() // 600) * 600 + 5
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: frozen))
