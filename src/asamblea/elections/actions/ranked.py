"""Sealed ranked votes (IRV, STV, Schulze): sealing at the door, the close, the trustees'
verifiable mix, the decryption of the mixed list, and the count (docs/adr/0014-ranked-sealed-
stopgap.md for the sealing and the count, docs/adr/0015-mixnet.md for the mix).

A ranked ballot cannot be counted from a homomorphic total: each ranking must be decrypted. To
decrypt them without anyone being able to link a ranking to its sealed ballot (and so to whatever
links that ballot to its voter), the close publishes the sealed rankings and asks the election's
board for a MIX (``trustees.actions.mixing.request_mix``): k of its trustees, each once, in turn,
re-encrypt and permute the whole list on their own computers and post it with a proof of a
correct shuffle (Terelius-Wikstrom through Haenni et al.), which the server checks before
accepting it and anyone checks again from the record. The server never shuffles and never learns
a permutation. The last accepted shuffle calls :func:`on_rankings_mixed` in its own door, which
asks the trustees to decrypt that last output; the trustee submission that brings the k-th
partial decryption calls :func:`on_rankings_decrypted` (dispatched by :mod:`.sealing`), which
solves each rank's discrete log (bounded by the number of candidates), publishes the numbers in
chunks, reads the rankings (a malformed one is spoilt, as Belenios does) and counts them with the
existing engine.

Privacy of the rankings needs at least one honest shuffler among the k; their correctness needs
none (every shuffle is proved).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asamblea.core.action import ActionContext
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.crypto import ranked
from asamblea.crypto.elgamal import Ciphertext, DiscreteLog
from asamblea.crypto.group import Point, b64encode, point_from_text, point_to_text
from asamblea.elections.actions._common import count_ballots
from asamblea.elections.actions.sealing import MAX_SEALED_CHARS, Sealed, on_election_decrypted
from asamblea.elections.models import Election
from asamblea.elections.queries import standing_candidates
from asamblea.record.entries.ranked import (
    CHUNK,
    RankedBallotsV1,
    RankedClosedV1,
    RankedCountedV1,
    RankedSealingV1,
    RankingsDecryptedV1,
    RankingsShuffledV2,
)
from asamblea.record.recount_ranked import (
    chain_digests,
    chunk_digest,
    rank_positions,
    rankings_from_values,
)
from asamblea.rules import ballots as counting
from asamblea.trustees.actions.mixing import register_mix_completion, request_mix
from asamblea.trustees.decryption import DecryptionGroup, request_decryption
from asamblea.trustees.models import DecryptionRequest, MixRequest

SUBJECT_KIND = "rankings"
QUESTION_ID = "q1"


def is_ranked(method: str) -> bool:
    return counting.ballot_kind(method) == "ranked"


def ranked_question(keys: Sequence[str], rules: Mapping[str, Any]) -> ranked.RankedQuestion:
    """The shape of a ranked ballot: one rank position per rank the rules allow (all the
    candidates unless ``max_rankings`` says fewer), each holding 0 (nobody) or a candidate."""
    if not keys:
        raise ValueError("a ranked ballot needs at least one candidate")
    return ranked.RankedQuestion(QUESTION_ID, len(keys), rank_positions(len(keys), rules))


@dataclass(frozen=True)
class RankedSpec:
    """What an open sealed ranked vote's ballots are sealed under and must look like (the
    ranked counterpart of :class:`.sealing.SealSpec`, which casting takes either of)."""

    seal_id: str
    public_key: Point
    question: ranked.RankedQuestion
    keys: tuple[str, ...]

    @classmethod
    def of(
        cls, *, seal_id: str, public_key: str, keys: Sequence[str], rules: Mapping[str, Any]
    ) -> RankedSpec:
        return cls(seal_id, point_from_text(public_key), ranked_question(keys, rules), tuple(keys))


def ranking_numbers(content: str, keys: Sequence[str]) -> list[int]:
    """A validated ranking (``counting.canonical_ballot``'s content) as candidate numbers 1..c."""
    position = {k: i + 1 for i, k in enumerate(keys)}
    return [position[k] for k in json.loads(content)["ranking"]]


def _stored(ballot: ranked.SealedRanking) -> Sealed:
    return Sealed(
        ranked.canonical_bytes(ballot).decode(),
        ranked.tracking_code(ballot),
        tuple(point_to_text(c.alpha) for c in ballot.ranks),
    )


def seal_ranked(spec: RankedSpec, content: str) -> Sealed:
    """Seal a validated ranking at the door, in memory; its randomness is dropped here."""
    ballot, _opening = ranked.seal_ranking(
        spec.public_key, spec.seal_id, spec.question, ranking_numbers(content, spec.keys)
    )
    del _opening
    return _stored(ballot)


def accept_sealed_ranking(spec: RankedSpec, text: str) -> Sealed:
    """A ranking sealed in the browser: parsed strictly, every proof verified under this
    election's context. Copies of ciphertexts already cast are refused at the insert."""
    if not isinstance(text, str) or len(text) > MAX_SEALED_CHARS:
        raise ActionError("the sealed ballot is too long", field="sealed")
    try:
        ballot = ranked.ranking_from_json(json.loads(text, parse_constant=_refuse_constant))
        ranked.verify_ranking(spec.public_key, spec.seal_id, spec.question, ballot)
    except ValueError as exc:  # InvalidRanking is a ValueError; so is bad JSON
        raise ActionError(f"the sealed ballot is not valid: {exc}", field="sealed") from None
    return _stored(ballot)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def ranked_seal_params(
    *, seal_id: str, public_key: str, keys: Sequence[str], rules: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``seal-params`` block of a ranked ballot page, for the browser's sealer."""
    question = ranked_question(keys, rules)
    return {
        "election": seal_id,
        "public_key": public_key,
        "questions": [
            {
                "id": question.question_id,
                "kind": "ranked",
                "choices": question.candidates,
                "ranks": question.ranks,
                "answers": list(keys),
            }
        ],
        "candidates": list(keys),
    }


def record_sealing(ctx: ActionContext, election: Election, keys: Sequence[str]) -> None:
    """At open (inside its door, once the board is bound): the ranked ballot's shape."""
    question = ranked_question(keys, election.rules)
    ctx.record(
        election.organisation,
        RankedSealingV1(
            election=election.pk,
            board=election.board.uid if election.board else "",
            public_key=election.public_key,
            seal_id=election.seal_id,
            question=question.question_id,
            candidates=question.candidates,
            ranks=question.ranks,
        ),
        body=election.body,
    )


# --- close: publication and the request for the trustees' mix ----------------------------------


def _published_order(contents: Sequence[str]) -> list[str]:
    """The order the record publishes the sealed ballots in (by tracking code): the mix's input."""
    return sorted(contents, key=lambda c: b64encode(hashlib.sha256(c.encode()).digest()))


def _publish(ctx: ActionContext, election: Election, ordered: Sequence[str], voters: int) -> None:
    """Every sealed ballot on the record, in ``ordered`` (tracking-code) order, in chunks. The
    stored content is the ballot's canonical JSON, so its tracking code is the hash of the
    stored text."""
    ballots = [json.loads(c) for c in ordered]
    starts = range(0, max(len(ballots), 1), CHUNK)
    digests = []
    for n, start in enumerate(starts):
        part = ballots[start : start + CHUNK]
        digests.append(chunk_digest(part))
        ctx.record(
            election.organisation,
            RankedBallotsV1(
                election=election.pk,
                chunk=n,
                chunks=len(starts),
                ballots=part,
                digest=digests[-1],
            ),
            body=election.body,
        )
    ctx.record(
        election.organisation,
        RankedClosedV1(
            election=election.pk,
            voters=voters,
            roll_size=election.roll.size if election.roll else 0,
            ballots=len(ballots),
            chunks=len(starts),
            chain=chain_digests(digests),
        ),
        body=election.body,
    )


def close_ranked(
    ctx: ActionContext, election: Election, contents: Sequence[str], voters: int
) -> MixRequest | None:
    """At close, inside the close's door: publish the sealed rankings and ask the election's
    board to mix them, in the published order (ADR 0015). With no ballot, count at once
    (nothing to mix or decrypt). ``contents`` are the stored sealed ballots, each verified at
    cast. Nothing here shuffles: the trustees do, each with a proof."""
    ordered = _published_order(contents)
    _publish(ctx, election, ordered, voters)
    keys = [c.key for c in standing_candidates(election)]
    if not ordered:
        _count(ctx, election, keys, [], request=0)
        return None
    board = election.board
    if board is None:
        raise ActionError("this sealed vote has no board of trustees", code="blocked")
    ballots = [ranked.ranking_from_json(json.loads(c)).ranks for c in ordered]
    mix = request_mix(
        ctx,
        board,
        subject=f"election:{election.pk}:{SUBJECT_KIND}",
        election=election.pk,
        seal_id=election.seal_id,
        question=QUESTION_ID,
        ballots=ballots,
    )
    ctx.audit("request_mix", election, ballots=len(ballots), mix=mix.pk, rounds=mix.rounds)
    return mix


def on_rankings_mixed(
    ctx: ActionContext, mix: MixRequest, ballots: list[tuple[Ciphertext, ...]]
) -> DecryptionRequest:
    """Called by the trustee's shuffle that completes the mix, inside its door (its proof is
    already verified against the previous round): ask the board to decrypt the last output."""
    kind, pk, what = (mix.subject.split(":") + ["", ""])[:3]
    if kind != "election" or what != SUBJECT_KIND or not pk.isdigit():
        raise ActionError(f"mix {mix.pk} is not an election's rankings", field="subject")
    election = (
        Election.objects.select_for_update(of=("self",))
        .select_related("organisation", "body", "board")
        .get(pk=int(pk))
    )
    if election.state != Election.State.CLOSED:
        raise ActionError(
            f"election {election.pk} is {election.state}, not closed", code="conflict"
        )
    flat = [c for ranks in ballots for c in ranks]
    request = request_decryption(
        ctx,
        mix.board,
        subject=f"election:{election.pk}:{SUBJECT_KIND}",
        groups=[DecryptionGroup(mix.seal_id, mix.question, flat)],
    )
    ctx.audit("decrypt_mixed_rankings", election, mix=mix.pk, request=request.pk)
    ctx.record(
        election.organisation,
        RankingsShuffledV2(
            election=election.pk,
            seal_id=mix.seal_id,
            question=mix.question,
            ballots=len(ballots),
            ranks=mix.width,
            mix=mix.pk,
            rounds=mix.rounds,
            request=request.pk,
            digest=request.digest,
        ),
        body=election.body,
    )
    return request


# --- completion: decrypted points to rankings, published and counted ----------------------------


def on_rankings_decrypted(
    ctx: ActionContext, request: DecryptionRequest, election_pk: int, points: list[list[Point]]
) -> None:
    """Called by the trustees' submission that completes the decryption, inside its door."""
    election = (
        Election.objects.select_for_update(of=("self",))
        .select_related("organisation", "body", "roll")
        .get(pk=election_pk)
    )
    if election.state != Election.State.CLOSED:
        raise ActionError(
            f"election {election.pk} is {election.state}, not closed", code="conflict"
        )
    keys = [c.key for c in standing_candidates(election)]
    question = ranked_question(keys, election.rules)
    log = DiscreteLog(question.candidates)
    try:
        flat = [log.solve(p) for p in points[0]]
    except ValueError:
        # Impossible for ballots whose proofs verified: every rank is proved to hold 0..c.
        raise ActionError("a decrypted rank is not a candidate number", code="conflict") from None
    r = question.ranks
    if len(flat) % r:
        raise ActionError("the decrypted list is not whole ballots", code="conflict")
    values = [flat[i : i + r] for i in range(0, len(flat), r)]
    for chunk, start in enumerate(range(0, len(values), CHUNK)):
        ctx.record(
            election.organisation,
            RankingsDecryptedV1(
                election=election.pk,
                request=request.pk,
                chunk=chunk,
                values=values[start : start + CHUNK],
            ),
            body=election.body,
        )
    _count(ctx, election, keys, values, request=request.pk)


def _count(
    ctx: ActionContext,
    election: Election,
    keys: list[str],
    values: list[list[int]],
    *,
    request: int,
) -> None:
    ballots, spoilt = rankings_from_values(values, keys)
    result = count_ballots(election, keys, ballots)
    result["spoilt"] = spoilt
    election.result = result
    election.state = Election.State.COUNTED
    election.counted_at = now()
    election.save(update_fields=["result", "state", "counted_at"])
    ctx.audit("count_election", election, winners=result.get("winners"), spoilt=spoilt)
    ctx.record(
        election.organisation,
        RankedCountedV1(
            election=election.pk,
            request=request,
            method=election.method,
            seats=election.seats,
            rules=election.rules,
            seed=election.seed,
            ballots=len(values),
            spoilt=spoilt,
            result={k: v for k, v in result.items() if k != "spoilt"},
        ),
        body=election.body,
    )


on_election_decrypted(SUBJECT_KIND, on_rankings_decrypted)
register_mix_completion("election", on_rankings_mixed)
