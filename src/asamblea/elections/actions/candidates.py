"""A candidate withdraws before the vote opens: by their own wish, or entered by an officer.

Only while nominations are open (or the election is a draft): once the vote opens, the ballot's
candidates are on the record (``election_opened``) and ballots name them. The opening then
lists only those still standing (``queries.standing_candidates``).
"""

from __future__ import annotations

from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden, Role
from asamblea.elections.actions._common import State, holds_office, locked, own_member
from asamblea.elections.models import Candidate, Election
from asamblea.record.entries.candidates import CandidateWithdrawnV1

WITHDRAWABLE = (State.DRAFT, State.NOMINATIONS)


def check_withdraw_candidate(actor: Any, election: Election, key: str) -> Candidate:
    """An election officer of the election (its organisation, unit or body), or the candidate
    themself, withdraws a candidacy."""
    candidate = election.candidates.select_related("member").filter(key=key).first()
    if candidate is None:
        raise ActionError("no such candidate", field="candidate")
    officer = holds_office(
        actor, election.organisation, Role.ELECTION_OFFICER, election.unit, election.body
    )
    if not officer and own_member(actor) != candidate.member:
        raise Forbidden("only an election officer, or the candidate themself, may do this")
    return do_withdraw_candidate(actor, election, candidate)


@door("elections.withdraw_candidate")
def do_withdraw_candidate(
    ctx: ActionContext, election: Election, candidate: Candidate
) -> Candidate:
    election = locked(election)
    if election.state not in WITHDRAWABLE:
        raise ActionError(
            "a candidate withdraws only before the vote opens", field="election", code="conflict"
        )
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.withdrawn_at is not None:
        raise ActionError("the candidate has already withdrawn", field="candidate")
    candidate.withdrawn_at = now()
    candidate.save(update_fields=["withdrawn_at"])
    ctx.audit("withdraw_candidate", candidate, election=election.pk)
    entry = CandidateWithdrawnV1(election=election.pk, key=candidate.key)
    ctx.record(election.organisation, entry, body=election.body)
    return candidate
