"""Finding the user behind a credential: an API token, or a password with a TOTP code.

Shared by the API's bearer authentication and the command line, so both believe exactly the
same things.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.apps import apps
from django.contrib.auth import authenticate
from django.db.models import Q

from asamblea.core.clock import now


def hash_token(token: str) -> str:
    """API tokens are stored only as their SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_row(token: str) -> Any:
    """The live token row (unrevoked, unexpired, of an active user), or None."""
    api_token = apps.get_model("registry", "ApiToken")
    return (
        api_token.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        # A token without an expiry is one created before tokens expired; migration 0004 gave
        # every such row one, so this only guards hand-made rows.
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now()))
        .first()
    )


def user_for_token(token: str) -> Any:
    """The active user owning this unrevoked, unexpired token, or None (the API answers 401)."""
    row = token_row(token)
    return None if row is None else row.user


def user_for_password_and_totp(username: str, password: str, code: str) -> Any:
    """The active user with this password whose confirmed TOTP device accepts ``code``, or None.

    One answer for every failure, so the caller cannot tell a right password from a wrong one.
    """
    from django_otp import match_token

    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        return None
    code = "".join(ch for ch in code if ch.isdigit())
    if not code or match_token(user, code) is None:
        return None
    return user
