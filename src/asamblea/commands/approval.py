"""``asamblea approval``: two people, not one (SYSTEM.md; docs/adr/0010-approvals.md).

Certifying a result, exporting a register, printing new voting cards, granting or revoking an
office and rotating the record's key are proposed by one officer and approved by a different
one, each signed in as themself. Approving needs a fresh TOTP code even with an API token
(``ASAMBLEA_TOTP``); with a password sign-in the TOTP code of that sign-in is the fresh one.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from asamblea.commands import InputError, UsageError, django_setup

HELP = """\
two-person steps: list, approve, withdraw, and fetch what an approved proposal produced
  approval list [--org SLUG]                        proposals you made or may approve
  approval approve ID                               approve as a different officer (fresh TOTP)
  approval withdraw ID                              withdraw your own proposal
  approval export-members --organisation S --unit C propose exporting a unit's register
  approval result ID [--out FILE]                   the proposer fetches an approved export, once
All need an authenticated user (ASAMBLEA_TOKEN, or ASAMBLEA_USER, ASAMBLEA_PASSWORD, ASAMBLEA_TOTP);
approve needs ASAMBLEA_TOTP even with a token."""


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="pending proposals you made or may approve").add_argument("--org")
    for name, text in (("approve", "approve a proposal"), ("withdraw", "withdraw your proposal")):
        sub.add_parser(name, help=text).add_argument("approval_id", type=int, metavar="ID")
    export = sub.add_parser("export-members", help="propose exporting a unit's register")
    export.add_argument("--organisation", required=True, metavar="SLUG")
    export.add_argument("--unit", required=True, metavar="CODE")
    result = sub.add_parser("result", help="fetch an approved export (the proposer, once)")
    result.add_argument("approval_id", type=int, metavar="ID")
    result.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")


def _load_kinds() -> None:
    """Each app declares its kinds of approval when its actions are imported."""
    import asamblea.elections.actions  # noqa: F401
    import asamblea.recordstore.actions  # noqa: F401
    import asamblea.registry.actions  # noqa: F401


def _organisation(slug: str):  # type: ignore[no-untyped-def]
    from asamblea.registry.models import Organisation

    org = Organisation.objects.filter(slug=slug).first()
    if org is None:
        raise UsageError(f"no organisation {slug!r}")
    return org


def run(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.commands.auth import NotAuthenticated, _token_from_environment, authenticated_user
    from asamblea.core import approvals
    from asamblea.core.errors import ActionError, NotFoundOrForbidden

    _load_kinds()
    user = authenticated_user()
    try:
        if args.action == "list":
            org_id = _organisation(args.org).pk if args.org else None
            for a in approvals.pending_for(user, org_id):
                who = "yours" if a.proposer_id == user.pk else "to approve"
                print(
                    f"{a.pk}\t{a.kind}\t{a.expires_at:%Y-%m-%d %H:%M}\t{who}\t{approvals.describe(a)}"
                )
        elif args.action == "approve":
            with_token = _token_from_environment() is not None
            code = os.environ.get("ASAMBLEA_TOTP", "")
            if with_token and not code:
                raise NotAuthenticated(
                    "approving needs a fresh second factor: set ASAMBLEA_TOTP to a current TOTP "
                    "code of your own device, even with a token"
                )
            done = approvals.check_approve(
                user,
                args.approval_id,
                fresh_code=code if with_token else None,
                # A password sign-in has just matched ASAMBLEA_TOTP: that is the fresh factor.
                factor_checked=not with_token,
            )
            print(f"approval {done.pk}: approved ({approvals.describe(done)})")
        elif args.action == "withdraw":
            done = approvals.check_withdraw(user, args.approval_id)
            print(f"approval {done.pk}: withdrawn")
        elif args.action == "export-members":
            from asamblea.registry.actions.members import check_propose_export_members

            org = _organisation(args.organisation)
            proposed = check_propose_export_members(user, org, args.unit)
            print(
                f"approval {proposed.pk}: export of {args.unit} proposed; a different officer "
                f"runs `asamblea approval approve {proposed.pk}`, then you run "
                f"`asamblea approval result {proposed.pk} --out FILE` within 15 minutes"
            )
        elif args.action == "result":
            from asamblea.registry.exporting import rows_to_csv

            rows = approvals.check_take_result(
                user, args.approval_id, kind="registry.export_members"
            )
            text = rows_to_csv(rows)
            if args.out:
                args.out.write_text(text, encoding="utf-8")
                print(f"{text.count(chr(10)) - 1} members written to {args.out}", file=sys.stderr)
            else:
                sys.stdout.write(text)
    except NotFoundOrForbidden as exc:
        raise UsageError(f"{exc.detail} not found, or you may not see it") from None
    except ActionError as exc:
        raise InputError(f"approval: {exc.field or 'action'}: {exc.detail}") from None
    return 0
