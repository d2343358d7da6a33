"""API bearer tokens."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from asamblea.core.apischema import hash_token
from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.registry.models import (
    ApiToken,
)


@transaction.atomic
def do_create_api_token(actor: Any, user: Any, *, label: str = "") -> tuple[str, ApiToken]:
    """A new bearer token; the plain token is returned once and only its SHA-256 is stored."""
    if not user.is_active:
        raise ActionError("the user is not active", field="user")
    token = secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, token_hash=hash_token(token), label=label[:100], created_at=now()
    )
    audit(actor, "token.create", row, user=user.get_username(), label=row.label)
    return token, row


@transaction.atomic
def do_revoke_api_token(actor: Any, row: ApiToken) -> ApiToken:
    if row.revoked_at is not None:
        raise ActionError("the token is already revoked", field="token")
    row.revoked_at = now()
    row.save(update_fields=["revoked_at"])
    audit(actor, "token.revoke", row, user=row.user.get_username())
    return row


def find_user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ActionError(f"no user {username!r}", field="username")
    return user
