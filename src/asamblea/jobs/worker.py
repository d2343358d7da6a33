"""Procrastinate, the queue (docs/adr/0016-task-queue.md): one task runs one chunk.

Procrastinate keeps its queue in the same PostgreSQL database as everything else. A worker that
dies leaves its job 'doing'; every worker retries the jobs of workers whose heartbeat stopped more
than ``DEAD_AFTER_S`` ago, and the chunk's own key (jobs.runner) makes the rerun harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from django.db import close_old_connections, connections

DEAD_AFTER_S = 15.0
HEARTBEAT_S = 3.0
_app: Any = None


def _conninfo() -> str:
    db = connections["default"].settings_dict
    if "postgresql" not in db["ENGINE"]:
        raise RuntimeError("ASAMBLEA_QUEUE=procrastinate needs DATABASE_URL on PostgreSQL")
    parts = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": db.get("PORT"),
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def app() -> Any:
    global _app
    if _app is None:
        import procrastinate

        _app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=_conninfo()))

        @_app.task(name="asamblea.run_chunk", queue="chunks")
        def run_chunk_task(chunk_id: int) -> None:
            from asamblea.jobs.runner import run_chunk

            close_old_connections()
            try:
                run_chunk(chunk_id)
            finally:
                close_old_connections()

    return _app


def defer_chunks(chunk_ids: list[int]) -> None:
    a = app()
    task = a.tasks["asamblea.run_chunk"]
    with a.open():
        for i in range(0, len(chunk_ids), 1000):
            task.batch_defer(*({"chunk_id": pk} for pk in chunk_ids[i : i + 1000]))


def apply_schema() -> bool:
    """Create Procrastinate's tables unless they exist. Returns True when it created them."""
    import psycopg

    with psycopg.connect(_conninfo()) as conn:
        exists = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
    if exists and exists[0]:
        return False
    a = app()
    with a.open():
        a.schema_manager.apply_schema()
    return True


async def _retry_stalled(a: Any) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        with contextlib.suppress(Exception):
            for job in await a.job_manager.get_stalled_jobs(seconds_since_heartbeat=DEAD_AFTER_S):
                await a.job_manager.retry_job(job)
            await a.job_manager.prune_stalled_workers(DEAD_AFTER_S)


async def _serve(concurrency: int) -> None:
    a = app()
    async with a.open_async():
        retrier = asyncio.create_task(_retry_stalled(a))
        try:
            await a.run_worker_async(
                queues=["chunks"],
                concurrency=concurrency,
                update_heartbeat_interval=HEARTBEAT_S,
                stalled_worker_timeout=DEAD_AFTER_S,
                install_signal_handlers=True,
            )
        finally:
            retrier.cancel()


def serve(concurrency: int = 1) -> None:
    apply_schema()
    asyncio.run(_serve(concurrency))
