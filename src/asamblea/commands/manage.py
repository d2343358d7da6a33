"""Django's management commands, for operators: `asamblea migrate`, `asamblea manage ...`.

Operator verbs: trusted to whoever runs the server (no user credentials; the machine is the
credential), and audited with the operating-system user's name once the audit table exists.
"""

from __future__ import annotations

import argparse
import contextlib

from asamblea.commands import django_setup

HELP = "Run one of Django's management commands (e.g. `asamblea manage createsuperuser`)."
HELP_MIGRATE = "Create or update the database schema (SQLite at var/asamblea.sqlite3 unless DATABASE_URL is set)."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the Django command and its options")


def configure_migrate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs=argparse.REMAINDER, help="options passed to Django's migrate")


def run(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["asamblea", *args.args])
    _audit_operator("manage", command=" ".join(args.args[:1]))
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.management import call_command

    call_command("migrate", *args.args, verbosity=1, interactive=False)
    _audit_operator("migrate")
    return 0


def _audit_operator(action: str, **detail: str) -> None:
    from django.db import DatabaseError

    from asamblea.core.action import Operator
    from asamblea.core.audit import audit

    # Before the first migrate there is no audit table to write to.
    with contextlib.suppress(DatabaseError):
        audit(Operator.current(), f"operator.{action}", None, **detail)
