"""A small HTTP client for the harnesses: loopback only, one connection per request.

The production server's workers close the connection after each response, so keeping connections alive
would buy nothing. Every request carries ``X-Forwarded-Proto: https``, as the TLS proxy in front
of a production server would. Written on a plain socket (the request as bytes, the reply read to
the server's close): ``http.client`` parsed headers with the e-mail parser and cost the load
generator more CPU per request than some of the requests cost the server.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any

HEADERS = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", "Accept": "application/json"}


@dataclass
class Reply:
    status: int  # 0 when the connection failed (refused, reset, timed out)
    body: Any
    seconds: float


def request(
    port: int,
    method: str,
    path: str,
    payload: Any = None,
    *,
    timeout: float = 30.0,
    token: str | None = None,
) -> Reply:
    started = time.perf_counter()
    headers = dict(HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = b""
    if payload is not None:
        data = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    headers["Content-Length"] = str(len(data))
    headers["Connection"] = "close"
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    chunks = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(head.encode() + b"\r\n" + data)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        return Reply(0, repr(exc), time.perf_counter() - started)
    seconds = time.perf_counter() - started
    raw = b"".join(chunks)
    top, _sep, content = raw.partition(b"\r\n\r\n")
    try:
        status = int(top.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return Reply(0, f"not an HTTP reply: {raw[:80]!r}", seconds)
    try:
        body: Any = json.loads(content) if content else None
    except ValueError:
        body = content[:200]
    return Reply(status, body, seconds)


def new_key() -> str:
    """A client's submission key: random, chosen once per ballot and reused for every retry."""
    return secrets.token_urlsafe(24)


def cast(port: int, election_id: int, code: str, ballot: dict[str, Any], key: str) -> Reply:
    return request(
        port,
        "POST",
        f"/api/elections/{election_id}/vote",
        {"code": code, "ballot": ballot, "key": key},
    )


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]
