"""The read side of elections and recalls, shared by pages, API and CLI.

Each summary is built here once: :func:`election_summary` (a row of a listing),
:func:`election_detail` (one election: candidates, roll, result when counted, what blocks its
next step) and :func:`recall_summary`. What is secret until close (ballots, tracking codes,
the seed, the number of voters) is left out until the election is published.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from asamblea.counting.methods import METHODS
from asamblea.elections.models import Election, RecallPetition
from asamblea.elections.published import count_voters
from asamblea.rules import lifecycle
from asamblea.rules.recall import RecallRules

PUBLISHED = (Election.State.CLOSED, Election.State.COUNTED, Election.State.CERTIFIED)
COUNTED = (Election.State.COUNTED, Election.State.CERTIFIED)


def when(value: dt.datetime | None) -> str | None:
    """A time as the API, the CLI and the v1 election entries show it (UTC, whole seconds)."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def blocking_issues(election: Election, to_state: str) -> list[str]:
    """Why ``election`` may not move to ``to_state`` now; empty when it may
    (:func:`asamblea.rules.lifecycle.blocking_issues` over the election's values)."""
    kind = str(election.kind)
    standing = 0
    if to_state == lifecycle.OPEN and kind != lifecycle.RECALL:
        standing = election.candidates.filter(withdrawn_at__isnull=True).count()
    certifications = 0
    if to_state == lifecycle.CERTIFIED:
        certifications = election.certifications.count()
    issues = lifecycle.blocking_issues(
        state=str(election.state),
        to_state=to_state,
        kind=kind,
        standing=standing,
        method=election.method,
        methods=METHODS,
        certifications=certifications,
    )
    return issues + sealing_issues(election, to_state)


# Sealed votes (docs/adr/0013-sealed-votes-threat-model.md): what blocks opening and counting.
NO_BOARD = (
    "no trustee board: name trustees first (a ready board of the unit or of the organisation "
    "seals the vote, and k of its n trustees decrypt the totals)"
)
AWAITING_DECRYPTION = (
    "closed, awaiting decryption: k of the board's trustees must decrypt the tally"
)
# A sealed ranked vote (ADRs 0014, 0015) waits first for k shuffles by k different trustees, then
# for the decryption of the last one's output; the submission that completes it counts.
RANKINGS_AWAITING_SHUFFLE = (
    "closed, awaiting shuffle {n} of {k}: a trustee of the board who has not shuffled yet must "
    "shuffle the sealed rankings with proof; the decryption follows the last shuffle"
)
RANKINGS_AWAITING_DECRYPTION = (
    "closed, awaiting decryption: k of the board's trustees must decrypt the shuffled rankings;"
    " the last one to do so counts them"
)


def sealing_issues(election: Election, to_state: str) -> list[str]:
    from asamblea.rules.ballots import ballot_kind, is_sealable
    from asamblea.trustees.queries import board_for

    opening = to_state == lifecycle.OPEN and election.state != lifecycle.OPEN
    if opening and board_for(election.organisation, election.unit) is None:
        return [NO_BOARD]
    counting = to_state == lifecycle.COUNTED and election.state == lifecycle.CLOSED
    sealed = election.is_sealed and is_sealable(election.method)
    if counting and sealed and not election.totals:
        return [AWAITING_DECRYPTION]
    if counting and election.is_sealed and ballot_kind(election.method) == "ranked":
        return [rankings_awaited(election)]
    return []


def rankings_awaited(election: Election) -> str:
    """The step a closed sealed ranked vote waits for: shuffle n of k while its mix is pending
    (``current``, the list itself, is never loaded here), else the decryption."""
    from asamblea.trustees.models import MixRequest, MixShuffle

    pending = (
        MixRequest.objects.filter(
            subject=f"election:{election.pk}:rankings", state=MixRequest.State.PENDING
        )
        .values_list("pk", "rounds")
        .first()
    )
    if pending is None:
        return RANKINGS_AWAITING_DECRYPTION
    mix, rounds = pending
    done = MixShuffle.objects.filter(mix_id=mix).count()
    return RANKINGS_AWAITING_SHUFFLE.format(n=done + 1, k=rounds)


def next_state(election: Election) -> str:
    return lifecycle.next_state(str(election.state))


def is_published(election: Election) -> bool:
    """Ballots, tracking codes and the number of voters are public once the vote closed."""
    return election.state in PUBLISHED


def standing_candidates(election: Election) -> list[Any]:
    return list(election.candidates.filter(withdrawn_at__isnull=True).order_by("position"))


def election_summary(e: Election) -> dict[str, Any]:
    """One election as a row of a listing."""
    return {
        "id": e.pk,
        "title": e.title,
        "kind": e.kind,
        "state": e.state,
        "unit": e.unit.code,
        "body": e.body.code,
        "seats": e.seats,
        "method": e.method,
        "opens_at": when(e.opens_at),
        "closes_at": when(e.closes_at),
        "opened_at": when(e.opened_at),
        "closed_at": when(e.closed_at),
    }


def election_detail(e: Election) -> dict[str, Any]:
    """One election in full: what the API returns, the page shows and ``election show`` prints."""
    counted = e.state in COUNTED
    return {
        **election_summary(e),
        "rules": e.rules,
        "candidates": [{"key": c.key, "name": c.name} for c in standing_candidates(e)],
        "roll_size": e.roll.size if e.roll else None,
        "seed_commitment": e.seed_commitment,
        "seed": e.seed if counted else None,
        # Kept once counted: a closed vote's number of voters never changes (published.py).
        "voters": count_voters(e) if is_published(e) else None,
        "result": e.result if counted else None,
        "blocking_issues": blocking_issues(e, next_state(e)),
    }


def standing_signatures(petition: RecallPetition) -> int:
    return petition.signatures.filter(withdrawn_at__isnull=True).count()


def recall_rules_of(petition: RecallPetition) -> RecallRules:
    """The rules in force when the petition opened (not today's settings)."""
    return RecallRules.from_settings(
        {"recall": {k: v for k, v in petition.rules.items() if k != "route"}}
    )


def recall_summary(p: RecallPetition) -> dict[str, Any]:
    """One recall petition: the public sees counts, never signers."""
    rules = recall_rules_of(p)
    return {
        "id": p.pk,
        "state": p.state,
        "unit": p.unit.code,
        "body": p.mandate.seat.body.code,
        "mandate": p.mandate_id,
        "member": p.mandate.member.public_id,
        "name": p.mandate.member.display_name,
        "reason": p.reason,
        "roll_size": p.roll.size,
        "signatures": standing_signatures(p),
        "signatures_needed": rules.signatures_needed(p.roll.size),
        "opened_at": when(p.opened_at),
        "deadline_at": when(p.deadline_at),
        "election": p.election_id,
        "meeting_result": p.meeting_result,
    }
