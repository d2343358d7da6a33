"""Who runs a mutating verb: the command line authenticates like everyone else.

A verb that changes state calls :func:`authenticated_user` and passes the user to the same
``check_*`` as the API and the pages. The user is found, in this order, from:

1. ``ASAMBLEA_TOKEN``: an API token (as the API's ``Authorization: Bearer``);
2. ``ASAMBLEA_TOKEN_FILE``: a file holding such a token (first line), e.g. on a tmpfs;
3. ``ASAMBLEA_USER`` with ``ASAMBLEA_PASSWORD`` and ``ASAMBLEA_TOTP`` (an officer's password
   and a current TOTP code); when standard input is a terminal, the missing ones are asked for.

Nothing else is believed: ``--officer NAME`` names no one. Operator verbs (``migrate``,
``manage``, key backup and restore, creating the first platform operator) do not call this: they
are trusted to whoever runs the server and audited with the operating-system user
(:class:`asamblea.core.action.Operator`).
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from asamblea.commands import UsageError

NOT_SIGNED_IN = (
    "this verb changes state and needs an authenticated user: set ASAMBLEA_TOKEN (or "
    "ASAMBLEA_TOKEN_FILE) to an API token, or ASAMBLEA_USER, ASAMBLEA_PASSWORD and ASAMBLEA_TOTP "
    "to an officer's password and current TOTP code"
)


class NotAuthenticated(UsageError):
    """No credentials, or wrong ones: exit status 2, nothing written."""


def _token_from_environment() -> str | None:
    token = os.environ.get("ASAMBLEA_TOKEN", "").strip()
    if token:
        return token
    path = os.environ.get("ASAMBLEA_TOKEN_FILE", "").strip()
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                first = fh.readline().strip()
        except OSError as exc:
            raise NotAuthenticated(f"{path}: cannot read the token file: {exc.strerror}") from exc
        if not first:
            raise NotAuthenticated(f"{path}:1: the token file is empty")
        return first
    return None


def _ask(name: str, prompt: str, *, secret: bool) -> str:
    value = os.environ.get(name, "")
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt) if secret else input(prompt)
    return ""


def authenticated_user() -> Any:
    """The user this invocation acts as, or :class:`NotAuthenticated` (call after django_setup)."""
    from asamblea.core.credentials import user_for_password_and_totp, user_for_token

    token = _token_from_environment()
    if token is not None:
        user = user_for_token(token)
        if user is None:
            raise NotAuthenticated("the API token is unknown, revoked or expired")
        return user
    username = _ask("ASAMBLEA_USER", "user: ", secret=False)
    if not username:
        raise NotAuthenticated(NOT_SIGNED_IN)
    password = _ask("ASAMBLEA_PASSWORD", "password: ", secret=True)
    code = _ask("ASAMBLEA_TOTP", "TOTP code: ", secret=True)
    if not password or not code:
        raise NotAuthenticated(NOT_SIGNED_IN)
    user = user_for_password_and_totp(username, password, code)
    if user is None:
        raise NotAuthenticated("wrong user, password or TOTP code")
    return user
