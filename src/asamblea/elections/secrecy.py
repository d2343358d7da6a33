"""The pieces of ballot secrecy that are not models: codes, hashes, the rewrite at close, logs.

See docs/adr/0002-ballot-secrecy.md. Nothing here may log, print or raise with a credential,
a ballot's content or an idempotency key in the message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connection

# RFC 4648 base32 alphabet: no 0, 1, 8 or 9, so a hand-copied code has fewer look-alikes.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CREDENTIAL_CHARS = 20  # 100 bits
TRACKING_CHARS = 12  # 60 bits: unique within an election, unguessable enough to be no receipt
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B", "9": "G"})

# Tests of the linkage attack turn this off to build the deliberately linkable variant; nothing
# else may ever change it.
REWRITE_AT_CLOSE = True


def random_code(chars: int) -> str:
    value = secrets.randbits(5 * chars)
    out = []
    for _ in range(chars):
        out.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(out)


def new_credential() -> str:
    return random_code(CREDENTIAL_CHARS)


def new_tracking_code() -> str:
    return random_code(TRACKING_CHARS)


def format_code(code: str) -> str:
    """``ABCDEFGHIJKLMNOPQRST`` as ``ABCD-EFGH-IJKL-MNOP-QRST`` for printing."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str:
    """What a member typed, as the code: case, spaces, dashes and look-alike digits forgiven."""
    return re.sub(r"[^A-Z2-7]", "", (text or "").upper().translate(_LOOKALIKES))


def _credential_key() -> bytes:
    # A key of its own, derived from the server secret, so the HMAC is useless without the server.
    return hashlib.sha256(b"asamblea voting credential\x00" + settings.SECRET_KEY.encode()).digest()


def credential_hmac(code: str) -> str:
    return hmac.new(_credential_key(), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def key_hash(key: str) -> str:
    return hashlib.sha256(b"asamblea idempotency\x00" + key.encode()).hexdigest()


def ballot_digest(key: str, content: str) -> str:
    # Keyed by the submission key, so the digest of a small ballot space cannot be inverted.
    return hashlib.sha256(key.encode() + b"\x00" + content.encode()).hexdigest()


def shuffled(items: list[Any]) -> list[Any]:
    out = list(items)
    secrets.SystemRandom().shuffle(out)
    return out


SECRET_TABLES = ("elections_ballot", "elections_trackingcode", "elections_idempotencyrecord")


def compact_secret_tables() -> None:
    """Rewrite the files of the secret tables so no dead row or old physical order survives.

    Must run outside any transaction (VACUUM cannot run inside one). PostgreSQL: VACUUM FULL
    writes a new heap without dead tuples (which would keep the old ctid order and xmin).
    SQLite: VACUUM rebuilds the file without free pages; the WAL is then checkpointed and
    truncated so the pages written while the vote was open leave the disk too.
    """
    if connection.in_atomic_block:
        raise RuntimeError("compact_secret_tables() must run outside a transaction")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in SECRET_TABLES:
                cur.execute(f"VACUUM FULL {table}")  # noqa: S608 - fixed table names
        elif connection.vendor == "sqlite":
            cur.execute("VACUUM")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def enable_secure_delete() -> None:
    """SQLite: overwrite deleted content with zeros instead of leaving it in free pages."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA secure_delete=ON")


# Paths of the casting views (web and API): never logged, never in error reports.
CASTING_PATH = re.compile(r"/(?:api/)?elections/\d+/(?:vote|cast|ballot)")


class DropCastingRequests(logging.Filter):
    """A logging filter for ``django.server`` and ``django.request``: drops casting requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if isinstance(path, str) and CASTING_PATH.search(path):
            return False
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is dropped rather than risked
            return False
        return not CASTING_PATH.search(message)


class TokenBucket:
    """Per-client failure budget: slows guessing, never locks anyone out.

    Each failed attempt takes a token; tokens come back at ``refill_per_second``. With no token
    left the client must wait (``wait_seconds``) but is not blocked for longer than that, so a
    community's shared phone keeps working for the next member. Correct codes cost nothing.
    Kept in process memory: with several worker processes each has its own budget.
    """

    def __init__(self, capacity: int = 10, refill_per_second: float = 0.2) -> None:
        self.capacity = capacity
        self.refill = refill_per_second
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _level(self, client: str, at: float) -> float:
        tokens, since = self._state.get(client, (float(self.capacity), at))
        return min(float(self.capacity), tokens + (at - since) * self.refill)

    def wait_seconds(self, client: str) -> int:
        """0 when the client may try now, else how many seconds until it may."""
        with self._lock:
            level = self._level(client, time.monotonic())
            return 0 if level >= 1 else int((1 - level) / self.refill) + 1

    def spend(self, client: str) -> None:
        with self._lock:
            at = time.monotonic()
            self._state[client] = (max(0.0, self._level(client, at) - 1), at)
            if len(self._state) > 100_000:
                self._state.clear()

    def reset(self) -> None:
        with self._lock:
            self._state.clear()


GUESS_LIMIT = TokenBucket()
