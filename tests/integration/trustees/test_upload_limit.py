"""A trustee's shuffle or partial decryption may be larger than Django's 2.5 MB request limit
(core.middleware.TrusteeUploadMiddleware); nothing else may."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from test_api_and_cli import token_for
from test_mixing import _request, _sealed, _user

from asamblea.core.action import System
from fixtures.trustees import make_board

BIG = 3 * 2**20  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB)


def _post(path: str, token: str | None) -> Any:
    body = json.dumps({"padding": "x" * BIG})
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(raise_request_exception=False).post(
        path, data=body, content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_a_trustee_s_large_shuffle_is_read_and_judged_on_its_content(org: Any) -> None:
    board, _ = make_board(org, k=2, n=3)
    mix = _request(System("test"), board, _sealed(board, [[1, 0], [0, 1]]))
    answer = _post(f"/api/trustees/mixes/{mix.pk}/shuffle", token_for(_user(board, 1)))
    # Read whole, then refused for what it holds (no shuffle in it), not for its size.
    assert answer.status_code in (400, 422), answer.content[:300]
    assert b"bytes" not in answer.content and b"too big" not in answer.content.lower()


@pytest.mark.django_db
def test_without_a_token_or_elsewhere_the_usual_limit_holds(org: Any) -> None:
    board, _ = make_board(org, k=2, n=3)
    mix = _request(System("test"), board, _sealed(board, [[1, 0]]))
    # No token: refused before the body is read.
    assert _post(f"/api/trustees/mixes/{mix.pk}/shuffle", None).status_code == 401
    # A token, on another endpoint: Django's RequestDataTooBig (400), the body never parsed.
    answer = _post("/api/trustees/boards", token_for(_user(board, 1)))
    assert answer.status_code == 400
    assert b"Bad Request" in answer.content and b"padding" not in answer.content


@pytest.mark.django_db
def test_over_the_trustee_limit_is_refused_with_its_size(org: Any, settings: Any) -> None:
    settings.ASAMBLEA_TRUSTEE_UPLOAD_MAX = 2**20
    board, _ = make_board(org, k=2, n=3)
    mix = _request(System("test"), board, _sealed(board, [[1, 0]]))
    answer = _post(f"/api/trustees/mixes/{mix.pk}/shuffle", token_for(_user(board, 1)))
    assert answer.status_code == 413
    assert "ASAMBLEA_TRUSTEE_UPLOAD_MAX" in answer.json()["detail"]
