"""Permission-checked fetches of elections, petitions and signatures: "not found" for
missing and forbidden alike."""

from __future__ import annotations

from typing import Any

from asamblea.core.errors import NotFoundOrForbidden
from asamblea.elections.actions._common import is_officer
from asamblea.elections.models import (
    Election,
    RecallPetition,
    Signature,
)
from asamblea.registry.models import (
    OfficerRole,
)


def access_election_by_id(election_id: int) -> Election:
    """Elections are public once created."""
    # get(), not filter().first(): first() orders by the key, and compiling an ORDER BY over the
    # four joined tables' columns cost more CPU than the rest of a cast (Django 5.2).
    try:
        return Election.objects.select_related("organisation", "unit", "body", "roll").get(
            pk=election_id
        )
    except Election.DoesNotExist:
        raise NotFoundOrForbidden("election") from None


def access_petition_by_id(petition_id: int) -> RecallPetition:
    petition = (
        RecallPetition.objects.select_related(
            "organisation", "unit", "roll", "mandate__seat__body", "mandate__member", "election"
        )
        .filter(pk=petition_id)
        .first()
    )
    if petition is None:
        raise NotFoundOrForbidden("recall petition")
    return petition


def access_signatures_by_user(user: Any, petition: RecallPetition) -> list[Signature]:
    """Officers checking the petition see the signers; never the target, even as an officer."""
    target = petition.mandate.member
    if getattr(user, "is_authenticated", False) and getattr(user, "member", None) == target:
        raise NotFoundOrForbidden("signatures")
    if not is_officer(
        user,
        petition.organisation,
        petition.unit,
        OfficerRole.Role.ELECTION_OFFICER,
        OfficerRole.Role.REGISTRAR,
    ):
        raise NotFoundOrForbidden("signatures")
    return list(petition.signatures.select_related("roll_entry__member").order_by("signed_at"))
