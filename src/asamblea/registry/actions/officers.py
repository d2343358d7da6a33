"""Officer roles: granting and revoking offices.

Who may grant (until the approvals issue puts a second officer on it): the platform operator or
a registrar of that organisation, and never the person who would receive the role.
"""

from __future__ import annotations

from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden, Role, has_role, is_operator
from asamblea.registry.models import Body, OfficerRole, Organisation

OFFICE_PRIVATE = (
    "offices have no record entry type yet; granting and revoking are audited with both names"
)


def _may_grant(user: Any, organisation: Organisation, grantee: Any) -> None:
    if getattr(grantee, "pk", None) is not None and getattr(user, "pk", None) == grantee.pk:
        raise Forbidden("no one grants or revokes a role of their own")
    if not (is_operator(user) or has_role(user, organisation, Role.REGISTRAR)):
        raise Forbidden("only the operator or a registrar of the organisation may do this")


def check_grant_role(
    user: Any, grantee: Any, organisation: Organisation, role: str, body: Body | None = None
) -> OfficerRole:
    _may_grant(user, organisation, grantee)
    return do_grant_role(user, grantee, organisation, role, body)


@door("registry.grant_role", private=OFFICE_PRIVATE)
def do_grant_role(
    ctx: ActionContext, user: Any, organisation: Organisation, role: str, body: Body | None = None
) -> OfficerRole:
    if role not in OfficerRole.Role.values:
        raise ActionError(f"unknown role {role!r}", field="role")
    if body is not None and body.organisation_id != organisation.pk:
        raise ActionError("the body is not in this organisation", field="body")
    office, created = OfficerRole.objects.get_or_create(
        user=user, organisation=organisation, body=body, role=role
    )
    if created:
        ctx.audit("officer.grant", office, user=user.get_username(), role=role)
    return office


def check_revoke_role(
    user: Any, grantee: Any, organisation: Organisation, role: str, body: Body | None = None
) -> int:
    _may_grant(user, organisation, grantee)
    return do_revoke_role(user, grantee, organisation, role, body)


@door("registry.revoke_role", private=OFFICE_PRIVATE)
def do_revoke_role(
    ctx: ActionContext, user: Any, organisation: Organisation, role: str, body: Body | None = None
) -> int:
    deleted, _ = OfficerRole.objects.filter(
        user=user, organisation=organisation, body=body, role=role
    ).delete()
    if deleted:
        ctx.audit("officer.revoke", organisation, user=user.get_username(), role=role)
    return deleted
