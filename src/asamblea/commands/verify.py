"""``asamblea verify``: check an exported record offline. Imports no Django, needs no database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asamblea.commands import UsageError

HELP = """Verify a public record exported to DIR (asamblea export-record) or served at URL.

Checks the checkpoints' signatures, reads every entry (canonical form, index, organisation, the
chain of tree heads, its format through its typed class), recomputes the Merkle tree from the
entries against every checkpoint and each --known-checkpoint (one you saved earlier), and
recounts every result it knows how to. Exits 0 when everything holds, 1 at the first mismatch (naming the entry's
index and type). Pin the key with --key (a verifier key or a file of them); without it the key in
the export itself is used, with a warning."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="DIR|URL")
    parser.add_argument(
        "--key", action="append", default=[], metavar="KEY", help="verifier key, or a file"
    )
    parser.add_argument(
        "--known-checkpoint", action="append", default=[], metavar="FILE", dest="known"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    from asamblea.record.verify import (
        VerificationFailed,
        load_keys,
        open_source,
        summary_json,
        verify_record,
    )

    try:
        pinned = [k for text in args.key for k in load_keys(text)]
    except (OSError, VerificationFailed) as exc:
        raise UsageError(f"--key: {exc}") from exc
    known = []
    for name in args.known:
        try:
            known.append((name, Path(name).read_text(encoding="utf-8")))
        except OSError as exc:
            raise UsageError(f"--known-checkpoint {name}: {exc.strerror}") from exc
    if not args.source.startswith(("http://", "https://")) and not Path(args.source).is_dir():
        raise UsageError(f"{args.source} is not a directory or an http(s) URL")
    try:
        summary = verify_record(open_source(args.source), pinned=pinned or None, known=known)
    except VerificationFailed as exc:
        print(f"asamblea verify: FAILED: {exc}", file=sys.stderr)
        return 1
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(summary_json(summary))
    else:
        print("\n".join(summary.lines()))
        print("OK: the record verifies.")
    return 0
