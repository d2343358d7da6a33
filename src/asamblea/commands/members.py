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
Importing the same file again changes nothing. Progress goes to stderr."""

HELP_EXPORT_MEMBERS = """\
Export one unit's current register as CSV (the import format). Needs two different officers
(--officer USERNAME twice), each holding the registrar or election_officer role in the
organisation; the export is written to the audit log with both names. Output to --out FILE or
standard output."""


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
    parser.add_argument(
        "--officer",
        required=True,
        action="append",
        metavar="USERNAME",
        help="an officer; give it twice: exporting a register needs two different officers",
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")


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
    import getpass

    from asamblea.registry.actions import do_import_members, plan_import
    from asamblea.registry.importing import FileRejected, validate_file

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
    if args.dry_run:
        print(_summary_line(summary, dry_run=True))
        return 0
    if not plan.is_empty:
        summary = do_import_members(
            f"cli:{getpass.getuser()}",
            org,
            plan,
            source=args.file.name,
            progress=progress,
        )
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
    django_setup()
    from django.contrib.auth import get_user_model

    from asamblea.core.errors import NotFoundOrForbidden
    from asamblea.registry.exporting import export_unit_csv

    org = _organisation(args.organisation)
    names = list(dict.fromkeys(args.officer))
    if len(names) != 2:
        raise UsageError(
            "exporting a register needs two different officers: --officer A --officer B"
        )
    users = [get_user_model().objects.filter(username=n, is_active=True).first() for n in names]
    try:
        if None in users:
            raise NotFoundOrForbidden("unit")
        text = export_unit_csv(users[0], org, args.unit, second_officer=users[1])
    except NotFoundOrForbidden as exc:
        raise UsageError(
            f"unit {args.unit!r} not found, or {' or '.join(names)} may not export its register"
        ) from exc
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{text.count(chr(10)) - 1} members written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
