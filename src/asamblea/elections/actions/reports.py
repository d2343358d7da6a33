"""A member reports that a ballot was recorded for them that they did not cast.

Two colluding officers could reissue an abstainer's credential and vote with it (issue 16). The
member's own page shows, for each vote of their unit, whether a ballot was recorded for them
(from the participation rows: never what was voted), and this report puts what they saw in
front of the officers and auditors. It is private: the report names a member and says whether
they voted, which the public record never does.
"""

from __future__ import annotations

from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import is_active_user
from asamblea.elections.models import Election, Participation
from asamblea.registry.models import Member, RollEntry

REPORT_PRIVATE = (
    "a member's report names them and says a ballot was recorded for them: for the audit, "
    "never for the public record"
)
MAX_NOTE = 1000


def ballot_recorded_for(member: Member, election: Election) -> bool | None:
    """Whether a ballot was recorded for ``member`` in ``election``; None if not on its roll."""
    entry = RollEntry.objects.filter(roll_id=election.roll_id, member=member).first()
    if entry is None:
        return None
    return Participation.objects.filter(election=election, roll_entry=entry).exists()


def check_report_misuse(actor: Any, election_id: int, note: str = "") -> Any:
    """The signed-in member's report on an election of their roll; refused for anyone else."""
    if not is_active_user(actor):
        raise NotFoundOrForbidden("election")
    member = Member.objects.filter(user=actor).first()
    election = Election.objects.filter(pk=election_id).first()
    if member is None or election is None or election.roll_id is None:
        raise NotFoundOrForbidden("election")
    recorded = ballot_recorded_for(member, election)
    if recorded is None:
        raise NotFoundOrForbidden("election")
    if not recorded:
        raise ActionError("no ballot was recorded for you in this vote", field="election")
    return do_report_misuse(actor, election, member, note=note)


@door("elections.report_misuse", private=REPORT_PRIVATE)
def do_report_misuse(
    ctx: ActionContext, election: Election, member: Member, *, note: str = ""
) -> Any:
    return ctx.audit(
        "ballot_misuse_reported",
        election,
        member=member.public_id,
        note=(note or "").strip()[:MAX_NOTE],
    )
