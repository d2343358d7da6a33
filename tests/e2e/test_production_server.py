"""`asamblea serve --production` starts uWSGI, says `ready`, serves the API and the pages as a
TLS proxy would reach them, redirects plain HTTP to https, and stops on SIGTERM."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_production_mode_serves_and_stops(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
            "ASAMBLEA_VAR_DIR": str(tmp_path / "var"),
            "ASAMBLEA_SECRET_KEY": secrets.token_urlsafe(40),
        }
    )
    subprocess.run([str(BIN / "asamblea"), "migrate"], env=env, check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "asamblea"), "serve", "--production", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().decode().startswith("ready"), "the server did not start"
        status, headers, body = _get(f"http://127.0.0.1:{port}/api/organisations")
        assert status == 200, body[:200]
        assert b'"count": 0' in body
        status, headers, _body = _get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert headers.get("X-Frame-Options") == "DENY"
        # Without the proxy's header, production mode sends the client to https.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/organisations")
        reply = conn.getresponse()
        assert reply.status in (301, 302)
        assert reply.getheader("Location", "").startswith("https://")
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) is not None
