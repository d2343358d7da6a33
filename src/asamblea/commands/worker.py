"""`asamblea worker`: run queued job chunks; `asamblea jobs`: the jobs' progress."""

from __future__ import annotations

import argparse
import time
from typing import Any

from asamblea.commands import UsageError, django_setup

HELP_WORKER = """\
Run the chunks of long jobs from the queue in PostgreSQL (ASAMBLEA_QUEUE=procrastinate and
DATABASE_URL on PostgreSQL). Start as many as you like, on as many machines; a worker that dies
has its chunk redone by another after 15 s, and a chunk's effect is never written twice
(docs/adr/0016-task-queue.md). Without ASAMBLEA_QUEUE there is nothing to run: jobs run in the
process that enqueues them."""
HELP_JOBS = """\
The latest jobs and their progress (parts done of total, state, error):
  jobs [--election ID] [--limit N]   list them
  jobs wait JOB_ID                   print its progress until it is done (exit 1 if it failed)
  jobs retry JOB_ID                  an election officer puts a failed close or count back on
                                     the queue (parts already done are never done again)"""


def configure_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency", type=int, default=1, help="chunks run at once in this process (default 1)"
    )


def configure_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("wait", "retry"), help="wait or retry")
    parser.add_argument("job", nargs="?", type=int, help="the job's id (wait, retry)")
    parser.add_argument("--limit", type=int, default=20, help="how many jobs (default 20)")
    parser.add_argument("--election", type=int, help="only this election's close and count")


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
    from asamblea.jobs.models import Job
    from asamblea.jobs.queries import for_subject, progress_line, recent_jobs

    if args.action is None:
        if args.election is not None:
            jobs = for_subject(f"election:{args.election}:", limit=args.limit)
        else:
            jobs = list(recent_jobs(limit=args.limit))
        for each in jobs:
            print(progress_line(each))
        return 0
    if args.job is None:
        raise UsageError(f"jobs {args.action} needs a job id")
    job = Job.objects.filter(pk=args.job).first()
    if job is None:
        raise UsageError(f"no job {args.job}")
    if args.action == "wait":
        return wait(job)
    from asamblea.commands import InputError
    from asamblea.commands.auth import authenticated_user
    from asamblea.core.errors import ActionError
    from asamblea.elections.actions.closing import check_retry_job

    user = authenticated_user()
    try:
        ids = check_retry_job(user, job)
    except ActionError as exc:
        raise InputError(f"jobs: {exc.field or 'job'}: {exc.detail}") from None
    print(f"job {job.pk}: {len(ids):,} part(s) queued again")
    return 0


def wait(job: Any, *, every: float = 1.0) -> int:
    """Print the job's progress line whenever it changes, until it is done (0) or failed (1).
    With no queue configured a job is finished before its command returns, so this prints once."""
    from asamblea.jobs.models import Job
    from asamblea.jobs.queries import progress_line

    last = ""
    while True:
        job.refresh_from_db()
        line = progress_line(job)
        if line != last:
            print(line, flush=True)
            last = line
        if job.state == Job.State.DONE:
            return 0
        if job.state == Job.State.FAILED:
            return 1
        time.sleep(every)
