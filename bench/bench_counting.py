"""Benchmark of counting at national scale: our fast path against pref_voting and votelib.

Profiles: 1,000,000 ranked ballots over 10 candidates, impartial culture and Mallows (phi 0.8),
each ranking truncated at a length drawn uniformly from 1 to 10, held in memory as one int8 array
(``asamblea.counting.fast.synth``). Methods: IRV, 3-seat Scottish STV, 3-seat Meek, Schulze.

Every measurement is a fresh process (``--child``): it builds the array and imports its library
outside the timed region, then times one region, the same for everyone: from the in-memory array
to the winners, grouping included. The figure is the median of ``--runs`` processes; peak memory is
the child's ``ru_maxrss`` (array and library included). Ratios are peer time / our time. Where a
library lacks a method, or runs out of ``--timeout``, the table says so. Nothing is asserted on
times: the figures are printed for people (docs/adr/0004-fast-counting.md).

    .venv/bin/python bench/bench_counting.py [--ballots 1000000] [--runs 3] [--timeout 300]
        [--impls us,pref_voting,votelib] [--methods irv,stv_scottish,meek,schulze]
        [--profiles impartial,mallows]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

METHODS = {
    # bench name -> (our method, seats, label)
    "irv": ("irv", 1, "IRV"),
    "stv_scottish": ("stv-scottish", 3, "Scottish STV, 3 seats"),
    "meek": ("stv-meek", 3, "Meek STV, 3 seats"),
    "schulze": ("schulze", 1, "Schulze"),
}
IMPLS = ("us", "pref_voting", "votelib")
PROFILE_SEED = {"impartial": 2026, "mallows": 1871}


def _counter(impl: str, method: str):  # type: ignore[no-untyped-def]
    """The callable ``(array, n_candidates, seats) -> winner indices``, or a reason string."""
    if impl == "us":
        # Every kernel module imported before the timed region, as the peers' libraries are.
        import asamblea.counting.fast.api
        import asamblea.counting.fast.gregory
        import asamblea.counting.fast.irv
        import asamblea.counting.fast.meek
        import asamblea.counting.fast.schulze  # noqa: F401
        from asamblea.counting.fast import ArrayProfile, count_fast

        ours = METHODS[method][0]

        def run(array, n_candidates, seats):  # type: ignore[no-untyped-def]
            names = [f"C{i}" for i in range(n_candidates)]
            result = count_fast(ours, ArrayProfile(names, array), seats=seats, seed=0)
            return [names.index(w) for w in result.winners]

        return run
    sys.path.insert(0, str(ROOT))
    if impl == "pref_voting":
        from bench.peers import pref_voting_peer as peer
    else:
        from bench.peers import votelib_peer as peer
    return peer.METHODS[method]


def child(impl: str, method: str, kind: str, ballots: int, candidates: int) -> int:
    import gc
    import resource

    from asamblea.counting.fast import synth

    array = synth.generate(kind, ballots, candidates, PROFILE_SEED[kind])
    counter = _counter(impl, method)
    if isinstance(counter, str):
        print(json.dumps({"na": counter}))
        return 0
    seats = METHODS[method][1]
    gc.collect()
    started = time.perf_counter()
    winners = counter(array, candidates, seats)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"seconds": seconds, "winners": sorted(int(w) for w in winners), "kb": peak_kb})
    )
    return 0


def _measure(args: argparse.Namespace, impl: str, method: str, kind: str) -> dict:  # type: ignore[type-arg]
    times: list[float] = []
    peak = 0
    winners = None
    runs = args.runs if impl == "us" or args.peer_runs is None else args.peer_runs
    for _ in range(runs):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", impl, method, kind]
        cmd += ["--ballots", str(args.ballots), "--candidates", str(args.candidates)]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return {"timeout": args.timeout, "runs": len(times)}
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            return {"error": last}
        out = json.loads(done.stdout.strip().splitlines()[-1])
        if "na" in out:
            return {"na": out["na"]}
        times.append(out["seconds"])
        peak = max(peak, out["kb"])
        winners = out["winners"]
    return {"median": statistics.median(times), "times": times, "kb": peak, "winners": winners}


def _cell(m: dict) -> str:  # type: ignore[type-arg]
    if "na" in m:
        return "n/a"
    if "timeout" in m:
        return f"> {m['timeout']:.0f} s"
    if "error" in m:
        return "error"
    return f"{m['median']:.3f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("IMPL", "METHOD", "PROFILE"))
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--peer-runs", type=int, help="processes per peer measurement (default: --runs)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per child process")
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--profiles", default=",".join(PROFILE_SEED))
    args = parser.parse_args(argv)
    if args.child:
        impl, method, kind = args.child
        return child(impl, method, kind, args.ballots, args.candidates)

    impls = args.impls.split(",")
    print(
        f"== counting {args.ballots:,} ranked ballots over {args.candidates} candidates "
        f"(truncated rankings); median of {args.runs} fresh processes"
        + (f" ({args.peer_runs} for peers)" if args.peer_runs else "")
        + "; timed: array -> winners, grouping included =="
    )
    notes: list[str] = []
    for kind in args.profiles.split(","):
        for method in args.methods.split(","):
            label = METHODS[method][2]
            results = {impl: _measure(args, impl, method, kind) for impl in impls}
            ours = results.get("us", {})
            print(f"-- {kind}, {label}")
            for impl in impls:
                m = results[impl]
                line = f"   {impl:<12} {_cell(m):>12}"
                if "median" in m:
                    line += f"  peak {m['kb'] / 1024:8.0f} MB  winners {m['winners']}"
                    if impl != "us" and "median" in ours:
                        line += f"  ratio {m['median'] / ours['median']:.1f}x"
                    if len(m["times"]) > 1:
                        line += "  runs " + ", ".join(f"{t:.3f}" for t in m["times"])
                elif "na" in m:
                    line += f"  ({m['na']})"
                elif "timeout" in m:
                    line += f"  (no run finished within {m['timeout']:.0f} s; ratio > "
                    line += f"{m['timeout'] / ours['median']:.0f}x)" if "median" in ours else "?)"
                elif "error" in m:
                    line += f"  ({m['error']})"
                print(line, flush=True)
                if (
                    impl != "us"
                    and "median" in m
                    and "median" in ours
                    and m["winners"] != ours["winners"]
                ):
                    notes.append(
                        f"{kind}, {label}: {impl} elects {m['winners']}, we elect "
                        f"{ours['winners']} (different rules: see bench/peers)"
                    )
    for note in notes:
        print("note: " + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
