"""Voting credentials: single-use codes issued when a vote opens, reissued on cards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.elections import secrecy
from asamblea.elections.actions._common import State, _locked
from asamblea.elections.models import (
    Election,
    Participation,
    VotingCredential,
)
from asamblea.registry.models import (
    Member,
    RollEntry,
)


def secrets_code() -> str:
    return secrecy.new_credential()


@transaction.atomic
def do_reissue_credentials(
    actor: Any, election: Election, members: Sequence[Member] | None = None
) -> dict[int, str]:
    """New codes (to print on cards) for roll members who have not voted; old codes stop working.

    ``members`` None means every roll member without an e-mail address. Returns member pk ->
    code, held in memory only.
    """
    election = _locked(election)
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
    audit(actor, "reissue_credentials", election, count=len(codes))
    return codes
