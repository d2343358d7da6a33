"""Voting credentials: single-use codes issued when a vote opens, reissued on cards.

A code is e-mailed to a member with an address, or returned (in memory only, never stored) to be
printed on a card; the server keeps only its HMAC. Nothing public ever says which member got a
code or a new one: that would say who has not voted yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.outbox import queue_email
from asamblea.elections import secrecy
from asamblea.elections.actions._common import State, locked, require_officer_of
from asamblea.elections.models import Election, Participation, VotingCredential
from asamblea.record.entries.elections import CredentialsReissuedV1
from asamblea.registry.models import Member, Roll, RollEntry


def secrets_code() -> str:
    return secrecy.new_credential()


def issue_credentials(election: Election, roll: Roll) -> dict[int, str]:
    """A fresh code for every member on ``roll``, inside the opening's transaction: e-mailed to
    those with an address, returned (member pk -> code) for the others' printed cards."""
    printed: dict[int, str] = {}
    rows = []
    for entry in RollEntry.objects.filter(roll=roll).select_related("member"):
        code = secrets_code()
        rows.append(
            VotingCredential(
                election=election,
                member=entry.member,
                code_hmac=secrecy.credential_hmac(code),
                issued_at=election.opened_at,
            )
        )
        if entry.member.email:
            queue_email(
                entry.member.email,
                f"Vote open: {election.title}",
                f"The vote '{election.title}' is open.\n\nYour single-use voting code:\n\n"
                f"    {secrecy.format_code(code)}\n\nVote at /elections/{election.pk}/vote/ . "
                "Nobody, not even the officers, can see how you vote.",
                is_secret=True,
            )
        else:
            printed[entry.member.pk] = code
    VotingCredential.objects.bulk_create(rows, batch_size=1000)
    return printed


def check_reissue_credentials(
    actor: Any, election: Election, members: Sequence[Member] | None = None
) -> dict[int, str]:
    """An election officer prints new cards (SYSTEM.md wants a second officer's approval here;
    until approvals exist, one officer, signed in)."""
    require_officer_of(actor, election)
    return do_reissue_credentials(actor, election, members)


@door("elections.reissue_credentials")
def do_reissue_credentials(
    ctx: ActionContext, election: Election, members: Sequence[Member] | None = None
) -> dict[int, str]:
    """New codes (to print on cards) for roll members who have not voted; old codes stop working.

    ``members`` None means every roll member without an e-mail address. Returns member pk ->
    code, held in memory only. The record says how many, never whose.
    """
    election = locked(election)
    if election.state != State.OPEN:
        raise ActionError("codes are issued only while the vote is open", field="election")
    entries = RollEntry.objects.filter(roll_id=election.roll_id).select_related("member")
    if members is not None:
        entries = entries.filter(member__in=list(members))
    else:
        entries = entries.filter(member__email="")
    voted = set(
        Participation.objects.filter(election=election).values_list("roll_entry_id", flat=True)
    )
    codes: dict[int, str] = {}
    at = now()
    for entry in entries:
        if entry.pk in voted:
            continue
        code = secrecy.new_credential()
        VotingCredential.objects.filter(election=election, member=entry.member).delete()
        VotingCredential.objects.create(
            election=election,
            member=entry.member,
            code_hmac=secrecy.credential_hmac(code),
            issued_at=now(),
        )
        codes[entry.member.pk] = code
    ctx.audit("reissue_credentials", election, count=len(codes))
    reissued = CredentialsReissuedV1(election=election.pk, count=len(codes), reissued_at=at)
    ctx.record(election.organisation, reissued, body=election.body)
    return codes
