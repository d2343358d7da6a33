"""`asamblea demo`: load the demo federation (idempotent)."""

from __future__ import annotations

import argparse
import sys
import time

from asamblea.commands import django_setup

HELP = """\
Load the demo federation of the southern Peru scenario (December 2022): about 50 base units
(mines, schools, hospitals, transport, markets, peasant communities and patrols, neighbourhoods,
universities) in seven southern departments and Lima, some 37,000 invented members, a regional
assembly per department, student federations, the southern joint strike committee and the
national assembly, with rolls frozen, seats apportioned and mandates filled; then the demo
elections and assemblies. Officer logins (password and TOTP secret) and demo sign-in addresses
go to var/demo-access.txt. Run again, it finds the demo and loads nothing."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.assemblies import demo as assemblies_demo
    from asamblea.elections import demo as elections_demo
    from asamblea.registry import demo

    started = time.monotonic()

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"demo: {message} ({time.monotonic() - started:.1f} s)", file=sys.stderr)

    from asamblea.core.action import Operator
    from asamblea.core.audit import audit

    # An operator verb: trusted to whoever runs the server, audited with the OS user's name.
    org, loaded = demo.load(progress=progress)
    if loaded:
        audit(Operator.current(), "demo.load", org)
    # Their loaders are idempotent too; on a second run they load nothing either.
    elections_demo.load(org, progress=progress)
    assemblies_demo.load(org, progress=progress)
    if loaded:
        print(f"demo loaded: {org.name} ({org.slug}); access in {demo.access_file()}")
    else:
        print(f"demo already loaded: {org.slug}; nothing to do")
    return 0
