"""The ``asamblea`` command: operators' verbs, and offline counting and verification.

Each verb lives in ``asamblea/commands/<verb>.py``. ``count`` and ``verify`` import no Django.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from asamblea.commands import InputError, UsageError

# (verb, module). Order is the order of ``asamblea --help``.
COMMANDS: list[tuple[str, str]] = [
    ("demo", "asamblea.commands.demo"),
    ("serve", "asamblea.commands.serve"),
    ("migrate", "asamblea.commands.manage"),
    ("manage", "asamblea.commands.manage"),
    ("import-members", "asamblea.commands.members"),
    ("export-members", "asamblea.commands.members"),
    ("approval", "asamblea.commands.approval"),
    ("freeze-roll", "asamblea.commands.registry"),
    ("seats", "asamblea.commands.registry"),
    ("token", "asamblea.commands.token"),
    ("count", "asamblea.commands.count"),
    ("key", "asamblea.commands.record"),
    ("export-record", "asamblea.commands.record"),
    ("verify", "asamblea.commands.verify"),
    ("verify-ballot", "asamblea.commands.verify_ballot"),
    ("trustee", "asamblea.commands.trustee"),
    ("election", "asamblea.commands.election"),
    ("recall", "asamblea.commands.recall"),
    ("session", "asamblea.commands.session"),
    ("worker", "asamblea.commands.worker"),
    ("jobs", "asamblea.commands.worker"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asamblea",
        description=(
            "Asamblea: delegates elected from below and recallable at any moment. "
            "Run `asamblea VERB --help` for each verb."
        ),
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, module_name in COMMANDS:
        module = importlib.import_module(module_name)
        configure = getattr(module, "configure_" + verb.replace("-", "_"), None) or module.configure
        help_text = getattr(module, "HELP_" + verb.replace("-", "_").upper(), None) or module.HELP
        p = sub.add_parser(
            verb,
            help=help_text,
            description=help_text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        configure(p)
        runner = getattr(module, "run_" + verb.replace("-", "_"), None) or module.run
        p.set_defaults(_run=runner, _verb=verb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except UsageError as exc:
        print(f"asamblea {args._verb}: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `asamblea count ... | head`: the reader went away; stop quietly.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
