"""Checking the sealed ballots' chunks ahead, in parallel worker processes, while streaming.

A ``ballots_published`` entry carries up to a thousand sealed ballots with their proofs; checking
them is nearly all of a large record's verification. :func:`asamblea.record.verify.verify_record`
hands each chunk's line to a pool of processes as it streams the record (:class:`ChunkPool`),
keeps in memory only the chunk's small fields (a :class:`CheckedChunk`: the ballots are dropped),
and the recount (:func:`asamblea.record.recount_elections.check_sealed_ballots`) takes each
chunk's outcome from there (:func:`prechecked`) instead of checking the ballots again: the same
check (:func:`asamblea.record.recount_elections.check_ballot_chunk`), the same result, the same
failure at the same place, only sooner and on every core.

A :class:`CheckedChunk` is never made by parsing JSON, so nothing in a record can pretend to be
one.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

# The chunked sealed-ballot formats, each registered by its recount module (``ballots_published``
# by asamblea.record.recount_elections, the sealed ranked ballots by recount_ranked): chunk type ->
# (its sealing entry's type, the worker's parameters from that entry, the worker
# ``check(line, *params)``). This module imports none of them, so none imports back.
CHUNK_TYPES: dict[str, tuple[str, Callable[[Mapping[str, Any]], tuple[Any, ...]], Any]] = {}


def register_chunk_type(
    chunk_type: str,
    sealing_type: str,
    params: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    check_line: Any,
) -> None:
    CHUNK_TYPES[chunk_type] = (sealing_type, params, check_line)


class CheckedChunk(dict):  # type: ignore[type-arg]
    """A ``ballots_published`` entry without its ballots, with the outcome of checking them: a
    ``ChunkCheck``, or the exception the check raised (raised again where the recount asks)."""

    outcome: Any = None
    future: Future[Any] | None = None
    n: int = 0  # its ballots

    def result(self) -> Any:
        if self.future is not None:
            try:
                self.outcome = self.future.result()
            except Exception as exc:  # noqa: BLE001 - kept, raised where the recount asks
                self.outcome = exc
            self.future = None
        return self.outcome


def prechecked(chunk: Mapping[str, Any]) -> Any:
    """The ``ChunkCheck`` computed ahead for this chunk (raising what its check raised), or None
    when the chunk was not checked ahead (then the caller checks it)."""
    if not isinstance(chunk, CheckedChunk):
        return None
    outcome = chunk.result()
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


class ChunkPool:
    """Chunks checked ahead over ``jobs`` processes (1: in this process, one at a time), at most
    ``2 * jobs`` chunks in flight so that memory stays bounded however long the record."""

    def __init__(self, jobs: int, progress: Callable[[int, int], None] | None = None) -> None:
        self.jobs = max(1, jobs)
        self.sealings: dict[Any, tuple[Any, ...]] = {}
        self.in_flight: deque[CheckedChunk] = deque()
        self.progress = progress
        self.ballots_submitted = 0
        self.ballots_done = 0
        self._executor: Executor | None = None

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _pool(self) -> Executor:
        if self._executor is None:
            import multiprocessing

            self._executor = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context("fork")
            )
        return self._executor

    def take(self, entry: dict[str, Any], line: bytes) -> dict[str, Any]:
        """What the verifier keeps of ``entry``: itself, or a :class:`CheckedChunk` whose ballots
        are being checked."""
        kind = entry.get("type")
        for chunk_type, (sealing_type, params_of, _check) in CHUNK_TYPES.items():
            if kind == sealing_type and "election" in entry:
                # A malformed sealing entry is left to the recount, which names it.
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    self.sealings[(chunk_type, entry["election"])] = params_of(entry)
                return entry
        if kind not in CHUNK_TYPES:
            return entry
        check = CHUNK_TYPES[str(kind)][2]
        params = self.sealings.get((kind, entry.get("election")))
        if params is None:
            return entry  # no sealing before it: the recount checks (and refuses) it as it is
        stub = CheckedChunk({k: v for k, v in entry.items() if k != "ballots"})
        ballots = entry.get("ballots")
        stub.n = len(ballots) if isinstance(ballots, list) else 0
        self.ballots_submitted += stub.n
        if self.jobs == 1:
            try:
                stub.outcome = check(line, *params)
            except Exception as exc:  # noqa: BLE001 - kept, raised where the recount asks
                stub.outcome = exc
            self._done(stub.n)
            return stub
        while len(self.in_flight) >= 2 * self.jobs:
            oldest = self.in_flight.popleft()
            oldest.result()
            self._done(oldest.n)
        stub.future = self._pool().submit(check, line, *params)
        self.in_flight.append(stub)
        return stub

    def _done(self, n: int) -> None:
        self.ballots_done += n
        if self.progress is not None:
            self.progress(self.ballots_done, self.ballots_submitted)

    def finish(self) -> None:
        """Wait for every chunk in flight."""
        while self.in_flight:
            stub = self.in_flight.popleft()
            stub.result()
            self._done(stub.n)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
