"""Shared pieces of every app's API router: pagination, errors, bearer authentication.

In core so that the apps' routers need nothing from the api/ shell (imports flow one way)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema
from ninja.security import HttpBearer

from asamblea.core.credentials import hash_token, user_for_token

__all__ = ["MAX_LIMIT", "BearerToken", "ErrorOut", "Page", "hash_token", "paginate"]

T = TypeVar("T")

MAX_LIMIT = 500


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


def paginate(qs: QuerySet[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """Slice a queryset by ``limit``/``offset`` (bounded); returns the rows and the total count."""
    limit = max(1, min(limit, MAX_LIMIT))
    # Bounded above too: an offset past 2**63 overflows the database's integers (a 500).
    offset = max(0, min(offset, 10**12))
    return list(qs[offset : offset + limit]), qs.count()


class BearerToken(HttpBearer):
    """A user's API token (``asamblea token create USER``)."""

    def authenticate(self, request: Any, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user
