"""Officer roles: granting and revoking offices.

Who may grant (until the approvals issue puts a second officer on it): the platform operator or
a registrar of that organisation, and never the person who would receive the role.
"""

from __future__ import annotations

from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden, Role, has_role, is_operator
from asamblea.record.entries.registry import OfficePart, OfficerRoleGrantedV1, OfficerRoleRevokedV1
from asamblea.registry.models import Body, OfficerRole, Organisation


def _office(user: Any, role: str, body: Body | None) -> OfficePart:
    # The display name, never the sign-in name: publishing it would help guess passwords.
    name = (user.get_full_name() or "").strip() or f"user {user.pk}"
    return OfficePart(
        user_id=user.pk, name=name[:200], role=role, body=body.code if body else None, at=now()
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


@door("registry.grant_role")
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
    if not created:
        ctx.unchanged()
        return office
    ctx.audit("officer.grant", office, user=user.get_username(), role=role)
    ctx.record(organisation, OfficerRoleGrantedV1(office=_office(user, role, body)), body=body)
    return office


def check_revoke_role(
    user: Any, grantee: Any, organisation: Organisation, role: str, body: Body | None = None
) -> int:
    _may_grant(user, organisation, grantee)
    return do_revoke_role(user, grantee, organisation, role, body)


@door("registry.revoke_role")
def do_revoke_role(
    ctx: ActionContext, user: Any, organisation: Organisation, role: str, body: Body | None = None
) -> int:
    deleted, _ = OfficerRole.objects.filter(
        user=user, organisation=organisation, body=body, role=role
    ).delete()
    if not deleted:
        ctx.unchanged()
        return 0
    ctx.audit("officer.revoke", organisation, user=user.get_username(), role=role)
    ctx.record(organisation, OfficerRoleRevokedV1(office=_office(user, role, body)), body=body)
    return deleted
