"""Reading jobs' progress: the officers' partial and the CLI."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy

from asamblea.jobs.models import Job


def recent_jobs(*, organisation_id: int | None = None, limit: int = 20) -> QuerySet[Job]:
    jobs = Job.objects.all()
    if organisation_id is not None:
        jobs = jobs.filter(organisation_id=organisation_id)
    return jobs.order_by("-created_at", "-pk")[:limit]


def still_running(subject: str) -> Job | None:
    """The latest job on ``subject`` that has not finished (queued, running, or failed and not
    yet retried to the end), or None."""
    return Job.objects.filter(subject=subject).exclude(state=Job.State.DONE).order_by("-pk").first()


def for_subject(prefix: str, *, limit: int = 5) -> list[Job]:
    """The latest jobs whose subject starts with ``prefix`` (an election's: "election:12:")."""
    return list(Job.objects.filter(subject__startswith=prefix).order_by("-pk")[:limit])


def percent(job: Job) -> int:
    """Whole percent done, rounded down (100 only when every chunk is done)."""
    return 100 if job.total == 0 else job.done * 100 // job.total


def progress_line(job: Job) -> str:
    line = (
        f"{job.pk:>6}  {job.name:<20} {job.state:<8} {job.done:,}/{job.total:,} chunks "
        f"({percent(job)}%)  {job.created_at:%Y-%m-%d %H:%M}Z"
    )
    return f"{line}  error: {job.error}" if job.error else line


LABELS = {
    "outbox.deliver": gettext_lazy("Sending messages"),
    "elections.close": gettext_lazy("Closing: publishing the ballots and adding up the tally"),
    "elections.count": gettext_lazy("Counting: checking the ballots against the tally"),
}


def job_rows(jobs: list[Job] | QuerySet[Job]) -> list[dict[str, object]]:
    """What the partial jobs/_progress.html shows: numbers grouped in the active language."""
    return [
        {
            "label": LABELS.get(job.name, job.name),
            "state": job.state,
            "done": number_format(job.done, force_grouping=True),
            "total": number_format(job.total, force_grouping=True),
            "value": job.done,
            "max": max(job.total, 1),
            "percent": percent(job),
            "error": job.error,
        }
        for job in jobs
    ]
