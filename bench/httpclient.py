"""A small HTTP client for the harnesses: loopback only, one connection per request.

gunicorn's sync workers close the connection after each response, so keeping connections alive
would buy nothing. Every request carries ``X-Forwarded-Proto: https``, as the TLS proxy in front
of a production server would.
"""

from __future__ import annotations

import http.client
import json
import secrets
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
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = dict(HEADERS)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        status = resp.status
    except (OSError, http.client.HTTPException) as exc:
        return Reply(0, repr(exc), time.perf_counter() - started)
    finally:
        # Closed before the body is parsed: the server's worker waits for this close.
        conn.close()
    seconds = time.perf_counter() - started
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw[:200]
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
