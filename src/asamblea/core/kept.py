"""Values a worker process keeps for a few seconds: the hot documents of a vote.

Each process keeps its own: after a change, this process forgets at once (the caller says so),
other workers serve the old value for at most ``seconds``. Use it only where that is harmless
and the database still decides (casting re-checks the election's state in its own statement).
"""

from __future__ import annotations

import time
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._values: dict[object, tuple[float, T]] = {}

    def get(self, key: object) -> T | None:
        kept = self._values.get(key)
        if kept is None:
            return None
        if kept[0] <= time.monotonic():
            self._values.pop(key, None)
            return None
        return kept[1]

    def put(self, key: object, value: T) -> None:
        self._values[key] = (time.monotonic() + self.seconds, value)

    def forget(self, key: object) -> None:
        self._values.pop(key, None)
