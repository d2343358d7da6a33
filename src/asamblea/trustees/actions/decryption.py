"""A trustee posts a partial decryption; the k-th valid one completes the request.

``check_post_partial`` checks who (a trustee of that very board), then parses and verifies every
factor's proof against that trustee's verification key (Belenios 2.0 section 4.18). A wrong one
is refused, naming the trustee and the position, and nothing is written. ``do_post_partial``
records the partial (chunked) and, when it is the k-th, combines the k lowest-numbered partials
with Lagrange coefficients (4.19) and hands ``g^m`` to the completion handler, in the same door.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import Point
from asamblea.crypto.threshold import (
    InvalidPartialDecryption,
    PartialDecryption,
    ThresholdParameters,
    combine_positions,
    verify_partial_decryption,
)
from asamblea.crypto.transcript import Context
from asamblea.record.entries.trustees import (
    DecryptionCompletedV1,
    MessageError,
    PartialDecryptionPostedV1,
    chunks,
    ciphertext_from_json,
    factors_from_json,
    factors_to_json,
    points_digest,
    proof_to_json,
)
from asamblea.trustees.access import access_request, require_trustee
from asamblea.trustees.decryption import COMPLETIONS
from asamblea.trustees.models import DecryptionPartial, DecryptionRequest, Trustee
from asamblea.trustees.queries import threshold_parameters


@dataclass(frozen=True)
class Posted:
    partial: DecryptionPartial
    completed: bool


def request_ciphertexts(request: DecryptionRequest) -> list[list[Ciphertext]]:
    return [
        [
            ciphertext_from_json(c, f"groups[{g}].ciphertexts[{i}]")
            for i, c in enumerate(group["ciphertexts"])
        ]
        for g, group in enumerate(request.groups)
    ]


def group_context(request: DecryptionRequest, g: int, params: ThresholdParameters) -> Context:
    group = request.groups[g]
    return Context(group["election"], group["question"], params.public_key)


# From this many ciphertexts in a trustee's submission, its chunks are checked in worker
# processes on every core of the server (the same checks, the same first failure named).
PARALLEL_FROM = 20_000


def _chunk_failure(task: tuple[Context, ThresholdParameters, Any, PartialDecryption]) -> str | None:
    """One chunk's check (top level, for a process pool): the failure's reason, or None."""
    context, params, cts, piece = task
    try:
        verify_partial_decryption(context, params, cts, piece)
    except InvalidPartialDecryption as exc:
        return exc.reason
    return None


def verify_partials(
    request: DecryptionRequest,
    params: ThresholdParameters,
    ciphertexts: Sequence[Sequence[Ciphertext]],
    partials: Sequence[PartialDecryption],
) -> None:
    """Check one trustee's partials for every group, chunk by chunk; raise ``ActionError``
    naming the trustee, the group and the position of the first one that fails."""
    if len(partials) != len(ciphertexts):
        raise ActionError(
            f"one entry per group: {len(ciphertexts)} expected, {len(partials)} given",
            field="groups",
        )
    tasks: list[tuple[Context, ThresholdParameters, Any, PartialDecryption]] = []
    where: list[tuple[int, int, int]] = []  # (group, start, trustee) of each task
    for g, (cts, partial) in enumerate(zip(ciphertexts, partials, strict=True)):
        if len(partial.factors) != len(cts) or len(partial.proofs) != len(cts):
            raise ActionError(
                f"trustee {partial.trustee}: group {g} needs {len(cts)} factors and proofs",
                field=f"groups[{g}]",
            )
        context = group_context(request, g, params)
        for start, stop in chunks(len(cts)):
            piece = PartialDecryption(
                partial.trustee, partial.factors[start:stop], partial.proofs[start:stop]
            )
            tasks.append((context, params, cts[start:stop], piece))
            where.append((g, start, partial.trustee))
    jobs = os.cpu_count() or 1
    if jobs < 2 or sum(len(c) for c in ciphertexts) < PARALLEL_FROM:
        _raise_first(request, where, map(_chunk_failure, tasks))
        return
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        _raise_first(request, where, pool.map(_chunk_failure, tasks))


def _raise_first(
    request: DecryptionRequest, where: list[tuple[int, int, int]], failures: Iterable[str | None]
) -> None:
    for (g, start, trustee), reason in zip(where, failures, strict=True):
        if reason is not None:
            position = start + _position(reason)
            raise ActionError(
                f"trustee {trustee}: the partial decryption of group {g} "
                f"(question {request.groups[g]['question']}) at position {position} "
                f"does not verify ({reason})",
                field=f"groups[{g}].proofs[{position}]",
            )


def _position(reason: str) -> int:
    # "proof 7 does not verify" -> 7; any other reason is about the whole chunk.
    words = reason.split()
    return int(words[1]) if len(words) > 1 and words[0] == "proof" and words[1].isdigit() else 0


def parse_partials(payload: Any, trustee: int) -> list[PartialDecryption]:
    if not isinstance(payload, Mapping) or set(payload) != {"groups"}:
        raise ActionError('a partial decryption is {"groups": [...]}', field="groups")
    groups = payload["groups"]
    if not isinstance(groups, list):
        raise ActionError("groups must be a list", field="groups")
    try:
        return [factors_from_json(g, trustee, f"groups[{i}]") for i, g in enumerate(groups)]
    except MessageError as exc:
        raise ActionError(str(exc), field=exc.where) from None


def check_post_partial(user: Any, request_id: int, payload: Any) -> Posted:
    request = access_request(request_id)
    trustee = require_trustee(user, request.board)
    _refuse_repeat(request, trustee)
    partials = parse_partials(payload, trustee.index)
    params = threshold_parameters(request.board)
    verify_partials(request, params, request_ciphertexts(request), partials)
    return do_post_partial(user, request, trustee, partials)


def _refuse_repeat(request: DecryptionRequest, trustee: Trustee) -> None:
    if request.state != DecryptionRequest.State.PENDING:
        raise ActionError(f"request {request.pk} is already decrypted", code="conflict")
    if DecryptionPartial.objects.filter(request=request, trustee=trustee).exists():
        raise ActionError(
            f"trustee {trustee.index} has already posted a partial decryption "
            f"for request {request.pk}",
            field="trustee",
            code="conflict",
        )


@door("trustees.post_partial")
def do_post_partial(
    ctx: ActionContext,
    request: DecryptionRequest,
    trustee: Trustee,
    partials: list[PartialDecryption],
) -> Posted:
    request = DecryptionRequest.objects.select_for_update().get(pk=request.pk)
    _refuse_repeat(request, trustee)
    board = request.board
    row = DecryptionPartial.objects.create(
        request=request,
        trustee=trustee,
        groups=[factors_to_json(p) for p in partials],
        submitted_at=now(),
    )
    ctx.audit("trustees.post_partial", request, trustee=trustee.index)
    for g, partial in enumerate(partials):
        for c, (start, stop) in enumerate(chunks(len(partial.factors))):
            ctx.record(
                board.organisation,
                PartialDecryptionPostedV1(
                    request=request.pk,
                    trustee=trustee.index,
                    group=g,
                    chunk=c,
                    factors=row.groups[g]["factors"][start:stop],
                    proofs=[proof_to_json(p) for p in partial.proofs[start:stop]],
                ),
                body=board.unit,
            )
    if request.partials.count() < board.k:
        return Posted(row, False)
    _complete(ctx, request)
    return Posted(row, True)


def _combine_slice(task: tuple[list[Point], list[list[Point]], list[int]]) -> list[Point]:
    """The decrypted points of a slice of a group (4.19), in a worker or here."""
    return combine_positions(*task)


def _complete(ctx: ActionContext, request: DecryptionRequest) -> None:
    board = request.board
    rows = list(request.partials.select_related("trustee").order_by("trustee__index"))[: board.k]
    by_group: list[list[PartialDecryption]] = [
        [factors_from_json(r.groups[g], r.trustee.index, "stored") for r in rows]
        for g in range(len(request.groups))
    ]
    trustees = [r.trustee.index for r in rows]
    groups = request_ciphertexts(request)
    tasks = [
        ([c.beta for c in cts[a:b]], [list(p.factors[a:b]) for p in by_group[g]], trustees)
        for g, cts in enumerate(groups)
        for a, b in chunks(len(cts))
    ]
    owners = [g for g, cts in enumerate(groups) for _ in chunks(len(cts))]
    points: list[list[Point]] = [[] for _ in groups]
    if (os.cpu_count() or 1) < 2 or sum(len(c) for c in groups) < PARALLEL_FROM:
        done: Iterable[list[Point]] = map(_combine_slice, tasks)
        for g, part in zip(owners, done, strict=True):
            points[g] += part
    else:
        with ProcessPoolExecutor(mp_context=multiprocessing.get_context("fork")) as pool:
            for g, part in zip(owners, pool.map(_combine_slice, tasks), strict=True):
                points[g] += part
    handler = COMPLETIONS.get(request.prefix)
    if handler is None:
        raise ActionError(f"no completion handler for {request.prefix!r}", field="subject")
    request.state = DecryptionRequest.State.COMPLETED
    request.completed_at = now()
    request.save(update_fields=["state", "completed_at"])
    ctx.record(
        board.organisation,
        DecryptionCompletedV1(
            request=request.pk,
            subject=request.subject,
            trustees=[r.trustee.index for r in rows],
            points_digest=points_digest(points),
        ),
        body=board.unit,
    )
    handler(ctx, request, points)
    if board.state == board.State.RETIRED:
        from asamblea.trustees.actions.resharing import revoke_retired_roles

        revoke_retired_roles(ctx, board)
