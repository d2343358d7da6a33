"""The decryption of totals by a board's trustees: the interface the elections use.

A caller (an election closing, an instruction vote, a shuffled list of rankings) asks, inside its
own door, for the decryption of some ciphertexts::

    request = decryption.request_decryption(
        ctx, board, subject=f"election:{election.pk}:tally",
        groups=[DecryptionGroup(election_id, "q1", list(tally))],
    )

Each group is decrypted under ``Context(election_id, question_id, board key)``: every trustee's
proof is bound to it. The request and its ciphertexts go on the record. Trustees then post their
partial decryptions (:mod:`asamblea.trustees.actions.decryption`); the one that brings the k-th
valid partial combines them and, inside that same door, calls the completion handler registered
for the subject's prefix (the part before the first ``:``)::

    decryption.register_completion("election", on_decrypted)

    def on_decrypted(ctx, request, points):  # points[g][i] = g^m for group g, ciphertext i
        ...

The handler solves the bounded discrete log itself: it knows the bound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asamblea.core.action import ActionContext
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import Point
from asamblea.record.entries.trustees import (
    DecryptionCiphertextsV1,
    DecryptionGroupPart,
    DecryptionRequestedV1,
    chunks,
    ciphertext_to_json,
    ciphertexts_digest,
)
from asamblea.trustees.models import DecryptionRequest, TrusteeBoard

# A request holds at most this many ciphertexts in all (a shuffled list of a million rankings
# of a few ranks each fits); the record carries them in chunks of ``CHUNK``.
MAX_CIPHERTEXTS = 20_000_000

Completion = Callable[[ActionContext, DecryptionRequest, list[list[Point]]], Any]
COMPLETIONS: dict[str, Completion] = {}


@dataclass(frozen=True)
class DecryptionGroup:
    election_id: str
    question_id: str
    ciphertexts: list[Ciphertext]


def register_completion(prefix: str, fn: Completion) -> None:
    """Who finishes requests whose subject starts with ``prefix:``. One handler per prefix."""
    if not prefix or ":" in prefix:
        raise ValueError("a prefix is a non-empty word without ':'")
    existing = COMPLETIONS.get(prefix)
    if existing is not None and existing is not fn:
        raise ValueError(f"a completion handler for {prefix!r} is already registered")
    COMPLETIONS[prefix] = fn


def request_decryption(
    ctx: ActionContext,
    board: TrusteeBoard,
    *,
    subject: str,
    groups: list[DecryptionGroup],
) -> DecryptionRequest:
    """Record a request for ``board``'s trustees to decrypt ``groups``; inside the caller's door.

    A board retired by resharing hands the request to its ready successor (the same key)."""
    seen = 0
    while board.state == TrusteeBoard.State.RETIRED and seen < 100:
        successor = board.replaced_by.filter(state=TrusteeBoard.State.READY).first()
        if successor is None:
            successor = board.replaced_by.filter(state=TrusteeBoard.State.RETIRED).first()
        if successor is None:
            break
        board, seen = successor, seen + 1
    if board.state != TrusteeBoard.State.READY:
        raise ActionError(f"the trustee board {board.uid} is not ready", field="board")
    prefix = subject.split(":", 1)[0]
    if not subject or prefix not in COMPLETIONS:
        raise ActionError(f"no completion handler is registered for {prefix!r}", field="subject")
    if not groups:
        raise ActionError("nothing to decrypt", field="groups")
    total = 0
    for g, group in enumerate(groups):
        if not group.ciphertexts:
            raise ActionError(f"group {g} has no ciphertexts", field=f"groups[{g}]")
        if not group.election_id or not group.question_id:
            raise ActionError(
                f"group {g} needs an election and a question id", field=f"groups[{g}]"
            )
        total += len(group.ciphertexts)
    if total > MAX_CIPHERTEXTS:
        raise ActionError(f"at most {MAX_CIPHERTEXTS:,} ciphertexts in one request", field="groups")
    at = now()
    digest = ciphertexts_digest([(g.election_id, g.question_id, g.ciphertexts) for g in groups])
    request = DecryptionRequest.objects.create(
        board=board,
        subject=subject,
        groups=[
            {
                "election": g.election_id,
                "question": g.question_id,
                "ciphertexts": [ciphertext_to_json(c) for c in g.ciphertexts],
            }
            for g in groups
        ],
        total=total,
        digest=digest,
        requested_at=at,
        deadline_at=at + dt.timedelta(hours=board.deadline_hours),
    )
    organisation, unit = board.organisation, board.unit
    ctx.audit("trustees.request_decryption", request, subject=subject, ciphertexts=total)
    ctx.record(
        organisation,
        DecryptionRequestedV1(
            request=request.pk,
            subject=subject,
            board=board.uid,
            groups=[
                DecryptionGroupPart(g.election_id, g.question_id, len(g.ciphertexts))
                for g in groups
            ],
            digest=digest,
            deadline_at=request.deadline_at,
        ),
        body=unit,
    )
    for g, group in enumerate(request.groups):
        for c, (start, stop) in enumerate(chunks(len(group["ciphertexts"]))):
            ctx.record(
                organisation,
                DecryptionCiphertextsV1(
                    request=request.pk,
                    group=g,
                    chunk=c,
                    ciphertexts=group["ciphertexts"][start:stop],
                ),
                body=unit,
            )
    return request
