"""`asamblea token`: create, list and revoke a user's API bearer tokens."""

from __future__ import annotations

import argparse

from asamblea.commands import UsageError, django_setup

HELP = """\
API bearer tokens for writes under /api/ (header "Authorization: Bearer TOKEN").
  token create USERNAME [--label L] [--scope S] [--days N]
                                      print a new token once (only its SHA-256 is stored);
                                      scope write (default), read or vote-division; it expires
                                      after N days (default 30) and then answers 401
  token list USERNAME                 the user's tokens (id, label, created, revoked)
  token revoke ID                     revoke a token by its id
create and revoke need an authenticated user (ASAMBLEA_TOKEN, or ASAMBLEA_USER, ASAMBLEA_PASSWORD,
ASAMBLEA_TOTP): the token's owner or the platform operator. On a fresh install with no token at
all, whoever runs the server may create the first one without credentials (an operator verb)."""


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a token for USERNAME")
    create.add_argument("username")
    create.add_argument("--label", default="")
    create.add_argument("--scope", default="write", choices=["write", "read", "vote-division"])
    create.add_argument("--days", type=int, default=30, help="days until it expires (default 30)")
    listing = sub.add_parser("list", help="list USERNAME's tokens")
    listing.add_argument("username")
    revoke = sub.add_parser("revoke", help="revoke the token with this id")
    revoke.add_argument("token_id", type=int, metavar="ID")


def _creator():  # type: ignore[no-untyped-def]
    """The authenticated user; or, on a fresh install without any token, the server's operator."""
    from asamblea.commands.auth import NotAuthenticated, authenticated_user
    from asamblea.core.action import Operator
    from asamblea.registry.models import ApiToken

    try:
        return authenticated_user()
    except NotAuthenticated:
        if ApiToken.objects.exists():
            raise
        return Operator.current()


def run(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.commands.auth import authenticated_user
    from asamblea.core.errors import ActionError
    from asamblea.registry import actions
    from asamblea.registry.models import ApiToken

    try:
        if args.action == "create":
            actor = _creator()
            user = actions.find_user(args.username)
            token, _row = actions.check_create_api_token(
                actor, user, label=args.label, scope=args.scope, days=args.days
            )
            print(token)
            return 0
        if args.action == "list":
            user = actions.find_user(args.username)
            for row in ApiToken.objects.filter(user=user).order_by("pk"):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                if not row.revoked_at and row.expires_at:
                    state += f", {row.scope}, expires {row.expires_at:%Y-%m-%d}"
                print(f"{row.pk}\t{row.label or '-'}\t{row.created_at:%Y-%m-%d %H:%M}Z\t{state}")
            return 0
        actor = authenticated_user()
        found = ApiToken.objects.select_related("user").filter(pk=args.token_id).first()
        if found is None:
            raise UsageError(f"no token {args.token_id}")
        actions.check_revoke_api_token(actor, found)
        print(f"token {found.pk} of {found.user.get_username()} revoked")
        return 0
    except ActionError as exc:
        raise UsageError(exc.detail) from exc
