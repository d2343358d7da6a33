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
