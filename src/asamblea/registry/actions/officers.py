"""Officer roles: granting and revoking offices."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from asamblea.core.audit import audit
from asamblea.core.errors import ActionError
from asamblea.registry.models import (
    Body,
    OfficerRole,
    Organisation,
)


@transaction.atomic
def do_grant_role(
    actor: Any, user: Any, organisation: Organisation, role: str, body: Body | None = None
) -> OfficerRole:
    if role not in OfficerRole.Role.values:
        raise ActionError(f"unknown role {role!r}", field="role")
    if body is not None and body.organisation_id != organisation.pk:
        raise ActionError("the body is not in this organisation", field="body")
    office, created = OfficerRole.objects.get_or_create(
        user=user, organisation=organisation, body=body, role=role
    )
    if created:
        audit(actor, "officer.grant", office, user=user.get_username(), role=role)
    return office


@transaction.atomic
def do_revoke_role(
    actor: Any, user: Any, organisation: Organisation, role: str, body: Body | None = None
) -> int:
    deleted, _ = OfficerRole.objects.filter(
        user=user, organisation=organisation, body=body, role=role
    ).delete()
    if deleted:
        audit(actor, "officer.revoke", organisation, user=user.get_username(), role=role)
    return deleted
