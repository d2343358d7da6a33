"""The attacker's tools for the storage attack: a throwaway PostgreSQL cluster, the application
driven in its own process, and a byte-level search for the plaintext encodings of cast ballots.

What is searched for (never candidate keys alone: the candidate table holds those, by design):
the canonical plaintext JSON of each cast ballot as the unsealed cast wrote it, and each choice in
ballot context: ``"vote":"yes"``, ``"choice":"KEY"``, a key inside ``"approve":[...]`` or
``"ranking":[...]``, with any spacing, and the same as a form post (``choice=KEY``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PG_BIN = Path(os.environ.get("ASAMBLEA_PG_BIN", "/usr/lib/postgresql/15/bin"))
DRIVER = HERE / "storage_driver.py"

# Where a ballot's choice can start: the JSON keys of today's ballots, and their form fields.
ANCHORS = (
    b'"vote"', b'"choice"', b'"approve"', b'"ranking"', b"vote=", b"choice=", b"approve=", b"ranking="
)  # fmt: skip
WINDOW = 600


def _context_patterns(ballot: dict[str, Any]) -> list[bytes]:
    """Regular expressions (bytes) matching this ballot's choices in ballot context."""
    content = json.loads(ballot["plaintext"])
    out = []
    for name, value in content.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if v is None:
                continue
            text = re.escape(str(v).encode())
            key = re.escape(name.encode())
            # JSON: "name": "v" or "name": [..., "v", ...] within one list.
            out.append(b'"' + key + rb'"\s*:\s*(?:\[[^\]]{0,400}?)?"' + text + b'"')
            # A form post or query string: name=v
            out.append(key + rb"=" + text + rb"(?:$|[^A-Za-z0-9_-])")
    return out


@dataclass
class Needles:
    ballots: list[dict[str, Any]]
    literals: list[bytes] = field(default_factory=list)
    patterns: list[re.Pattern[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.literals = sorted({b["plaintext"].encode() for b in self.ballots})
        self.patterns = [
            re.compile(p, re.DOTALL)
            for p in sorted({p for b in self.ballots for p in _context_patterns(b)})
        ]

    def search(self, data: bytes) -> list[str]:
        """Every plaintext encoding found in ``data`` (a short description of each)."""
        found: set[str] = set()
        for anchor in ANCHORS:
            start = data.find(anchor)
            while start != -1:
                lo = max(0, start - 2)
                window = data[lo : start + WINDOW]
                for literal in self.literals:
                    if literal in data[max(0, start - 2) : start + len(literal) + 2]:
                        found.add(f"canonical {literal.decode(errors='replace')}")
                before = data[start - 1 : start] if start else b""
                for pattern in self.patterns:
                    if not pattern.pattern.startswith(b'"') and before.isalnum():
                        continue  # a form field's name must start at a word boundary
                    m = pattern.match(window, start - lo)
                    if m:
                        found.add(f"in context {m.group(0)[:80]!r}")
                start = data.find(anchor, start + 1)
        return sorted(found)


def scan_files(paths: list[Path], needles: Needles) -> dict[str, list[str]]:
    """For each file that holds a plaintext encoding, what was found in it."""
    hits = {}
    for path in paths:
        try:
            data = path.read_bytes()
        except (FileNotFoundError, PermissionError):
            continue
        found = needles.search(data)
        if found:
            hits[str(path)] = found
    return hits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_available() -> bool:
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_waldump").exists()


class Cluster:
    """``initdb`` into a temporary folder, as the postgres user when run as root.

    With ``template`` (the data directory of a stopped cluster that ``migrated_cluster`` made), a
    copy of it instead: a cluster of its own all the same, with the application's tables already
    made, so each test does not pay for ``initdb`` and the migrations again.
    """

    def __init__(self, settings: dict[str, str], template: Path | None = None) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="asamblea-attack-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = free_port()
        self.settings = settings
        self.template = template
        self.as_postgres = os.geteuid() == 0

    def _run(self, *cmd: str, check: bool = True, **kw: Any) -> subprocess.CompletedProcess[str]:
        full = list(cmd)
        if self.as_postgres:
            full = ["runuser", "-u", "postgres", "--", *full]
        return subprocess.run(full, check=check, capture_output=True, text=True, **kw)  # noqa: S603

    def start(self) -> None:
        if self.as_postgres:
            shutil.chown(self.base, "postgres", "postgres")
        if self.template is not None:
            self._run("cp", "-a", str(self.template), str(self.data))
        else:
            self._run(
                str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--no-sync",
            )  # fmt: skip
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base}'",
            "fsync": "off",
            **self.settings,
        }
        with (self.data / "postgresql.conf").open("a") as f:
            for name, value in conf.items():
                f.write(f"{name} = {value}\n")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start")
        if self.template is None:
            self.sql("CREATE DATABASE attack")

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/attack"

    def sql(self, statement: str, db: str = "postgres") -> str:
        out = self._run(
            str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", db, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement,
        )  # fmt: skip
        return out.stdout

    def wal_segments(self) -> list[Path]:
        return sorted(
            p for p in (self.data / "pg_wal").iterdir() if re.fullmatch(r"[0-9A-F]{24}", p.name)
        )

    def waldump(self) -> tuple[int, str]:
        """``pg_waldump`` over every WAL segment: the number of records it decoded, and its text."""
        texts = []
        records = 0
        for seg in self.wal_segments():
            out = self._run(
                str(PG_BIN / "pg_waldump"), "--path", str(seg.parent), seg.name, seg.name,
                check=False,
            )  # fmt: skip
            texts.append(out.stdout)
            records += sum(1 for line in out.stdout.splitlines() if line.startswith("rmgr:"))
        return records, "\n".join(texts)

    def dump(self) -> str:
        out = self._run(
            str(PG_BIN / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "--data-only", "attack",
        )  # fmt: skip
        return out.stdout

    def files(self) -> list[Path]:
        return sorted(p for p in self.data.rglob("*") if p.is_file())

    def stop(self) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop", check=False
        )
        shutil.rmtree(self.base, ignore_errors=True)


def _app_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The application's environment: this database, a var directory, no setting of the suite's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASAMBLEA_", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="asamblea.settings",
        ASAMBLEA_SECRET_KEY=secrets.token_urlsafe(40),
        ASAMBLEA_VAR_DIR=str(var_dir),
        ASAMBLEA_ALLOWED_HOSTS="testserver",
    )
    return env


def migrate(database_url: str, var_dir: Path) -> None:
    """The application's migrations, in a process of its own, as ``asamblea migrate`` runs them."""
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
        env=_app_env(database_url, var_dir), cwd=var_dir, check=True, capture_output=True,
    )  # fmt: skip


def migrated_cluster(var_dir: Path) -> Cluster:
    """A cluster with the database ``attack`` migrated, then stopped cleanly: the ``template`` of
    the tests' clusters (``cluster.data``). Remove it with ``stop()`` when the tests are done."""
    cluster = Cluster({})
    cluster.start()
    try:
        migrate(cluster.url(), var_dir)
    finally:
        cluster._run(str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), "-m", "fast", "-w", "stop")
    return cluster


def migrated_sqlite_file(path: Path) -> Path:
    """An SQLite file with the application's tables, to copy for each test (``copy_sqlite``)."""
    migrate(f"sqlite:///{path}", path.parent)
    return path


def copy_sqlite(template: Path, db: Path) -> None:
    """A database file of its own for one test, as ``migrated_sqlite_file`` left the template."""
    for suffix in ("", "-wal"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copyfile(source, db.with_name(db.name + suffix))


class Driver:
    """The application (storage_driver.py) in its own process, paused between phases."""

    def __init__(self, database_url: str, var_dir: Path, *, plaintext: bool = False) -> None:
        env = _app_env(database_url, var_dir)
        cmd = [sys.executable, str(DRIVER)] + (["--plaintext"] if plaintext else [])
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=var_dir,
        )  # fmt: skip
        self.skipped: list[dict[str, Any]] = []

    def until(self, phase: str, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"the application stopped before {phase}:\n{err[-4000:]}")
            message = json.loads(line)
            if message["phase"] == "skipped":
                self.skipped.append(message)
            elif message["phase"] == phase:
                return message
        raise AssertionError(f"no {phase} within {timeout} s")

    def go_on(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self) -> None:
        """End the application wherever it is waiting (a closed standard input ends each wait)."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
