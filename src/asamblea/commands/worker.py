"""`asamblea worker`: run queued job chunks; `asamblea jobs`: the jobs' progress."""

from __future__ import annotations

import argparse

from asamblea.commands import UsageError, django_setup

HELP_WORKER = """\
Run the chunks of long jobs from the queue in PostgreSQL (ASAMBLEA_QUEUE=procrastinate and
DATABASE_URL on PostgreSQL). Start as many as you like, on as many machines; a worker that dies
has its chunk redone by another after 15 s, and a chunk's effect is never written twice
(docs/adr/0016-task-queue.md). Without ASAMBLEA_QUEUE there is nothing to run: jobs run in the
process that enqueues them."""
HELP_JOBS = """\
The latest jobs and their progress (chunks done of total, state, error)."""


def configure_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency", type=int, default=1, help="chunks run at once in this process (default 1)"
    )


def configure_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=20, help="how many jobs (default 20)")


def run_worker(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.jobs.runner import queue_backend

    if queue_backend() != "procrastinate":
        raise UsageError("set ASAMBLEA_QUEUE=procrastinate (and DATABASE_URL on PostgreSQL)")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    from asamblea.jobs.worker import serve

    try:
        serve(args.concurrency)
    except RuntimeError as exc:
        raise UsageError(str(exc)) from exc
    return 0


def run_jobs(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.jobs.queries import progress_line, recent_jobs

    for job in recent_jobs(limit=args.limit):
        print(progress_line(job))
    return 0
