"""The trustees shuffle a list of sealed ranked ballots in turn, each with a proof (ADR 0015).

A caller (the close of a ranked vote) asks, inside its own door, for a mix::

    mix = mixing.request_mix(ctx, board, subject=f"election:{pk}:rankings", election=pk,
                             seal_id=seal_id, question="q1", ballots=[(ct, ct, ...), ...])

and registers, once, what to do with the last round's output (ask for its decryption)::

    mixing.register_mix_completion("election", on_mixed)   # on_mixed(ctx, mix, ballots)

Then ``k`` trustees of the board (the decryption threshold: any ``k`` colluding trustees could
decrypt the sealed ballots anyway, so ``k`` shufflers assume no more than the board already
does), each once, in the order they come, fetch the current list, shuffle it with proof on their
own machine (``asamblea trustee shuffle``) and post it. ``check_post_shuffle`` checks who (a
trustee of that board, not one who has shuffled already), parses the list and the proof strictly
and verifies the proof against the current list under ``Context(seal_id, question, board key)``
with ``crypto.shuffle_verify`` (naming the failed step; nothing is written). ``do_post_shuffle``
publishes the round (``ballots_shuffled`` chunks, ``shuffle_proved``) and makes its output the
current list; the k-th round calls the completion handler in the same door.

Privacy of the rankings needs at least one honest shuffler among the k; soundness needs none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import point_from_text, point_to_text
from asamblea.crypto.shuffle_verify import InvalidShuffle, ballots_from_json, proof_from_json
from asamblea.crypto.transcript import Context
from asamblea.record.entries.mixing import FIXED, PER_BALLOT, MixRequestedV1, shuffle_entries
from asamblea.record.recount_mixing import check_over_cores
from asamblea.trustees.access import require_trustee
from asamblea.trustees.models import MixRequest, MixShuffle, Trustee, TrusteeBoard

MixCompletion = Callable[[ActionContext, MixRequest, list[tuple[Ciphertext, ...]]], Any]
MIX_COMPLETIONS: dict[str, MixCompletion] = {}


def register_mix_completion(prefix: str, fn: MixCompletion) -> None:
    if not prefix or ":" in prefix:
        raise ValueError("a prefix is a non-empty word without ':'")
    existing = MIX_COMPLETIONS.get(prefix)
    if existing is not None and existing is not fn:
        raise ValueError(f"a mix completion for {prefix!r} is already registered")
    MIX_COMPLETIONS[prefix] = fn


def _texts(ballots: Sequence[Sequence[Ciphertext]]) -> list[list[list[str]]]:
    return [[[point_to_text(c.alpha), point_to_text(c.beta)] for c in b] for b in ballots]


def request_mix(
    ctx: ActionContext,
    board: TrusteeBoard,
    *,
    subject: str,
    election: int,
    seal_id: str,
    question: str,
    ballots: Sequence[Sequence[Ciphertext]],
) -> MixRequest:
    """Inside the caller's door: the list (as published, in order) for ``board`` to mix."""
    if board.state != TrusteeBoard.State.READY:
        raise ActionError(f"the trustee board {board.uid} is not ready", field="board")
    if subject.split(":", 1)[0] not in MIX_COMPLETIONS:
        raise ActionError("no mix completion is registered for this subject", field="subject")
    if not ballots:
        raise ActionError("nothing to mix", field="ballots")
    width = len(ballots[0])
    if width == 0 or any(len(b) != width for b in ballots):
        raise ActionError("every ballot needs the same number of ciphertexts", field="ballots")
    mix = MixRequest.objects.create(
        board=board,
        subject=subject,
        election=election,
        seal_id=seal_id,
        question=question,
        ballots=len(ballots),
        width=width,
        rounds=board.k,
        current=_texts(ballots),
        requested_at=now(),
    )
    ctx.audit("trustees.request_mix", mix, subject=subject, ballots=len(ballots), rounds=board.k)
    ctx.record(
        board.organisation,
        MixRequestedV1(
            mix=mix.pk,
            subject=subject,
            board=board.uid,
            election=election,
            seal_id=seal_id,
            question=question,
            ballots=len(ballots),
            ranks=width,
            rounds=board.k,
        ),
        body=board.unit,
    )
    return mix


def access_mix(mix_id: int) -> MixRequest:
    mix = (
        MixRequest.objects.select_related("board", "board__organisation", "board__unit")
        .filter(pk=mix_id)
        .first()
    )
    if mix is None:
        raise NotFoundOrForbidden("mix")
    return mix


@dataclass(frozen=True)
class Shuffled:
    shuffle: MixShuffle
    completed: bool


def _refuse(mix: MixRequest, trustee: Trustee) -> None:
    if mix.state != MixRequest.State.PENDING:
        raise ActionError(f"mix {mix.pk} is complete", code="conflict")
    if MixShuffle.objects.filter(mix=mix, trustee=trustee).exists():
        raise ActionError(
            f"trustee {trustee.index} has already shuffled mix {mix.pk}",
            field="trustee",
            code="conflict",
        )


def _verify(mix: MixRequest, payload: Any) -> tuple[list[list[list[str]]], dict[str, Any]]:
    """Parse and check a posted shuffle against ``mix.current``; raise naming the step."""
    if not isinstance(payload, Mapping) or set(payload) != {"round", "ballots", "proof"}:
        raise ActionError('a shuffle is {"round": r, "ballots": [...], "proof": {...}}')
    done = mix.shuffles.count()
    if type(payload["round"]) is not int or payload["round"] != done + 1:
        raise ActionError(
            f"round {done + 1} is next, not {payload['round']!r}: fetch the list again",
            field="round",
            code="conflict",
        )
    proof = payload["proof"]
    try:
        outputs = ballots_from_json(payload["ballots"], "ballots")
        checked = proof_from_json(proof)
        key = point_from_text(mix.board.public_key)
        # A large list's check runs over the server's cores (the sums in worker processes).
        check_over_cores(
            Context(mix.seal_id, mix.question, key),
            ballots_from_json(mix.current, "current"),
            outputs,
            checked,
        )
    except InvalidShuffle as exc:
        raise ActionError(f"the shuffle is refused: {exc}", field=f"proof.{exc.step}") from None
    return payload["ballots"], proof


def check_post_shuffle(user: Any, mix_id: int, payload: Any) -> Shuffled:
    mix = access_mix(mix_id)
    trustee = require_trustee(user, mix.board)
    _refuse(mix, trustee)
    outputs, proof = _verify(mix, payload)
    return do_post_shuffle(user, mix, trustee, int(payload["round"]), outputs, proof)


@door("trustees.post_shuffle")
def do_post_shuffle(
    ctx: ActionContext,
    mix: MixRequest,
    trustee: Trustee,
    round: int,
    outputs: list[list[list[str]]],
    proof: dict[str, Any],
) -> Shuffled:
    locked = MixRequest.objects.select_for_update().get(pk=mix.pk)
    _refuse(locked, trustee)
    if locked.shuffles.count() + 1 != round:
        # Another trustee's round landed since the check: this proof is over a stale list.
        raise ActionError(
            "another shuffle was accepted meanwhile: fetch the list again", code="conflict"
        )
    board = mix.board
    row = MixShuffle.objects.create(mix=locked, trustee=trustee, round=round, submitted_at=now())
    chunks, proved = shuffle_entries(
        election=locked.election,
        round=round,
        trustee=trustee.index,
        outputs=outputs,
        proof={k: proof[k] for k in (*PER_BALLOT[1:], *FIXED)},
    )
    for entry in chunks:
        ctx.record(board.organisation, entry, body=board.unit)
    ctx.record(board.organisation, proved, body=board.unit)
    ctx.audit("trustees.post_shuffle", locked, trustee=trustee.index, round=round)
    locked.current = outputs
    fields = ["current"]
    completed = round >= locked.rounds
    if completed:
        locked.state = MixRequest.State.COMPLETED
        locked.completed_at = now()
        fields += ["state", "completed_at"]
    locked.save(update_fields=fields)
    if completed:
        handler = MIX_COMPLETIONS.get(locked.prefix)
        if handler is None:
            raise ActionError(f"no mix completion for {locked.prefix!r}", field="subject")
        handler(ctx, locked, ballots_from_json(outputs, "ballots"))
    return Shuffled(row, completed)
