"""Shared pieces of the API: pagination, errors, authentication."""

from __future__ import annotations

import hashlib
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema
from ninja.security import HttpBearer

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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class BearerToken(HttpBearer):
    """A user's API token (``asamblea token create USER``)."""

    def authenticate(self, request: Any, token: str) -> Any:
        from asamblea.registry.models import ApiToken

        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        request.user = row.user
        return row.user
