"""`asamblea serve`: serve the web pages and the API, and say `ready` once the server answers."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HELP = (
    "Serve Asamblea on HOST:PORT and print `ready` once it answers. Development mode uses Django's "
    "server; --production runs uWSGI with several workers, static files through WhiteNoise, and "
    "expects PostgreSQL (DATABASE_URL), ASAMBLEA_SECRET_KEY and a TLS proxy sending "
    "X-Forwarded-Proto."
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8000")),
        help="port (default 8000 or $PORT)",
    )
    parser.add_argument(
        "--production", action="store_true", help="uWSGI with several workers, DEBUG off"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="uWSGI worker processes (default 2 x cores + 1)"
    )
    parser.add_argument(
        "--timeout", type=int, default=30, help="seconds before a stuck worker is restarted"
    )


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        # As the TLS proxy would: without it production mode answers with a redirect to https.
        req = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - our own loopback server
                if resp.status < 500:
                    return True
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
    if args.production:
        env["ASAMBLEA_PRODUCTION"] = "1"
        env["ASAMBLEA_DEBUG"] = "0"
        workers = args.workers or (2 * (os.cpu_count() or 1) + 1)
        # One database connection per worker, kept between requests; checked before reuse so that a
        # restarted database costs one failed request at most, not one per stale connection.
        env.setdefault("ASAMBLEA_CONN_MAX_AGE", "60")
        subprocess.run(
            [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"],
            env=env,
            check=True,
        )
        # The deploy checks with the database: among them, PostgreSQL logging statements that
        # could carry a ballot or a code (asamblea.core.logchecks). Warnings are printed, not fatal.
        subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "django", "check", "--deploy", "--database", "default"]
            + ["--fail-level", "CRITICAL"],
            env=env,
            check=False,
        )
        # uWSGI (docs/adr/0006-production-server.md): HTTP handled in C, where gunicorn's Python
        # parsing and closing cost a quarter of a voter's CPU.
        cmd = [
            os.path.join(os.path.dirname(sys.executable), "uwsgi"),
            "--http-socket",
            f"{args.host}:{args.port}",
            "--module",
            "asamblea.wsgi:application",
            # The master imports the application once (asamblea.wsgi warms it), forks the
            # workers, and starts a new one at once when one dies: a worker handles one request
            # at a time, so a crashed worker loses at most the request in flight, which the
            # client retries with its idempotency key.
            "--master",
            "--processes",
            str(workers),
            "--need-app",
            "--die-on-term",
            # A stuck request is ended after this many seconds.
            "--harakiri",
            str(args.timeout),
            "--buffer-size",
            "32768",
            # No request log: a line per request would time-stamp each cast ballot.
            "--disable-logging",
            "--ignore-sigpipe",
            "--ignore-write-errors",
            "--disable-write-exception",
        ]
    else:
        # DEBUG stays off unless ASAMBLEA_DEBUG=1 is set (make demo sets it): a server started
        # any other way never shows Django's debug pages (issue 16).
        cmd = [
            sys.executable,
            "-m",
            "django",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"{args.host}:{args.port}",
        ]
    proc = subprocess.Popen(cmd, env=env)  # noqa: S603 - fixed argument list

    # A supervisor stops us with SIGTERM: pass it on, so that no server outlives this command.
    def _forward(signum: int, _frame: object) -> None:
        proc.send_signal(signum)

    signal.signal(signal.SIGTERM, _forward)
    try:
        url = f"http://{args.host}:{args.port}/healthz"
        if not _wait_ready(url, proc):
            print("server did not start", file=sys.stderr)
            proc.terminate()
            return 1
        print(f"ready: http://{args.host}:{args.port}/", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 0
