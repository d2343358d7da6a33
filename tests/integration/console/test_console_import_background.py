"""A large member file is applied in a background thread; its page reloads itself (a meta
refresh, no JavaScript) until the job is done, and the import is still all-or-nothing."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from console_world import fresh_organisation, sign_in  # noqa: E402
from test_console_flows import members_csv  # noqa: E402

from asamblea.console.models import ImportJob  # noqa: E402
from asamblea.registry.models import Member  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_until_finished(job: ImportJob, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state != ImportJob.State.APPLYING:
            return
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def _join_worker(job: ImportJob) -> None:
    """Wait for the worker thread to close its database connection (else the test database
    cannot be dropped at the end of the run)."""
    for thread in threading.enumerate():
        if thread.name == f"console-import-{job.pk}":
            thread.join(timeout=30)


@override_settings(ASAMBLEA_CONSOLE_INLINE_ROWS=5)
def test_a_large_file_is_applied_in_the_background_and_its_page_reloads_until_done() -> None:
    fresh = fresh_organisation()
    client = Client()
    sign_in(client, fresh.first)
    client.post(
        f"/console/o/{fresh.org.slug}/imports/new",
        {"file": SimpleUploadedFile("socias.csv", members_csv(300), content_type="text/csv")},
    )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.READY
    response = client.post(f"/console/imports/{job.pk}/apply", follow=True)
    job.refresh_from_db()
    if job.state == ImportJob.State.APPLYING:
        assert '<meta http-equiv="refresh"' in response.content.decode()
    _wait_until_finished(job)
    _join_worker(job)
    assert job.state == ImportJob.State.DONE, job.progress
    assert Member.objects.filter(organisation=fresh.org).count() == 300
    page = client.get(f"/console/imports/{job.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in page
