"""``asamblea verify``: check an exported record offline. Imports no Django, needs no database."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from asamblea.commands import UsageError

HELP = """Verify a public record exported to DIR (asamblea export-record) or served at URL.

Checks the checkpoints' signatures, reads every entry (canonical form, index, organisation, the
chain of tree heads, its format through its typed class), recomputes the Merkle tree from the
entries against every checkpoint and each --known-checkpoint (one you saved earlier), and
recounts every result it knows how to, checking every sealed ballot's proofs over --jobs
processes while the record streams in. Exits 0 when everything holds, 1 at the first mismatch (naming the entry's
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
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="processes checking the sealed ballots' proofs (default: every core)",
    )


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
    from asamblea.record.chunks import default_jobs

    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise UsageError("--jobs: at least 1")
    try:
        summary = verify_record(
            open_source(args.source),
            pinned=pinned or None,
            known=known,
            jobs=jobs,
            progress=_Progress(),
        )
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


class _Progress:
    """Checked sealed ballots on standard error, at most every 5 seconds (long runs only)."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.started = time.monotonic()
        self.last = self.started

    def __call__(self, done: int, seen: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        print(
            f"sealed ballots checked: {done:,} of {seen:,} read ({rate:,.0f}/s)",
            file=sys.stderr,
            flush=True,
        )
