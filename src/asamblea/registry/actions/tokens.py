"""API bearer tokens: created and revoked privately, audited.

A user creates and revokes their own tokens; the platform operator (an active superuser) those
of anyone. On a fresh install with no token at all, whoever runs the server creates the first
one (``Operator``): the command line's only way in before any credential exists.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth import get_user_model

from asamblea.core.action import ActionContext, Operator, door
from asamblea.core.clock import now
from asamblea.core.credentials import hash_token
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden, is_active_user, is_operator
from asamblea.registry.models import ApiToken

# A token lives this long unless created with another term (``asamblea token create --days``).
TOKEN_DAYS = 30
SCOPES = ("write", "read", "vote-division")

CREDENTIAL_PRIVATE = "a credential: whether a user holds API tokens is no one else's business"


def _may_manage_tokens_of(actor: Any, owner: Any) -> None:
    if isinstance(actor, Operator):
        if ApiToken.objects.exists():
            raise Forbidden(
                "the server's operator creates only the first token; after that, authenticate"
            )
        return
    if not is_active_user(actor):
        raise Forbidden("only an authenticated user may do this")
    if actor.pk != owner.pk and not is_operator(actor):
        raise Forbidden("only the owner or the platform operator may manage these tokens")


def check_create_api_token(
    actor: Any, user: Any, *, label: str = "", scope: str = "write", days: int = TOKEN_DAYS
) -> tuple[str, ApiToken]:
    _may_manage_tokens_of(actor, user)
    if scope not in SCOPES:
        raise ActionError(f"the scope is one of {', '.join(SCOPES)}", field="scope")
    if not 1 <= days <= 366:
        raise ActionError("a token lives 1 to 366 days", field="days")
    return do_create_api_token(actor, user, label=label, scope=scope, days=days)


@door("registry.create_api_token", private=CREDENTIAL_PRIVATE)
def do_create_api_token(
    ctx: ActionContext, user: Any, *, label: str = "", scope: str = "write", days: int = TOKEN_DAYS
) -> tuple[str, ApiToken]:
    """A new bearer token; the plain token is returned once and only its SHA-256 is stored."""
    if not user.is_active:
        raise ActionError("the user is not active", field="user")
    token = secrets.token_urlsafe(32)
    at = now()
    row = ApiToken.objects.create(
        user=user,
        token_hash=hash_token(token),
        label=label[:100],
        created_at=at,
        scope=scope,
        expires_at=at + dt.timedelta(days=days),
    )
    ctx.audit(
        "token.create",
        row,
        user=user.get_username(),
        label=row.label,
        scope=scope,
        expires_at=row.expires_at.isoformat(),
    )
    return token, row


def check_revoke_api_token(actor: Any, row: ApiToken) -> ApiToken:
    if isinstance(actor, Operator):
        raise Forbidden("revoking a token needs an authenticated user")
    _may_manage_tokens_of(actor, row.user)
    return do_revoke_api_token(actor, row)


@door("registry.revoke_api_token", private=CREDENTIAL_PRIVATE)
def do_revoke_api_token(ctx: ActionContext, row: ApiToken) -> ApiToken:
    if row.revoked_at is not None:
        raise ActionError("the token is already revoked", field="token")
    row.revoked_at = now()
    row.save(update_fields=["revoked_at"])
    ctx.audit("token.revoke", row, user=row.user.get_username())
    return row


def find_user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ActionError(f"no user {username!r}", field="username")
    return user
