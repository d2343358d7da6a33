"""Budgets against guessing, shared by every worker process: counters in Django's cache.

A budget counts failures in fixed windows (``hit``): the key names what is counted (an election
and a client address, an officer account, an address asking for sign-in codes) and the window
number, and expires with the window, so nothing needs cleaning up. Increments are atomic on both
stores this project runs: Redis (``INCR`` with ``EXPIRE ... NX`` in one round trip) in production
when ``ASAMBLEA_REDIS_URL`` is set, and the database cache table of the embedded default
(``AtomicDatabaseCache``: read and write under a row lock in one transaction). A lost increment
would let a guesser past the budget, so ``tests/integration/abuse`` races threads on one key.

A budget only ever slows the wrong answers down: callers check a credential first and consult a
budget only after it failed, so a right credential is never refused because of someone's guessing.

``client_address`` is the address a budget is keyed on: ``REMOTE_ADDR``, or, when the request
comes from one of ``ASAMBLEA_TRUSTED_PROXIES``, the last address in ``X-Forwarded-For`` that is
not itself a trusted proxy (a client may prepend anything; only what our proxy appended counts).
"""

from __future__ import annotations

import base64
import math
import pickle
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone

CACHE_ALIAS = "default"


def client_address(request: Any) -> str:
    meta = request.META
    remote = str(meta.get("REMOTE_ADDR") or "")
    trusted = set(getattr(settings, "ASAMBLEA_TRUSTED_PROXIES", ()))
    if remote and remote in trusted:
        hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        for hop in reversed([h for h in hops if h]):
            if hop not in trusted:
                return hop
    return remote or "unknown"


class AtomicDatabaseCache(DatabaseCache):
    """Django's database cache with an ``incr`` that loses no increment under concurrency.

    Django's own ``incr`` is a get followed by a set; two workers can both read 4 and both write
    5. Here the row is read ``FOR UPDATE`` (PostgreSQL) or inside SQLite's immediate transaction
    (settings: writers take the lock at BEGIN), so increments serialise on the row.
    """

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)  # type: ignore[attr-defined]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {table} WHERE cache_key = %s AND expires > %s{lock}",  # noqa: S608 - the cache table's own name
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301 - our own table
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET value = %s WHERE cache_key = %s",  # noqa: S608 - as above
                [encoded, key],
            )
        return int(value)


def _redis_client(cache: Any, key: str) -> Any:
    # Django's RedisCache keeps its redis-py client behind ``_cache``.
    inner: Any = getattr(cache, "_cache", None)
    return inner.get_client(key, write=True)


def incr(name: str, ttl: int) -> int:
    """Add one to the counter ``name`` (created at 1, expiring ``ttl`` seconds after creation)."""
    cache = caches[CACHE_ALIAS]
    if type(cache).__module__ == "django.core.cache.backends.redis":
        key = cache.make_and_validate_key(name)
        client = _redis_client(cache, key)
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, ttl, nx=True)
        count, _ = pipe.execute()
        return int(count)
    try:
        return int(cache.incr(name))
    except ValueError:
        if cache.add(name, 1, timeout=ttl):
            return 1
        # Someone else created it between our two calls.
        return int(cache.incr(name))


def get_many(names: list[str]) -> dict[str, Any]:
    return caches[CACHE_ALIAS].get_many(names)


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` failures per ``window`` seconds for one key."""

    name: str
    limit: int
    window: int

    def _slot(self, key: str, at: float) -> tuple[str, int]:
        number = int(at // self.window)
        ends_in = math.ceil((number + 1) * self.window - at)
        return f"budget:{self.name}:{key}:{number}", max(1, ends_in)

    def spend(self, key: str) -> int:
        """Count one failure; 0 while within the budget, else seconds until the window ends.

        One cache round trip.
        """
        name, ends_in = self._slot(key, time.time())
        count = incr(name, ttl=self.window + 1)
        return 0 if count <= self.limit else ends_in

    def wait_seconds(self, key: str) -> int:
        """0 when the budget still has room, else the seconds until it has (one round trip)."""
        name, ends_in = self._slot(key, time.time())
        count = caches[CACHE_ALIAS].get(name) or 0
        return 0 if int(count) < self.limit else ends_in

    def clear(self, key: str) -> None:
        name, _ = self._slot(key, time.time())
        caches[CACHE_ALIAS].delete(name)


class TooManyRequests(Exception):
    """A budget is spent: the API answers 429 with ``Retry-After: retry_after``."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = max(1, int(retry_after))


@dataclass(frozen=True)
class Backoff:
    """Failures on any of several keys (an account, an address) with a growing wait.

    The first ``free`` failures in ``window`` seconds cost nothing; each further one makes the
    key wait 2, 4, 8 ... seconds, at most ``longest``. Callers exempt what an attacker cannot
    have (an officer's known browser), so no one can lock an officer out by failing for them.
    """

    name: str
    free: int = 5
    window: int = 3600
    longest: int = 900

    def _lock(self, key: str) -> str:
        return f"backoff:{self.name}:lock:{key}"

    def wait_seconds(self, keys: list[str]) -> int:
        """The longest wait any of ``keys`` is under, 0 if none (one round trip)."""
        until = get_many([self._lock(k) for k in keys]).values()
        at = time.time()
        return max([math.ceil(float(u) - at) for u in until if u] + [0])

    def fail(self, keys: list[str]) -> None:
        cache = caches[CACHE_ALIAS]
        at = time.time()
        for key in keys:
            count = incr(f"backoff:{self.name}:count:{key}", ttl=self.window)
            if count > self.free:
                delay = min(2 ** min(count - self.free, 20), self.longest)
                cache.set(self._lock(key), at + delay, timeout=delay)
