"""`make bench`: run every bench/bench_*.py in turn and print what each reports.

`make bench BENCH="counting record"` (or `python bench/run_all.py counting record`) runs only
those. A full run takes about an hour, most of it the peers of bench_counting.py, plus
bench_national.py's million members (hours on a 2-core machine: run it alone, smaller, with
``make bench BENCH=national BENCH_ARGS="--members 20000"``). ``BENCH_ARGS`` is passed to every
benchmark run.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    only = set(sys.argv[1:])
    scripts = [
        s
        for s in sorted(here.glob("bench_*.py"))
        if not only or s.stem.removeprefix("bench_") in only
    ]
    if not scripts:
        print(f"no benchmark named {', '.join(sorted(only))} in bench/", file=sys.stderr)
        return 2
    extra = shlex.split(os.environ.get("BENCH_ARGS", ""))
    for script in scripts:
        print(f"== {script.name} ==", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script), *extra], check=False)
        print(
            f"== {script.name}: exit {result.returncode} in {time.perf_counter() - started:.1f} s =="
        )
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("all benchmarks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
