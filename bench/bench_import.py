"""Benchmark: `asamblea import-members` of a valid 10,000-row CSV on a fresh SQLite database.

Prints the median of three runs (each on a fresh copy of a migrated database, as a subprocess,
Python start-up included), then checks that a 1,000-row file with one bad row is rejected with
its line and field and that nothing is written. The acceptance target is well under 10 s.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = 10_000
RUNS = 3
UNITS = 20
TARGET_SECONDS = 10.0
SLUG = "bench"
HEADER = "unit_code,member_ref,display_name,phone,email,joined_on\n"

SETUP = """
from asamblea.commands import django_setup
django_setup()
from asamblea.registry import actions
org = actions.do_create_organisation("bench", slug="bench", name="Bench federation")
for i in range({units}):
    actions.do_create_body("bench", org, code=f"unit-{{i:02d}}", name=f"Unit {{i}}", kind="workplace")
"""


def asamblea() -> list[str]:
    return [sys.executable, "-m", "asamblea"]


def env_for(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["ASAMBLEA_VAR_DIR"] = str(var_dir)
    return env


def write_csv(path: Path, rows: int, bad_line: int | None = None) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(rows):
            joined = f"2019-{1 + i % 12:02d}-{1 + i % 28:02d}"
            if bad_line is not None and i + 2 == bad_line:
                joined = "2019-02-30"
            out.write(
                f"unit-{i % UNITS:02d},B{i:06d},Miembro {i} Quispe Mamani,"
                f"+51 9{i:08d},m{i}@bench.example,{joined}\n"
            )


def member_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM registry_member").fetchone()[0]


def copy_db(src: Path, dst_dir: Path) -> None:
    dst_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        f = src.parent / (src.name + suffix)
        if f.exists():
            shutil.copy(f, dst_dir / f.name)
    shutil.copy(src.parent / "secret_key", dst_dir / "secret_key")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="asamblea-bench-import-") as tmp:
        root = Path(tmp)
        template = root / "template"
        env = env_for(template)
        subprocess.run([*asamblea(), "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", SETUP.format(units=UNITS)], env=env, check=True)
        template_db = template / "asamblea.sqlite3"
        good = root / "members-10000.csv"
        write_csv(good, ROWS)

        times = []
        cpu = []
        for run in range(RUNS):
            var = root / f"run{run}"
            copy_db(template_db, var)
            started = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            result = subprocess.run(
                [*asamblea(), "import-members", str(good), "--organisation", SLUG, "--quiet"],
                env=env_for(var),
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
            assert member_count(var / "asamblea.sqlite3") == ROWS
            times.append(elapsed)
        median = statistics.median(times)
        print(
            f"bench_import: {ROWS} rows imported in {median:.2f} s (median of {RUNS}: "
            f"{', '.join(f'{t:.2f}' for t in times)}; target < {TARGET_SECONDS:.0f} s) "
            f"{'OK' if median < TARGET_SECONDS else 'TOO SLOW'}"
        )
        # CPU time does not grow when other work shares the machine; wall time does.
        print(
            f"bench_import: CPU time of the import process {statistics.median(cpu):.2f} s "
            f"(median); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )

        var = root / "bad"
        copy_db(template_db, var)
        bad = root / "members-1000-bad.csv"
        write_csv(bad, 1000, bad_line=637)
        result = subprocess.run(
            [*asamblea(), "import-members", str(bad), "--organisation", SLUG, "--quiet"],
            env=env_for(var),
            capture_output=True,
            text=True,
            check=False,
        )
        first_error = result.stderr.splitlines()[0] if result.stderr else "(no message)"
        written = member_count(var / "asamblea.sqlite3")
        print(
            f"bench_import: 1,000 rows with one bad row -> exit {result.returncode}: {first_error}"
        )
        assert result.returncode == 1, result.returncode
        assert f"{bad}:637: joined_on:" in first_error, first_error
        assert written == 0, written
        print("bench_import: bad file rejected whole, 0 members written")
        return 0 if median < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
