"""A sealed vote's close as a job, seen by officers while it runs (issue 15): with a queue
configured the close returns at once, the count is refused while the close runs, the console's
election page and `asamblea jobs` show "n of N parts" (in Spanish too), and the chunks run later,
as a worker would run them, finish the close."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elections"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "console"))

from console_world import sign_in  # noqa: E402
from elections_builders import build_world, open_election, record_entries  # noqa: E402

from asamblea.cli import main as cli  # noqa: E402
from asamblea.core.errors import BlockingIssues  # noqa: E402
from asamblea.elections import actions  # noqa: E402
from asamblea.elections.actions import sealing, tally_jobs  # noqa: E402
from asamblea.jobs.models import Job, JobChunk  # noqa: E402
from asamblea.jobs.queries import for_subject, job_rows  # noqa: E402
from asamblea.jobs.runner import run_chunk  # noqa: E402

pytestmark = pytest.mark.django_db


def test_a_queued_close_shows_its_progress_and_blocks_the_count_until_its_chunks_run(
    monkeypatch, capsys
):
    monkeypatch.setattr(sealing, "CHUNK_BALLOTS", 2)
    world = build_world(7, slug="progreso")
    election, codes = open_election(world)
    keys = actions.candidate_keys(election)
    for code in codes.values():
        actions.check_cast(election, code, {"choice": keys[0]}, secrets.token_urlsafe(24))
    officer = world.officers[0]
    monkeypatch.setenv("ASAMBLEA_QUEUE", "procrastinate")
    # The test's transaction never commits, so nothing is handed to the queue: the chunks wait.
    actions.check_close_election(officer, election)
    job = Job.objects.get(subject=tally_jobs.subject(election.pk, "close"))
    assert (job.state, job.done, job.total) == (Job.State.QUEUED, 0, 4)
    assert not record_entries(world.org, "ballots_published")
    with pytest.raises(BlockingIssues, match="the close is still running: 0 of 4 parts"):
        actions.check_count_election(officer, election)

    # One chunk runs (a worker took it): the page and the CLI say 1 of 4.
    first = JobChunk.objects.get(job=job, seq=0)
    assert run_chunk(first.pk) is True
    TOTPDevice.objects.get_or_create(user=officer, defaults={"name": "t", "confirmed": True})
    client = Client()
    sign_in(client, officer)
    url = reverse("console:election", args=[election.pk])
    page = client.get(url).content.decode()  # the organisation's language: Spanish
    assert "Cierre: publicando las papeletas y sumando el recuento" in page
    assert "1 de 4" in page and "Recarga para ver el avance" in page
    assert 'hx-get="' in page and 'hx-trigger="every 3s"' in page
    with translation.override("en"):
        rows = job_rows(for_subject(f"election:{election.pk}:"))
        partial = render_to_string("jobs/_progress.html", {"job_rows": rows})
    assert "Closing: publishing the ballots and adding up the tally" in partial
    assert "1 of 4 parts" in partial
    assert cli(["jobs", "--election", str(election.pk)]) == 0
    assert "elections.close" in capsys.readouterr().out

    # The other chunks run, in any order: the last one finishes the close.
    for chunk in JobChunk.objects.filter(job=job).order_by("-seq"):
        run_chunk(chunk.pk)
    job.refresh_from_db()
    assert (job.state, job.done) == (Job.State.DONE, 4)
    published = record_entries(world.org, "ballots_published")
    assert [e["chunk"] for e in published] == [0, 3, 2, 1]  # committed in that order
    assert len(record_entries(world.org, "election_tallied")) == 1
    assert "1 de 4" not in client.get(url).content.decode()
    assert cli(["jobs", "wait", str(job.pk)]) == 0
    assert "4/4 chunks" in capsys.readouterr().out
