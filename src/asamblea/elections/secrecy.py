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
import time
from typing import Any

from django.conf import settings
from django.db import connection

from asamblea.core.ratelimit import CACHE_ALIAS, Budget

logger = logging.getLogger(__name__)

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


def credential_key() -> bytes:
    # A key of its own, derived from the server secret, so the HMAC is useless without the server.
    return hashlib.sha256(b"asamblea voting credential\x00" + settings.SECRET_KEY.encode()).digest()


def credential_hmac(code: str) -> str:
    return hmac.new(credential_key(), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def key_hash(key: str) -> str:
    return hashlib.sha256(b"asamblea idempotency\x00" + key.encode()).hexdigest()


def ballot_digest(key: str, content: str) -> str:
    # Keyed by the submission key, so the digest of a small ballot space cannot be inverted.
    return hashlib.sha256(key.encode() + b"\x00" + content.encode()).hexdigest()


def shuffled(items: list[Any]) -> list[Any]:
    out = list(items)
    secrets.SystemRandom().shuffle(out)
    return out


# SQLite's checkpoint after close: attempts, and the pause between them (seconds). Each attempt
# also waits up to the connection's busy timeout for the readers to let go.
CHECKPOINT_ATTEMPTS = 3
CHECKPOINT_PAUSE = 0.5


class CheckpointFailed(RuntimeError):
    """SQLite's WAL could not be truncated after a close: the pages written while the vote was
    open (who voted, in what order) are still on disk in the ``-wal`` file."""


def compact_secret_tables() -> None:
    """After a close's commit: leave no dead row or old physical order of the secret tables.

    Must run outside any transaction. PostgreSQL: nothing is left to do once the secret tables
    are partitioned by vote (migration 0005): the close's rewrite (``storage.rewrite_secret_rows``)
    truncated the vote's own partitions, whose old files were unlinked at its commit; no
    ``VACUUM FULL`` of any shared table runs, so no other vote waits. SQLite: VACUUM rebuilds
    the file without free pages; the WAL is then checkpointed and truncated so the pages written
    while the vote was open leave the disk too (:func:`truncate_sqlite_wal`, which raises
    :class:`CheckpointFailed` when it cannot).
    """
    if connection.in_atomic_block:
        raise RuntimeError("compact_secret_tables() must run outside a transaction")
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("VACUUM")
            truncate_sqlite_wal(cur)


def truncate_sqlite_wal(
    cur: Any, attempts: int | None = None, pause: float | None = None
) -> tuple[int, int, int]:
    """``PRAGMA wal_checkpoint(TRUNCATE)`` until it reports success, else :class:`CheckpointFailed`.

    A reader that holds an old snapshot (a backup job, a monitoring query, a long page load)
    keeps the checkpoint from finishing: SQLite then answers busy and leaves the WAL as it was,
    and that WAL holds the pre-close pages. The result row is checked, never ignored: ``busy``
    must be 0 and the WAL left empty (``-1`` or ``0`` frames: the file was truncated).
    """
    attempts = CHECKPOINT_ATTEMPTS if attempts is None else attempts
    pause = CHECKPOINT_PAUSE if pause is None else pause
    row: tuple[int, int, int] = (1, -1, -1)
    for attempt in range(max(attempts, 1)):
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fetched = cur.fetchone()
        row = (int(fetched[0]), int(fetched[1]), int(fetched[2]))
        if row[0] == 0 and row[1] <= 0:
            return row
        if attempt + 1 < attempts:
            time.sleep(pause)
    logger.error(
        "SQLite WAL not truncated after a close (busy=%s, frames=%s): a reader holds it; the "
        "pages written during the vote are still in the -wal file (docs/operations.md)",
        row[0],
        row[1],
    )
    raise CheckpointFailed(
        f"the SQLite write-ahead log could not be truncated after {attempts} attempts (busy="
        f"{row[0]}, {row[1]} frames left): another connection holds a read transaction; the pages "
        "written while the vote was open are still on disk. Stop the reader (backup, monitoring) "
        "and run `PRAGMA wal_checkpoint(TRUNCATE)` until it answers 0|0|0 (docs/operations.md)"
    )


def enable_secure_delete() -> None:
    """SQLite: overwrite deleted content with zeros instead of leaving it in free pages."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA secure_delete=ON")


# --- fixed-length cast requests -----------------------------------------------------------------
# A network observer sees each request's length through TLS. The browser's sealed ballot has a
# fixed length by construction; without JavaScript the review form's options are submitted as
# values of one width (``|ljust:OPTION_WIDTH`` in the template, stripped by the view), and the cast
# form carries, besides the ballot, a hidden PAD_FIELD that brings the encoded ballot up to the
# widest ballot the election allows. Approval's review form cannot hide how many boxes were ticked
# without JavaScript (docs/operations.md).

PAD_FIELD = "pad"
OPTION_WIDTH = 7  # the longest fixed option: "abstain" and "against"


def form_length(value: str) -> int:
    """Bytes of ``value`` in an application/x-www-form-urlencoded body, as browsers encode it."""
    from urllib.parse import quote_plus

    return len(quote_plus(value, safe="*"))


def widest_ballot(method: str, keys: list[str], rules: dict[str, Any]) -> int:
    """The encoded length of the widest canonical ballot the election allows."""
    from asamblea.rules import ballots as counting
    from asamblea.rules.divisions import INSTRUCTION_OPTIONS

    kind = counting.ballot_kind(method)
    longest = sorted(keys, key=len, reverse=True)
    if kind == "yesno":
        options: list[dict[str, Any]] = [{"vote": v} for v in ("yes", "no", "abstain")]
    elif kind == "instruction":
        options = [{"vote": v} for v in INSTRUCTION_OPTIONS]
    elif kind == "choice":
        options = [{"choice": None}] + [{"choice": k} for k in longest[:1]]
    elif kind == "approval":
        limit = int(rules.get("max_choices") or len(keys))
        options = [{"approve": longest[:limit]}]
    else:
        limit = int(rules.get("max_rankings") or len(keys))
        options = [{"ranking": longest[:limit]}]
    return max(form_length(counting.canonical_ballot(method, o, keys, rules)) for o in options)


def cast_padding(content: str, widest: int) -> str:
    """What PAD_FIELD carries so that ``ballot`` and ``pad`` together always weigh the same."""
    return "x" * max(widest - form_length(content), 0)


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


# Wrong voting codes per election and client address (core.ratelimit.client_address) per
# minute, counted in the cache shared by every worker. Only wrong codes are counted and only
# wrong codes are slowed: a right code is checked first and always accepted, so neither a guesser
# nor a whole carrier-grade NAT of mistyping voters can keep anyone from voting. Codes carry
# 100 bits; this budget is against noise and enumeration, not the defence.
GUESS_BUDGET = Budget("voting-code", limit=10, window=60)


def spend_wrong_code(election_id: int, address: str) -> int:
    """Count a wrong code; 0 while within the budget, else seconds to wait (one round trip)."""
    return GUESS_BUDGET.spend(f"{election_id}:{address}")


class _GuessLimit:
    """What tests used to reset: the guessing budgets now live in the shared cache."""

    def reset(self) -> None:
        from django.core.cache import caches

        caches[CACHE_ALIAS].clear()


GUESS_LIMIT = _GuessLimit()
