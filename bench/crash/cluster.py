"""A throw-away PostgreSQL cluster owned by the postgres user, on a port of its own.

``initdb`` refuses to run as root, so every server command runs through ``runuser -u postgres``.
The cluster listens on 127.0.0.1 only and trusts local connections: it lives in a temporary
folder for the length of one run and holds nothing but generated test data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for version in ("17", "16", "15", "14"):
        candidate = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError(f"{name} not found: install PostgreSQL's server binaries")


def _as_postgres(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, text=True, capture_output=True, **kwargs)


class Cluster:
    """``initdb`` + ``pg_ctl`` on ``port``; ``settings`` become ``-c name=value`` at each start."""

    def __init__(self, port: int = 55432, settings: dict[str, str] | None = None) -> None:
        self.port = port
        self.settings = dict(settings or {})
        self.root = Path(tempfile.mkdtemp(prefix="asamblea-crash-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def url(self, dbname: str = "asamblea_crash") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def init(self) -> None:
        done = _as_postgres(
            [_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr}")

    def _options(self) -> str:
        settings = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "max_connections": "100",
            # Durability is what is under test: never let the cluster cheat on it.
            "fsync": "on",
            # After a crash the server first syncs its data folder; one syncfs() of the file
            # system is much quicker than an fsync() per file and just as safe.
            "recovery_init_sync_method": "syncfs",
            **self.settings,
        }
        return " ".join(f"-c {k}={v}" for k, v in settings.items())

    def start(self, timeout: float = 60.0) -> None:
        done = _as_postgres(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                self._options(),
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ]
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr}\n{self.tail_log()}")

    def crash(self) -> None:
        """Stop without a shutdown checkpoint: like a power cut for the server's processes."""
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])

    def stop(self) -> None:
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        done = _as_postgres(
            [
                _pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                dbname,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ]
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.psql("SELECT 1")
                return
            except RuntimeError:
                time.sleep(0.2)
        raise RuntimeError("the cluster did not come back")

    def tail_log(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def destroy(self) -> None:
        self.crash()
        time.sleep(0.5)
        shutil.rmtree(self.root, ignore_errors=True)
