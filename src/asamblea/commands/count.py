"""``asamblea count BALLOTS [--rules RULES.json] [--method M] [--seats N] [--seed S] [--json]``

Counts a ballot file offline, without Django: JSON lines (``.jsonl``), a CSV of rankings
(``.csv``) or BLT (``.blt``, which carries its number of seats and needs ``--method``). With
``--rules`` (an RCTab contest configuration as in ``tests/conformance/rctab/*/rules.json``) the
method and every option come from the rule file. With ``--json`` stdout holds exactly one JSON
object; progress always goes to stderr. Exit status: 0 counted, 1 bad input (``FILE:LINE:
message``), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from asamblea.commands import InputError, UsageError

HELP = "count a ballot file (JSON lines, CSV or BLT) and explain the count round by round"

METHOD_NAMES = ("plurality", "approval", "irv", "stv-scottish", "stv-wigm", "stv-meek", "schulze")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ballots", metavar="BALLOTS", help="ballot file: .jsonl, .csv or .blt")
    parser.add_argument(
        "--rules", metavar="RULES.json", help="RCTab rule file; sets the method and its options"
    )
    parser.add_argument(
        "--method", choices=METHOD_NAMES, help="counting method (default irv; BLT files need it)"
    )
    parser.add_argument("--seats", type=int, help="seats to fill (default 1, or the BLT's)")
    parser.add_argument(
        "--seed", help="seed of the lot that breaks ties (published before the count)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the round table"
    )


def _progress(message: str) -> None:
    print(f"asamblea count: {message}", file=sys.stderr)


# Files at least this large are read by the fast path's streaming reader when it can count them:
# one grouped array in memory, never a second copy of the file's ballots.
STREAM_BYTES = 4 * 1024 * 1024


def _read_streaming(path: Path, fmt: str, method: str, seats: int | None, rules: Any) -> Any:
    """The ballots as a grouped array when the file is large and the fast path counts it."""
    if fmt not in ("jsonl", "blt") or path.stat().st_size < STREAM_BYTES:
        return None
    from asamblea.counting import fast

    options = rules.options if rules is not None else None
    if fast.supports(method, seats=seats or 1, rules=options) is not None:
        return None
    from asamblea.counting.fast.stream import read_array

    array = read_array(
        path, fmt, candidates=rules.candidates if rules is not None else None, progress=_progress
    )
    if array is not None and rules is not None:
        array.title = rules.title
    return array


def _profile_of(array: Any) -> Any:
    from asamblea.counting.ballots import Profile, RankedBallot

    names = array.candidates
    counts = array.counts.tolist() if array.counts is not None else [1] * len(array.rankings)
    ballots = [
        RankedBallot(tuple((names[c],) for c in row if c >= 0), count)
        for row, count in zip(array.rankings.tolist(), counts, strict=True)
    ]
    return Profile(candidates=list(names), ballots=ballots, title=array.title)


def _read_profile(path: Path, fmt: str, rules: Any) -> Any:
    """The file's ballots by the exact reader, grouped (BLT: one entry per line)."""
    from asamblea.counting import io
    from asamblea.counting.irv import UNDECLARED_WRITE_IN

    try:
        if fmt == "blt":
            from asamblea.counting.blt import read_blt

            profile = read_blt(path)
        else:
            reader = io.read_jsonl if fmt == "jsonl" else io.read_csv
            if rules is not None:
                profile = reader(path, rules.candidates, extra_names=[UNDECLARED_WRITE_IN])
                profile.title = rules.title
            else:
                profile = reader(path)
            # One row per ballot (a CSV of a large vote) counts as fast as grouped lines.
            profile = profile.grouped()
    except ValueError as exc:  # both BallotFileError classes print as FILE:LINE: message
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{path}:0: {exc.strerror}") from None
    return profile


def _seed(raw: str | None) -> int | str | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return raw


def run(args: argparse.Namespace) -> int:
    from asamblea.counting import io
    from asamblea.counting.irv import CountError
    from asamblea.counting.tiebreak import TieNeedsDecision

    path = Path(args.ballots)
    if args.seats is not None and args.seats < 1:
        raise UsageError("--seats must be at least 1")
    if args.rules and (args.method or args.seats is not None):
        raise UsageError("--rules sets the method and the seats; do not give --method or --seats")
    try:
        fmt = io.ballot_format(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if fmt == "blt" and not args.method:
        raise UsageError("a BLT file needs --method (one of " + ", ".join(METHOD_NAMES) + ")")
    if fmt == "blt" and args.rules:
        raise UsageError("--rules reads JSON-lines or CSV ballots, not BLT")
    if not path.is_file():
        raise InputError(f"{path}:0: no such file")

    rules = None
    if args.rules:
        from asamblea.counting.rctab import RulesError, load_rules

        try:
            rules = load_rules(args.rules)
        except OSError as exc:
            raise InputError(f"{args.rules}:0: {exc.strerror}") from None
        except (RulesError, KeyError, TypeError) as exc:
            raise InputError(f"{args.rules}:1: {exc}") from None

    _progress(f"reading {path}")
    method = args.method or "irv"
    seed = _seed(args.seed)
    try:
        array = _read_streaming(path, fmt, method, args.seats, rules)
    except OSError as exc:
        raise InputError(f"{path}:0: {exc.strerror}") from None
    if array is not None:
        from asamblea.counting import fast

        if array.seats is not None or len(array.rankings) >= fast.FEW_DISTINCT:
            return _count_array(args, array, method, seed, rules)
        # JSON lines of few distinct rankings: the exact path counts them faster
        # (docs/adr/0011-reading-ballot-files.md), from the profile the exact reader would give.
        profile = _profile_of(array)
    else:
        profile = _read_profile(path, fmt, rules)
    total = profile.total
    _progress(
        f"{len(profile.ballots)} ballot lines, {total} ballots, {len(profile.candidates)} candidates"
    )
    _check_papers(path, profile, rules)

    try:
        if rules is not None:
            from asamblea.counting.methods import tabulate_rctab

            result = tabulate_rctab(profile, _rctab_options(rules, seed))
        else:
            from asamblea.counting.methods import METHODS

            seats = args.seats or profile.seats or 1
            _progress(f"counting by {method}, {seats} seat(s)")
            result = METHODS[method](profile, seats=seats, seed=seed)
    except (CountError, TieNeedsDecision) as exc:
        raise InputError(f"{path}:0: the count cannot finish: {exc}") from None
    except ValueError as exc:
        raise InputError(f"{path}:0: {exc}") from None

    _print_result(args, result, len(profile.ballots), total)
    return 0


NO_BALLOTS = "no ballots: the file holds no ballot line"
NO_VALID_PAPER = (
    "no valid paper: every ballot has weight 0, is blank or marks only withdrawn candidates"
)


def _check_papers(path: Path, profile: Any, rules: Any) -> None:
    """Refuse a file of no ballots, and a contest nobody can win on votes: every candidate
    would have zero votes and the winner would be drawn by lot. Under ``--rules`` the count
    follows RCTab, which tabulates such a contest (conformance case ``nist_xml_cdf_2``: one
    blank ballot), so only the empty file is refused there
    (docs/adr/0011-reading-ballot-files.md)."""
    from asamblea.counting.methods import has_valid_paper

    if not profile.ballots:
        raise InputError(f"{path}:1: {NO_BALLOTS}")
    if rules is None and not has_valid_paper(profile):
        raise InputError(f"{path}:0: {NO_VALID_PAPER}")


def _check_array_papers(path: str, array: Any, rules: Any) -> None:
    """``_check_papers`` for a streamed array (never empty, its counts all positive)."""
    import numpy as np

    if rules is not None:
        return
    index = [i for i, name in enumerate(array.candidates) if name in set(array.withdrawn)]
    marks = array.rankings >= 0
    if index:
        marks &= ~np.isin(array.rankings, index)
    if not marks.any():
        raise InputError(f"{path}:0: {NO_VALID_PAPER}")


def _rctab_options(rules: Any, seed: Any) -> Any:
    """The contest's RCTab options, with the command line's seed if one was given."""
    options = rules.options
    if seed is not None:
        options.seed = seed
    _progress(f"counting by RCTab rules ({options.mode}, {options.seats} seats)")
    return options


def _count_array(args: argparse.Namespace, array: Any, method: str, seed: Any, rules: Any) -> int:
    """Count a streamed, grouped array on the fast path (same result as the exact path)."""
    from asamblea.counting import fast
    from asamblea.counting.irv import CountError
    from asamblea.counting.tiebreak import TieNeedsDecision

    total = array.total
    lines = array.lines if array.seats is not None else len(array.rankings)
    _progress(f"{lines} ballot lines, {total} ballots, {len(array.candidates)} candidates")
    _check_array_papers(args.ballots, array, rules)
    try:
        if rules is not None:
            result = fast.count_fast("irv", array, seed=seed, rules=_rctab_options(rules, seed))
        else:
            seats = args.seats or array.seats or 1
            _progress(f"counting by {method}, {seats} seat(s)")
            result = fast.count_fast(method, array, seats=seats, seed=seed)
    except (CountError, TieNeedsDecision) as exc:
        raise InputError(f"{args.ballots}:0: the count cannot finish: {exc}") from None
    except ValueError as exc:
        raise InputError(f"{args.ballots}:0: {exc}") from None
    _print_result(args, result, lines, total)
    return 0


def _print_result(args: argparse.Namespace, result: Any, lines: int, total: Any) -> None:
    _progress("winners: " + (", ".join(result.winners) or "(none)"))
    if args.json:
        out: dict[str, Any] = result.to_json()
        out["ballots"] = {"lines": lines, "total": str(total)}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    else:
        if result.passes:
            for number, one in enumerate(result.passes, start=1):
                print(f"pass {number}")
                print(one.table())
                print()
            print("winners: " + ", ".join(result.winners))
        else:
            print(result.table())
