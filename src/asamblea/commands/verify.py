"""Placeholder: this verb is being built (see the README's list of what is not built yet)."""

from __future__ import annotations

import argparse

HELP = "(not built yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    raise SystemExit("not built yet")
