"""`asamblea import-members` and `asamblea export-members`: a unit register in and out as CSV."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from asamblea.commands import InputError, UsageError, django_setup

MAX_ERRORS_SHOWN = 100

HELP_IMPORT_MEMBERS = """\
Import members from a CSV (or XLSX) file with the header
  unit_code,member_ref,display_name,phone,email,joined_on
member_ref (unique in the organisation) is the match key: new refs are created, changed names
or contacts are updated, a changed unit_code is a transfer (history kept). joined_on (YYYY-MM-DD)
is used when a membership opens. Every row is checked before anything is written: a file with
any error is rejected whole, errors printed as FILE:LINE: field: message, exit status 1.
Importing the same file again changes nothing. Progress goes to stderr. Needs an authenticated
registrar of the organisation or of every unit in the file (ASAMBLEA_TOKEN, or ASAMBLEA_USER,
ASAMBLEA_PASSWORD, ASAMBLEA_TOTP), a dry run included."""

HELP_EXPORT_MEMBERS = """\
Exporting a unit's register needs two people, each in their own sign-in: this verb only says how.
One officer proposes (`asamblea approval export-members --organisation SLUG --unit CODE`), a
different officer approves with a fresh TOTP code (`asamblea approval approve ID`), then the
proposer fetches the CSV once (`asamblea approval result ID --out FILE`). Exit status 2."""


def configure_import_members(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="CSV or XLSX file")
    parser.add_argument("--organisation", required=True, metavar="SLUG")
    parser.add_argument(
        "--dry-run", action="store_true", help="check the file and report; write nothing"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def configure_export_members(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--organisation", required=True, metavar="SLUG")
    parser.add_argument("--unit", required=True, metavar="CODE")


def _organisation(slug: str):  # type: ignore[no-untyped-def]
    from asamblea.registry.models import Organisation

    org = Organisation.objects.filter(slug=slug).first()
    if org is None:
        raise UsageError(f"no organisation {slug!r}")
    return org


def run_import_members(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise UsageError(f"{args.file}: no such file")
    django_setup()
    from asamblea.commands.auth import authenticated_user
    from asamblea.core.errors import ActionError
    from asamblea.registry.actions import check_import_members, plan_import
    from asamblea.registry.actions.importing import require_import_permission
    from asamblea.registry.importing import FileRejected, validate_file

    user = authenticated_user()
    org = _organisation(args.organisation)
    started = time.monotonic()

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"import: {message} ({time.monotonic() - started:.1f} s)", file=sys.stderr)

    try:
        rows = validate_file(args.file, org)
    except FileRejected as exc:
        shown = [e.format(str(args.file)) for e in exc.errors[:MAX_ERRORS_SHOWN]]
        more = len(exc.errors) - len(shown)
        if more > 0:
            shown.append(f"{args.file}: ... and {more} more error(s)")
        shown.append(f"{args.file}: rejected, nothing written ({len(exc.errors)} error(s))")
        raise InputError("\n".join(shown)) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{args.file}:1: file: cannot read ({exc})") from exc
    progress(f"{len(rows)} rows checked")
    plan = plan_import(org, rows)
    summary = plan.summary()
    try:
        # Even a dry run tells which members exist: it needs the same permission.
        require_import_permission(user, org, plan)
        if args.dry_run:
            print(_summary_line(summary, dry_run=True))
            return 0
        if not plan.is_empty:
            summary = check_import_members(
                user, org, plan, source=args.file.name, progress=progress
            )
    except ActionError as exc:
        raise UsageError(exc.detail) from exc
    progress("done")
    print(_summary_line(summary, dry_run=False))
    return 0


def _summary_line(summary: dict[str, int], *, dry_run: bool) -> str:
    prefix = "dry run, nothing written: would be " if dry_run else ""
    return (
        f"{prefix}{summary['created']} created, {summary['updated']} updated, "
        f"{summary['transferred']} transferred, {summary['rejoined']} rejoined, "
        f"{summary['unchanged']} unchanged"
    )


def run_export_members(args: argparse.Namespace) -> int:
    # Two officers' credentials typed into one invocation are two names, not two people
    # (issue 16): the export goes through an approval.
    raise UsageError(
        "exporting a register needs a second officer's approval in their own sign-in: propose it "
        f"with `asamblea approval export-members --organisation {args.organisation} --unit "
        f"{args.unit}`, have another officer run `asamblea approval approve ID`, then fetch it "
        "once with `asamblea approval result ID --out FILE`"
    )
