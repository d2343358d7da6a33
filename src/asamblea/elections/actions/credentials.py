"""Voting credentials: single-use codes issued when a vote opens, reissued on cards.

A code is e-mailed to a member with an address, or returned (in memory only, never stored) to be
printed on a card; the server keeps only its HMAC. Nothing public ever says which member got a
code or a new one: that would say who has not voted yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from asamblea.core import approvals
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.mail import member_language, queue_translated
from asamblea.core.models import Approval, ReplacedCredential
from asamblea.elections import messages as m
from asamblea.elections import secrecy, storage
from asamblea.elections.actions._common import State, locked, nested, require_officer_of
from asamblea.elections.models import Election, Participation, VotingCredential
from asamblea.record.entries.elections import CredentialsReissuedV1
from asamblea.registry.models import Member, Roll, RollEntry


def secrets_code() -> str:
    return secrecy.new_credential()


def issue_credentials(election: Election, roll: Roll) -> dict[int, str]:
    """A fresh code for every member on ``roll``, inside the opening's transaction: e-mailed to
    those with an address, returned (member pk -> code) for the others' printed cards.

    Creates the vote's partitions first (PostgreSQL), then mints in batches of roll entries
    (:func:`asamblea.elections.storage.mint_batch`, which a job may call chunk by chunk)."""
    assert roll.pk == election.roll_id
    storage.ensure_partitions(election)
    return storage.mint_all(election).printed


REISSUE = "elections.reissue_credentials"


def check_reissue_credentials(
    actor: Any, election: Election, members: Sequence[Member] | None = None
) -> Approval:
    """An election officer proposes new cards; a different officer approves (SYSTEM.md: one
    officer alone could mint codes for members who have not voted). The new codes go to the
    proposer once, through the approval's result (``election cards ID --approval N``)."""
    require_officer_of(actor, election)
    if election.state != State.OPEN:
        raise ActionError("codes are issued only while the vote is open", field="election")
    wanted = None if members is None else sorted(m.public_id for m in members)
    return approvals.do_propose(
        actor,
        REISSUE,
        organisation_id=election.organisation_id,
        body_id=election.body_id,
        target_id=election.pk,
        params={"members": wanted},
    )


def _may_approve_reissue(user: Any, approval: Approval) -> None:
    require_officer_of(user, Election.objects.get(pk=int(approval.target_id)))


def _run_reissue(ctx: ActionContext, approval: Approval) -> dict[str, Any]:
    election = Election.objects.get(pk=int(approval.target_id))
    wanted = approval.params.get("members")
    members = None if wanted is None else list(Member.objects.filter(public_id__in=wanted))
    codes = nested(ctx, do_reissue_credentials, election, members, approval=approval)
    return {"cards": {str(pk): code for pk, code in codes.items()}}


approvals.register_kind(
    approvals.ApprovalKind(
        REISSUE,
        may_approve=_may_approve_reissue,
        run=_run_reissue,
        describe=lambda a: f"reissue voting cards for election {a.target_id}",
    )
)


def _tell_member(election: Election, member: Member, at: dt.datetime) -> None:
    if not member.email:
        return
    queue_translated(
        member.email,
        member_language(member),
        m.CARD_REPLACED_SUBJECT,
        m.CARD_REPLACED_BODY,
        {"title": election.title, "at": f"{at:%Y-%m-%d %H:%M}"},
    )


@door(REISSUE)
def do_reissue_credentials(
    ctx: ActionContext,
    election: Election,
    members: Sequence[Member] | None = None,
    *,
    approval: Approval | None = None,
) -> dict[int, str]:
    """New codes (to print on cards) for roll members who have not voted; old codes stop working
    and are kept as HMACs with the time they were replaced, so a used old card is told so.

    ``members`` None means every roll member without an e-mail address. Returns member pk ->
    code, held in memory only. The record says how many and when, never whose; each member with
    an address is told (delivered after the commit).
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
        old = VotingCredential.objects.filter(election=election, member=entry.member)
        ReplacedCredential.objects.bulk_create(
            ReplacedCredential(election_id=election.pk, code_hmac=h, replaced_at=at)
            for h in old.values_list("code_hmac", flat=True)
        )
        old.delete()
        VotingCredential.objects.create(
            election=election,
            member=entry.member,
            code_hmac=secrecy.credential_hmac(code),
            issued_at=at,
        )
        codes[entry.member.pk] = code
        # Queued in this transaction, delivered by the outbox once it commits: the notice
        # cannot be lost between the commit and a callback.
        _tell_member(election, entry.member, at)
    detail = {} if approval is None else {"proposed_by": approval.proposer.get_username()}
    ctx.audit("reissue_credentials", election, count=len(codes), **detail)
    reissued = CredentialsReissuedV1(election=election.pk, count=len(codes), reissued_at=at)
    ctx.record(election.organisation, reissued, body=election.body)
    return codes
