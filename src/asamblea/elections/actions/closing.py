"""An election's close and count: the officer's doors (docs/adr/0016-task-queue.md).

The close does at once, in the officer's transaction, what must be atomic: under the casting lock
casting stops, the state turns ``closed``, the secret rows are rewritten in fresh random order and
the traces of casting deleted. A sealed vote's publication and tally are then the
``elections.close`` job (:mod:`.tally_jobs`), enqueued in that same transaction; its count is the
``elections.count`` job. With a queue configured (``ASAMBLEA_QUEUE``) the officer's request
returns at once and workers run the chunks; with none, the same chunks run inside the officer's
transaction, all-or-nothing as before. A ranked sealed vote (``ranked.close_ranked``) and a vote
opened before sealing existed still close in the officer's transaction.
"""

from __future__ import annotations

import json
from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, BlockingIssues
from asamblea.elections import hooks, secrecy, storage
from asamblea.elections.actions import ranked, sealing, tally_jobs
from asamblea.elections.actions._common import State, count_ballots, locked, require_officer_of
from asamblea.elections.actions.casting import lock_casting
from asamblea.elections.actions.lifecycle import _move as move
from asamblea.elections.models import (
    Ballot,
    Election,
    TrackingCode,
    VotingCredential,
)
from asamblea.elections.queries import (
    AWAITING_DECRYPTION,
    RANKINGS_AWAITING_DECRYPTION,
    standing_candidates,
)
from asamblea.jobs.queries import still_running
from asamblea.jobs.runner import enqueue, queue_backend, retry
from asamblea.record.entries.elections import ElectionClosedV1, ElectionCountedV1


def _published_rows(election: Election) -> tuple[list[str], list[str]]:
    """The ranked and plaintext closes' ballots and tracking codes, read after the rewrite (in
    the order of their fresh random ids), the codes shuffled apart from the ballots."""
    contents = list(
        Ballot.objects.filter(election=election).order_by("pk").values_list("content", flat=True)
    )
    codes = list(TrackingCode.objects.filter(election=election).values_list("code", flat=True))
    return contents, secrecy.shuffled(codes)


def _compact_after_commit() -> None:
    if secrecy.REWRITE_AT_CLOSE:
        secrecy.compact_secret_tables()


def check_close_election(actor: Any, election: Election) -> Election:
    require_officer_of(actor, election)
    return do_close_election(actor, election)


@door("elections.close")
def do_close_election(ctx: ActionContext, election: Election) -> Election:
    # The casting lock, taken exclusively, waits for casts in flight (each holds it shared) and
    # holds new ones until this commits; they then find the election closed.
    lock_casting(election.pk, exclusive=True)
    election = locked(election)
    move(election, State.CLOSED)
    election.state = State.CLOSED
    election.closed_at = now()
    election.save(update_fields=["state", "closed_at"])
    # The credentials are of no more use, and each is one more trace.
    VotingCredential.objects.filter(election=election).delete()
    # Ballots, tracking codes and who voted again in fresh random order with fresh random ids,
    # the cast fingerprints and idempotency rows discarded: in the database, in bounded memory,
    # on the vote's own partitions on PostgreSQL (elections.storage). No cast order survives.
    voters = storage.rewrite_secret_rows(election).voters
    ctx.audit("close_election", election, voters=voters)
    ctx.on_commit(_compact_after_commit)
    if election.is_sealed and sealing.sealable(election):
        # Ciphertexts only: published in chunks, added into the tally, sent to the trustees, by
        # the close job (tally_jobs), enqueued here so that it exists if and only if the close
        # commits.
        _start(ctx, election, "close", tally_jobs.CLOSE, voters=voters)
        return election
    contents, codes = _published_rows(election)
    if election.is_sealed and ranked.is_ranked(election.method):
        # Published, then mixed by the trustees (proved shuffles: ADR 0015) and decrypted.
        ranked.close_ranked(ctx, election, contents, voters)
        return election
    entry = ElectionClosedV1(
        election=election.pk,
        voters=voters,
        roll_size=election.roll.size if election.roll else 0,
        tracking_codes=codes,
        ballots=[json.loads(c) for c in contents],
    )
    ctx.record(election.organisation, entry, body=election.body)
    return election


def check_count_election(actor: Any, election: Election) -> Election:
    require_officer_of(actor, election)
    return do_count_election(actor, election)


@door("elections.count")
def do_count_election(ctx: ActionContext, election: Election) -> Election:
    election = locked(election)
    closing = still_running(tally_jobs.subject(election.pk, "close"))
    if closing is not None:
        # Safe without this too (no tally, so no totals), but named for the officer.
        raise BlockingIssues([_unfinished("close", closing)])
    move(election, State.COUNTED)
    if election.is_sealed and sealing.sealable(election):
        if not election.totals:
            raise BlockingIssues([AWAITING_DECRYPTION])
        running = still_running(tally_jobs.subject(election.pk, "count"))
        if running is not None:
            raise BlockingIssues([_unfinished("count", running)])
        # The count job re-reads the ballots in chunks, checks they add up to the tally the
        # trustees decrypted, then counts and records (tally_jobs).
        _start(ctx, election, "count", tally_jobs.COUNT)
        election.refresh_from_db()
        return election
    if election.is_sealed and ranked.is_ranked(election.method):
        # Counted by the trustees' last partial decryption (elections.actions.ranked); the
        # blocking issues above already say so.
        raise BlockingIssues([RANKINGS_AWAITING_DECRYPTION])
    ballots = [
        json.loads(c)
        for c in Ballot.objects.filter(election=election).values_list("content", flat=True)
    ]
    keys = [c.key for c in standing_candidates(election)]
    result = count_ballots(election, keys, ballots)
    tally_jobs.counted(ctx, election, result)
    entry = ElectionCountedV1(
        election=election.pk,
        method=election.method,
        seats=election.seats,
        rules=election.rules,
        seed=election.seed,
        result=result,
    )
    ctx.record(election.organisation, entry, body=election.body)
    # Another app's kind (a unit's instruction vote) takes its result from here.
    hooks.counted(ctx, election)
    return election


def _start(ctx: ActionContext, election: Election, step: str, name: str, **params: Any) -> None:
    """Enqueue the election's job in the officer's transaction. With no queue configured its
    chunks run now, inside this action, and their record entries are this action's; with a queue,
    the action's public entries are owed by the job (written by its chunks and its final step,
    shown as progress on the election's page), and the officer's transaction records none."""
    with tally_jobs.inside(ctx):
        job = enqueue(
            name,
            organisation_id=election.organisation_id,
            subject=tally_jobs.subject(election.pk, step),
            election=election.pk,
            **params,
        )
    ctx.audit(f"{step}_job", election, job=job.pk, parts=job.total)
    if queue_backend():
        ctx.unchanged()


def _unfinished(step: str, job: Any) -> str:
    if job.state == "failed":
        return f"the {step} failed ({job.error}); once repaired, run `asamblea jobs retry {job.pk}`"
    return f"the {step} is still running: {job.done:,} of {job.total:,} parts (job {job.pk})"


def check_retry_job(actor: Any, job: Any) -> list[int]:
    """An officer of the election puts a failed close or count back on the queue (after the
    cause was repaired). Chunks already done are skipped wherever they run."""
    _prefix, pk, _step_name = (job.subject.split(":") + ["", "", ""])[:3]
    if _prefix != "election" or not pk.isdigit():
        raise ActionError("only an election's close or count is retried here", field="job")
    election = Election.objects.get(pk=int(pk))
    require_officer_of(actor, election)
    if job.state != "failed":
        raise ActionError(f"job {job.pk} is {job.state}, not failed", field="job")
    return do_retry_job(actor, election, job)


@door("elections.retry_job")
def do_retry_job(ctx: ActionContext, election: Election, job: Any) -> list[int]:
    ids = retry(job)
    ctx.audit("retry_job", election, job=job.pk, chunks=len(ids))
    # Nothing public changes here: the job's chunks write the entries it still owes.
    ctx.unchanged()
    return ids
