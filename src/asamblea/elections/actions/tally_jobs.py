"""A sealed vote's close and count as chunked jobs (docs/adr/0016-task-queue.md).

The officer's close (``closing.do_close_election``) does at once, under the casting lock, what
must be atomic: casting stops, the secret rows are rewritten, the close is audited. It enqueues
``elections.close`` in the same transaction. The job's plan fixes, once, which ballots go in
which chunk: every ballot sorted by tracking code and cut as ``sealing.CHUNK_BALLOTS`` /
``CHUNK_BYTES`` cut it, so chunk n holds the same ballots however many workers run and in which
order. Each chunk, in one transaction with its done mark, publishes its ``ballots_published``
entry (numbered n of N) and keeps its digest and its ballots' encrypted partial sums on the
chunk. The final step (run in the transaction of whichever chunk completes the job) writes
``election_closed`` v2 with the chain of the digests in chunk order, adds the partial sums (the
order of additions does not change a sum), asks the trustees to decrypt that tally and writes
``election_tallied``. A verifier orders the chunks by their number, not by their place in the
record (``recount_elections.check_sealed_ballots``), so chunks committed in any order verify.

The count (``elections.count``) checks before it counts: its chunks re-read the same ballots,
compare each chunk's digest with the one published and add them up again; its final step refuses
unless the sum is the tally the trustees decrypted, then counts from the decrypted totals and
writes ``election_counted`` v2, as before.

Until its final step, a close job's election is ``closed`` (nobody casts) with no tally: it cannot
be counted (no totals, and the count refuses while the close runs); pages show "Closing: 3 of 12
parts" from the job. A chunk's effects and its done mark commit together (``jobs.runner``): a
chunk whose worker was killed is run again from the start and never published or added twice.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asamblea.core.action import ActionContext, System, action
from asamblea.core.clock import now
from asamblea.core.errors import BlockingIssues
from asamblea.crypto import ballot as sealed
from asamblea.crypto.elgamal import Ciphertext, add_ciphertexts
from asamblea.crypto.group import point_from_text, point_to_text
from asamblea.elections import hooks
from asamblea.elections.actions import sealing
from asamblea.elections.actions._common import State
from asamblea.elections.models import Ballot, Election
from asamblea.elections.queries import NO_BOARD, standing_candidates
from asamblea.jobs.models import Job
from asamblea.jobs.runner import Kind, kind
from asamblea.record.entries.elections import (
    BallotsPublishedV1,
    ElectionClosedV2,
    ElectionTalliedV1,
    EncryptedTotalsPart,
)
from asamblea.record.recount_elections import chain_digests, chunk_digest
from asamblea.rules import ballots as counting
from asamblea.rules import lifecycle as rules

CLOSE = "elections.close"
COUNT = "elections.count"
# Who a chunk run on a worker acts as: the platform, carrying out an officer's close or count.
JOB_ACTOR = System("job")
# The officer's own action context while its job runs inside it (no queue configured), so that
# the chunks' record entries and audit are the action's own.
_INLINE: contextvars.ContextVar[ActionContext | None] = contextvars.ContextVar(
    "asamblea_inline_job_ctx", default=None
)


def subject(election_pk: int, step: str) -> str:
    return f"election:{election_pk}:{step}"


@contextmanager
def inside(ctx: ActionContext) -> Iterator[None]:
    """Run the jobs enqueued in this block, when they run inline, as part of ``ctx``."""
    token = _INLINE.set(ctx)
    try:
        yield
    finally:
        _INLINE.reset(token)


def _step(name: str) -> Any:
    """The chunk's own action context (its record entries, its audit, in its transaction)."""
    return action(_INLINE.get() or JOB_ACTOR, name)


# --- the close ----------------------------------------------------------------------------------


def _plan_close(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ballot by tracking code, cut into chunks; one (empty) chunk when there is none, as
    the record has always had. Holds one small tuple per ballot, not the ballots."""
    rows = []
    ballots = Ballot.objects.filter(election_id=params["election"]).values_list("pk", "content")
    for pk, content in ballots.iterator(chunk_size=2000):
        rows.append((sealing.tracking(content), str(pk), len(content)))
    rows.sort()
    groups: list[list[str]] = [[]]
    size = 0
    for _code, pk, length in rows:
        full = len(groups[-1]) >= sealing.CHUNK_BALLOTS or size + length > sealing.CHUNK_BYTES
        if groups[-1] and full:
            groups.append([])
            size = 0
        groups[-1].append(pk)
        size += length + 1
    return [{"chunk": n, "chunks": len(groups), "ids": ids} for n, ids in enumerate(groups)]


def _chunk_ballots(election: Election, ids: list[str]) -> list[dict[str, Any]]:
    contents = list(
        Ballot.objects.filter(election=election, pk__in=ids).values_list("content", flat=True)
    )
    if len(contents) != len(ids):
        raise RuntimeError(
            f"election {election.pk}: {len(ids) - len(contents)} ballot(s) of this chunk are "
            "missing since the close planned it"
        )
    return [json.loads(c) for c in sorted(contents, key=sealing.tracking)]


def _sums(election: Election, ballots: list[dict[str, Any]]) -> list[list[str]]:
    keys = [c.key for c in standing_candidates(election)]
    question = counting.sealed_question(election.method, keys, election.rules)
    answers = [sealed.ballot_from_json(b).answers[0] for b in ballots]
    return _texts(sealed.encrypted_tally(answers, question))


def _texts(cts: Any) -> list[list[str]]:
    return [[point_to_text(c.alpha), point_to_text(c.beta)] for c in cts]


def _cts(texts: list[list[str]]) -> list[Ciphertext]:
    return [Ciphertext(point_from_text(a), point_from_text(b)) for a, b in texts]


def _add(parts: list[list[list[str]]]) -> list[Ciphertext]:
    total: list[Ciphertext] = []
    for part in parts:
        cts = _cts(part)
        total = (
            cts if not total else [add_ciphertexts(t, c) for t, c in zip(total, cts, strict=True)]
        )
    return total


def _election(params: dict[str, Any]) -> Election:
    return Election.objects.select_related("organisation", "body", "roll", "board").get(
        pk=params["election"]
    )


def _run_close(params: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Publish chunk n: its ballots in one ``ballots_published`` entry, its partial sums kept."""
    election = _election(params)
    ballots = _chunk_ballots(election, args["ids"])
    # The heavy part first (parsing, adding), before the record's lock is taken by the append:
    # chunks on other workers compute side by side and queue only for the append and commit.
    digest = chunk_digest(ballots)
    sums = _sums(election, ballots)
    with _step("elections.publish_ballots") as ctx:
        ctx.record(
            election.organisation,
            BallotsPublishedV1(
                election=election.pk,
                chunk=args["chunk"],
                chunks=args["chunks"],
                ballots=ballots,
                digest=digest,
            ),
            body=election.body,
        )
        ctx.audit("publish_ballots", election, chunk=args["chunk"], ballots=len(ballots))
    return {"digest": digest, "ballots": len(ballots), "sums": sums}


def _finish_close(job: Job, results: list[Any]) -> dict[str, Any]:
    """Every chunk published: the close entry with their chain, then the tally and its request."""
    election = _election(job.params)
    ballots = sum(r["ballots"] for r in results)
    tally = _add([r["sums"] for r in results])
    keys = [c.key for c in standing_candidates(election)]
    question = counting.sealed_question(election.method, keys, election.rules)
    if election.board is None:
        raise BlockingIssues([NO_BOARD])
    from asamblea.trustees.decryption import DecryptionGroup, request_decryption

    with _step("elections.tally") as ctx:
        closed = ElectionClosedV2(
            election=election.pk,
            voters=job.params["voters"],
            roll_size=election.roll.size if election.roll else 0,
            ballots=ballots,
            chunks=len(results),
            chain=chain_digests(r["digest"] for r in results),
        )
        ctx.record(election.organisation, closed, body=election.body)
        request = request_decryption(
            ctx,
            election.board,
            subject=f"election:{election.pk}:tally",
            groups=[DecryptionGroup(election.seal_id, question.question_id, tally)],
        )
        ctx.record(
            election.organisation,
            ElectionTalliedV1(
                election=election.pk,
                ballots=ballots,
                request=request.pk,
                tally=[
                    EncryptedTotalsPart(question=question.question_id, ciphertexts=_texts(tally))
                ],
            ),
            body=election.body,
        )
        ctx.audit("tally_election", election, ballots=ballots, chunks=len(results))
    return {"ballots": ballots, "tally": _texts(tally)}


kind(Kind(CLOSE, plan=_plan_close, run=_run_close, finish=_finish_close, inline=True))


# --- the count ----------------------------------------------------------------------------------


def _close_job(election_pk: int) -> Job:
    job = (
        Job.objects.filter(subject=subject(election_pk, "close"), state=Job.State.DONE)
        .order_by("-pk")
        .first()
    )
    if job is None:
        raise BlockingIssues([f"election {election_pk} has no finished close to count from"])
    return job


def _plan_count(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The close's chunks again, each with the digest it published."""
    close = _close_job(params["election"])
    return [
        {"chunk": c.args["chunk"], "ids": c.args["ids"], "digest": (c.result or {}).get("digest")}
        for c in close.chunks.order_by("seq")
    ]


def _run_count(params: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Re-read chunk n's ballots: the same digest as published, and their partial sums again."""
    election = _election(params)
    ballots = _chunk_ballots(election, args["ids"])
    if chunk_digest(ballots) != args["digest"]:
        raise RuntimeError(
            f"election {election.pk}: the stored ballots of chunk {args['chunk']} are not the ones "
            "published at the close"
        )
    return {"ballots": len(ballots), "sums": _sums(election, ballots)}


def counted(ctx: ActionContext, election: Election, result: dict[str, Any]) -> None:
    election.result = result
    election.state = State.COUNTED
    election.counted_at = now()
    election.save(update_fields=["result", "state", "counted_at"])
    ctx.audit("count_election", election, winners=result.get("winners"))


def _finish_count(job: Job, results: list[Any]) -> dict[str, Any]:
    election = Election.objects.select_for_update().get(pk=job.params["election"])
    close = _close_job(election.pk)
    tally = _add([r["sums"] for r in results])
    if _texts(tally) != (close.result or {}).get("tally"):
        raise RuntimeError(
            f"election {election.pk}: the stored ballots add up to another tally than the one "
            "the trustees decrypted; not counted"
        )
    if election.state != rules.CLOSED:
        raise BlockingIssues([f"the election is {election.state}, not closed"])
    with _step("elections.count") as ctx:
        result = sealing.count_sealed(ctx, election)
        counted(ctx, election, result)
        hooks.counted(ctx, election)
    return {"ballots": sum(r["ballots"] for r in results), "winners": result.get("winners")}


kind(Kind(COUNT, plan=_plan_count, run=_run_count, finish=_finish_count, inline=True))
