"""Sealed votes at the door: what an election's ballots are sealed under, sealing a selection in
memory, and accepting a ballot sealed in the browser (docs/adr/0013-sealed-votes-threat-model.md).

A sealed vote is bound at open to the ready board of trustees of its unit (else of its
organisation) and to that board's public key. Every proof in its ballots is bound to its
``seal_id``, ``"<organisation slug>/election/<election id>"``, and to the question id ``"q1"``
(:data:`asamblea.rules.ballots.QUESTION_ID`): a ballot or proof lifted from another election, of
this organisation or another, fails verification. The browser's sealer (elections/static) reads
the same values from the ballot page's ``seal-params`` block.

Nothing here writes, logs or raises with a choice: a selection sealed at the door exists only in
this process's memory, and its randomness is dropped as soon as the proofs are made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asamblea.core.action import ActionContext
from asamblea.core.errors import ActionError, BlockingIssues
from asamblea.crypto import ballot as sealed
from asamblea.crypto.elgamal import DiscreteLog
from asamblea.crypto.group import Point, b64encode, point_from_text, point_to_text
from asamblea.elections import hooks
from asamblea.elections.models import Ballot, Election
from asamblea.elections.queries import AWAITING_DECRYPTION, NO_BOARD, standing_candidates
from asamblea.record.entries.elections import (
    ElectionCountedV2,
    ElectionSealingV1,
    ElectionTallyDecryptedV1,
    SealedQuestionPart,
    TotalsPart,
)
from asamblea.rules import ballots as counting

# A sealed ballot's canonical JSON is about 1 KB per answer; anything much longer is refused
# before it is parsed.
MAX_SEALED_CHARS = 2_000 + 1_200 * 64


def seal_id_for(organisation_slug: str, election_pk: int) -> str:
    """The election id every proof of this election's ballots is bound to."""
    return f"{organisation_slug}/election/{election_pk}"


@dataclass(frozen=True)
class SealSpec:
    """What an open sealed vote's ballots are sealed under and must look like."""

    seal_id: str
    public_key: Point
    question: sealed.Question
    method: str
    keys: tuple[str, ...]

    @classmethod
    def of(
        cls,
        *,
        seal_id: str,
        public_key: str,
        method: str,
        keys: Sequence[str],
        rules: Mapping[str, Any],
    ) -> SealSpec:
        return cls(
            seal_id,
            point_from_text(public_key),
            counting.sealed_question(method, keys, rules),
            method,
            tuple(keys),
        )

    @property
    def questions(self) -> tuple[sealed.Question, ...]:
        return (self.question,)


@dataclass(frozen=True)
class Sealed:
    """A ballot ready to store: its canonical JSON, its tracking code and its fingerprints."""

    content: str
    tracking_code: str
    fingerprints: tuple[str, ...]


def _stored(ballot: sealed.SealedBallot) -> Sealed:
    data = sealed.canonical_bytes(ballot)
    alphas = tuple(point_to_text(c.alpha) for answer in ballot.answers for c in answer.choices)
    # sealed.tracking_code(ballot), from the bytes already made: not the JSON a second time.
    return Sealed(data.decode(), b64encode(hashlib.sha256(data).digest()), alphas)


def seal_selection(spec: SealSpec, content: str) -> Sealed:
    """Seal a validated selection (``counting.canonical_ballot``'s content) at the door, in
    memory: the randomness (the opening) is dropped here, so not even this process can read the
    ballot back."""
    vector = counting.selection_vector(content, spec.method, spec.keys)
    ballot, _opening = sealed.seal_ballot(spec.public_key, spec.seal_id, spec.questions, [vector])
    del _opening
    return _stored(ballot)


def accept_sealed(spec: SealSpec, text: str) -> Sealed:
    """A ballot sealed in the browser, parsed strictly and verified under this election's context
    (shape, every proof). Copies of ciphertexts already cast are refused at the insert."""
    if not isinstance(text, str) or len(text) > MAX_SEALED_CHARS:
        raise ActionError("the sealed ballot is too long", field="sealed")
    try:
        obj = json.loads(text, parse_constant=_refuse_constant)
        ballot = sealed.ballot_from_json(obj)
        sealed.verify_ballot(spec.public_key, spec.seal_id, spec.questions, ballot)
    except (ValueError, sealed.InvalidBallot) as exc:
        # InvalidBallot's reasons name no secret (a ballot sealed elsewhere carries none here).
        raise ActionError(f"the sealed ballot is not valid: {exc}", field="sealed") from None
    return _stored(ballot)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def seal_params(
    *, seal_id: str, public_key: str, method: str, keys: Sequence[str], rules: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``seal-params`` data block of the ballot page, for the browser's sealer."""
    question = counting.sealed_question(method, keys, rules)
    return {
        "election": seal_id,
        "public_key": public_key,
        "questions": [
            {
                "id": question.question_id,
                "choices": question.choices,
                # What each 0/1 value stands for, in order: the form's values ("yes", "no",
                # instruction options, candidates' keys).
                "answers": counting.sealed_answers(method, keys),
                "min": question.min_selected,
                "max": question.max_selected,
            }
        ],
        "candidates": list(keys),
    }


# --- open, decrypt, count (called by the lifecycle's doors; the close is in tally_jobs) ---------

# At most this many ballots, and about this many bytes of them, in one ``ballots_published``.
CHUNK_BALLOTS = 1000
CHUNK_BYTES = 1_000_000


def sealable(election: Election) -> bool:
    """Whether the election's ballots are sealed and counted from homomorphic totals here."""
    return counting.is_sealable(election.method)


def board_for(election: Election) -> Any:
    from asamblea.trustees.queries import board_for as ready_board

    return ready_board(election.organisation, election.unit)


def bind_board(election: Election) -> None:
    """At open (inside its door, before the save): bind the vote to the ready board and key."""
    board = board_for(election)
    if board is None:
        raise BlockingIssues([NO_BOARD])
    election.board = board
    election.public_key = board.public_key
    election.seal_id = seal_id_for(election.organisation.slug, election.pk)


def record_sealing(ctx: ActionContext, election: Election, keys: Sequence[str]) -> None:
    question = counting.sealed_question(election.method, keys, election.rules)
    entry = ElectionSealingV1(
        election=election.pk,
        board=election.board.uid if election.board else "",
        public_key=election.public_key,
        seal_id=election.seal_id,
        questions=[
            SealedQuestionPart(
                id=question.question_id,
                answers=counting.sealed_answers(election.method, keys),
                min=question.min_selected,
                max=question.max_selected,
            )
        ],
    )
    ctx.record(election.organisation, entry, body=election.body)


def tracking(content: str) -> str:
    """A stored sealed ballot's tracking code: the hash of its canonical JSON, as in the browser.
    The close publishes ballots in this order (``tally_jobs``)."""
    return b64encode(hashlib.sha256(content.encode()).digest())


# The trustees' completion handler for subjects "election:<id>:<kind>": "tally" is ours; C's
# ranked ballots add "rankings" with :func:`on_election_decrypted`.
ElectionCompletion = Callable[[ActionContext, Any, int, list[list[Point]]], Any]
ELECTION_COMPLETIONS: dict[str, ElectionCompletion] = {}


def on_election_decrypted(kind: str, fn: ElectionCompletion) -> None:
    ELECTION_COMPLETIONS[kind] = fn


def _dispatch(ctx: ActionContext, request: Any, points: list[list[Point]]) -> None:
    _prefix, pk, kind = request.subject.split(":", 2)
    ELECTION_COMPLETIONS[kind](ctx, request, int(pk), points)


def _tally_decrypted(
    ctx: ActionContext, request: Any, election_pk: int, points: list[list[Point]]
) -> None:
    """Inside the door of the trustee submission that completed the decryption: the totals by
    the bounded discrete log (no total exceeds the number of ballots), stored and recorded."""
    election = (
        Election.objects.select_for_update()
        .select_related("organisation", "body")
        .get(pk=election_pk)
    )
    bound = Ballot.objects.filter(election=election).count()
    dlog = DiscreteLog(bound)
    totals = [[dlog.solve(p) for p in group] for group in points]
    election.totals = [{"question": counting.QUESTION_ID, "totals": totals[0]}]
    election.save(update_fields=["totals"])
    ctx.audit("tally_decrypted", election, request=request.pk)
    ctx.record(
        election.organisation,
        ElectionTallyDecryptedV1(
            election=election.pk,
            request=request.pk,
            totals=[TotalsPart(question=counting.QUESTION_ID, totals=totals[0])],
        ),
        body=election.body,
    )
    # Another app's kind (a unit's instruction vote) is counted as soon as it is decrypted.
    hooks.decrypted(ctx, election)


on_election_decrypted("tally", _tally_decrypted)


def register() -> None:
    """Hand the trustees' app our completion handler (at app start and on import)."""
    from asamblea.trustees.decryption import register_completion

    register_completion("election", _dispatch)


def count_sealed(ctx: ActionContext, election: Election) -> dict[str, Any]:
    """The officer's count of a sealed vote: from the decrypted totals, as the record states."""
    if not election.totals:
        raise BlockingIssues([AWAITING_DECRYPTION])
    keys = [c.key for c in standing_candidates(election)]
    ballots = Ballot.objects.filter(election=election).count()
    totals = election.totals[0]["totals"]
    result = counting.count_totals(
        election.method,
        keys,
        totals,
        ballots,
        seats=election.seats,
        seed=election.seed,
        rules=election.rules,
        roll_size=election.roll.size if election.roll else 0,
    )
    entry = ElectionCountedV2(
        election=election.pk,
        method=election.method,
        seats=election.seats,
        rules=election.rules,
        seed=election.seed,
        ballots=ballots,
        totals=[TotalsPart(question=t["question"], totals=t["totals"]) for t in election.totals],
        result=result,
    )
    ctx.record(election.organisation, entry, body=election.body)
    return result
