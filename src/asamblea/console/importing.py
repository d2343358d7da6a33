"""Member files uploaded on the web: checked at upload with the command line's own reader and
planner, applied all-or-nothing through the same ``check_import_members``.

Small files (up to :data:`INLINE_ROWS` rows) are applied within the request; larger ones in a
background thread, while the job's page reloads itself (a meta refresh: no JavaScript) until the
job is done or failed. The import itself is one transaction either way: a failure writes nothing.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection, transaction

from asamblea.console.models import ImportJob
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden
from asamblea.registry.actions import check_import_members, plan_import
from asamblea.registry.actions.importing import require_import_permission
from asamblea.registry.importing import FileRejected, validate_file
from asamblea.registry.models import Organisation

log = logging.getLogger(__name__)

# Files of more rows than this are applied in the background (settings may lower it).
INLINE_ROWS = 2_000
MAX_SHOWN_ERRORS = 1_000


def _inline_rows() -> int:
    return int(getattr(settings, "ASAMBLEA_CONSOLE_INLINE_ROWS", INLINE_ROWS))


def _rows_of(job: ImportJob) -> list[Any]:
    """Read and check the stored file with the command line's reader (raises FileRejected)."""
    suffix = Path(job.filename).suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(bytes(job.content or b""))
        return validate_file(path, job.organisation)


def _as_lines(rejected: FileRejected) -> list[str]:
    return [f"{e.line}: {e.field}: {e.message}" for e in rejected.errors[:MAX_SHOWN_ERRORS]]


def upload(user: Any, organisation: Organisation, filename: str, content: bytes) -> ImportJob:
    """Check a file without writing a member: the job holds its preview (what it would do) or
    every error as ``line: field: message``."""
    job = ImportJob(
        organisation=organisation,
        uploaded_by=user,
        filename=Path(filename).name[:200],
        content=content,
        created_at=now(),
        state=ImportJob.State.READY,
    )
    try:
        rows = _rows_of(job)
    except FileRejected as rejected:
        job.state = ImportJob.State.REJECTED
        job.errors = _as_lines(rejected)
        job.summary = {"errors": len(rejected.errors)}
    except (ValueError, OSError, KeyError) as exc:
        # An unreadable file (not UTF-8, a broken workbook) is refused the same way.
        job.state = ImportJob.State.REJECTED
        job.errors = [f"1: file: {exc}"[:300]]
    else:
        plan = plan_import(organisation, rows)
        # Refused before anything is kept when the file names a unit this registrar may not
        # register in (the same check the apply makes).
        require_import_permission(user, organisation, plan)
        job.summary = {**plan.summary(), "rows": len(rows)}
    if job.state == ImportJob.State.REJECTED:
        job.content = None
        job.finished_at = now()
    job.save()
    return job


def start_apply(user: Any, job: ImportJob) -> None:
    """Apply a checked file: inline when small, else in a background thread."""
    updated = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.READY).update(
        state=ImportJob.State.APPLYING, progress=""
    )
    if not updated:
        raise ActionError("this file is not waiting to be applied", field="import", code="conflict")
    if int(job.summary.get("rows", 0)) <= _inline_rows():
        apply_now(job.pk, user.pk, refusals=True)
        return
    worker = threading.Thread(
        target=_in_background, args=(job.pk, user.pk), name=f"console-import-{job.pk}", daemon=True
    )
    transaction.on_commit(worker.start)


def _in_background(job_id: int, user_id: int) -> None:
    close_old_connections()
    try:
        apply_now(job_id, user_id)
    finally:
        connection.close()


def apply_now(job_id: int, user_id: int, *, refusals: bool = False) -> None:
    """Re-read the file (the register may have changed since the preview), plan, apply.

    ``refusals``: a refusal of permission is raised after the job is marked failed (within a
    request, so the page answers 403); in the background it is only written on the job."""
    job = ImportJob.objects.select_related("organisation").get(pk=job_id)
    user = get_user_model().objects.get(pk=user_id)

    def step(text: str) -> None:
        log.info("import %s: %s", job_id, text)

    try:
        rows = _rows_of(job)
        plan = plan_import(job.organisation, rows)
        summary = check_import_members(
            user, job.organisation, plan, source=f"web:{job.filename}", progress=step
        )
    except FileRejected as rejected:
        _finish(job, ImportJob.State.FAILED, errors=_as_lines(rejected))
    except ActionError as exc:
        _finish(job, ImportJob.State.FAILED, progress=exc.detail)
        if refusals and isinstance(exc, Forbidden | NotFoundOrForbidden):
            raise
    except Exception:
        log.exception("import %s failed", job_id)
        _finish(job, ImportJob.State.FAILED, progress="internal error: nothing was written")
        raise
    else:
        _finish(job, ImportJob.State.DONE, summary={**summary, "rows": len(rows)})


def _finish(job: ImportJob, state: str, **changes: Any) -> None:
    job.state = state
    job.finished_at = now()
    job.content = None
    for name, value in changes.items():
        setattr(job, name, value)
    job.save()


def discard(job: ImportJob) -> None:
    ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.READY).update(
        state=ImportJob.State.DISCARDED, content=None, finished_at=now()
    )
