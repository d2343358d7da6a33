"""A database that is down answers 503 with Retry-After, on the API and on the pages."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from asamblea.elections import actions

pytestmark = pytest.mark.django_db


def _down(*_args: object, **_kwargs: object) -> None:
    raise OperationalError("server closed the connection unexpectedly")


def test_a_cast_meeting_a_dead_database_gets_503_and_may_retry(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(actions.BallotBox, "cached", classmethod(lambda cls, pk: _down()))
    response = Client().post(
        "/api/elections/1/vote",
        {"code": "A" * 20, "ballot": {"choice": "x"}, "key": "k" * 20},
        content_type="application/json",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    # The API answers in the site language (Spanish) unless told otherwise.
    assert "no se cambió nada" in response.json()["detail"]


def test_a_page_meeting_a_dead_database_gets_503(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(actions, "access_election_by_id", _down)
    response = Client().get("/elections/1/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_other_errors_are_not_dressed_up_as_unavailability(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(actions, "access_election_by_id", boom)
    with pytest.raises(RuntimeError):
        Client().get("/elections/1/")
