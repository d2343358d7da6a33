"""Permission-checked fetches of elections, petitions and signatures, all through the one
predicate (:mod:`asamblea.core.permissions`). Elections and petitions are public once created;
a petition's signers are for the officers checking it, and "not found" answers both a missing
petition and a forbidden look at its signers."""

from __future__ import annotations

from typing import Any

from asamblea.core.errors import NotFoundOrForbidden
from asamblea.core.permissions import Role, has_role
from asamblea.elections.models import Election, RecallPetition, Signature
from asamblea.registry.models import Member

SIGNATURE_READERS = (Role.ELECTION_OFFICER, Role.REGISTRAR)


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
    if getattr(user, "is_authenticated", False) and (
        Member.objects.filter(user=user, pk=target.pk).exists()
    ):
        raise NotFoundOrForbidden("signatures")
    if not has_role(user, petition.organisation, SIGNATURE_READERS, petition.unit):
        raise NotFoundOrForbidden("signatures")
    return list(petition.signatures.select_related("roll_entry__member").order_by("signed_at"))
