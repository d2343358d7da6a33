"""Start `asamblea serve --production` for a harness, and find its workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(x) for x in text)
    except OSError:
        pass
    return out


class Server:
    """The production server on 127.0.0.1:``port``, pinned to ``cpus`` when given."""

    def __init__(
        self,
        port: int,
        env: dict[str, str],
        *,
        workers: int = 3,
        cpus: str | None = "0",
        log: Path | None = None,
    ) -> None:
        self.port = port
        cmd = [
            str(BIN / "asamblea"),
            "serve",
            "--production",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        if cpus is not None:
            cmd = ["taskset", "-c", cpus, *cmd]
        self.log = open(log or os.devnull, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=self.log, cwd=str(ROOT)
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("ready"):
            self.stop()
            raise RuntimeError(f"the production server did not start (see {log})")

    def master(self) -> int | None:
        # taskset execs in place: the process started is `asamblea serve`, its one child is
        # the server's master, and the master's children are the workers.
        kids = _children(self.proc.pid)
        return kids[0] if kids else None

    def workers(self) -> list[int]:
        master = self.master()
        return _children(master) if master else []

    def kill_workers(self) -> int:
        """SIGKILL every worker (the master starts new ones); returns how many died."""
        killed = 0
        for pid in self.workers():
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        return killed

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                master = self.master()
                if master:
                    os.kill(master, signal.SIGKILL)
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def wait_workers(server: Server, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(server.workers()) < count:
        time.sleep(0.1)
