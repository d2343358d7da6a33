"""Fixtures of the record's integration tests."""

from __future__ import annotations

import pytest
from record_helpers import make_organisation


@pytest.fixture
def organisation(db):  # type: ignore[no-untyped-def]
    return make_organisation()
