"""Django's management commands, for operators: `asamblea migrate`, `asamblea manage ...`."""

from __future__ import annotations

import argparse

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
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.management import call_command

    call_command("migrate", *args.args, verbosity=1, interactive=False)
    return 0
