"""Officer roles: granting and revoking offices.

Bootstrap: while an organisation has fewer than :data:`BOOTSTRAP_OFFICERS` officers, the platform
operator (an authenticated superuser, or :class:`Operator` on the server) grants them directly, on
the public record. Every later grant or revocation is proposed by a registrar of the organisation
and approved by a different officer of the whole organisation, in their own session with a fresh
second factor (:mod:`asamblea.core.approvals`); never by the person who would receive or lose it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from asamblea.core import approvals
from asamblea.core.action import ActionContext, Operator, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.models import Approval
from asamblea.core.permissions import (
    OFFICES,
    Forbidden,
    Role,
    has_role,
    is_operator,
    require_role,
)
from asamblea.record.entries.registry import OfficePart, OfficerRoleGrantedV1, OfficerRoleRevokedV1
from asamblea.registry.models import Body, OfficerRole, Organisation


def _office(user: Any, role: str, body: Body | None) -> OfficePart:
    # The display name, never the sign-in name: publishing it would help guess passwords.
    name = (user.get_full_name() or "").strip() or f"user {user.pk}"
    return OfficePart(
        user_id=user.pk, name=name[:200], role=role, body=body.code if body else None, at=now()
    )


BOOTSTRAP_OFFICERS = 2
GRANT = "registry.grant_role"
REVOKE = "registry.revoke_role"
OFFICERS = sorted(OFFICES)


def _not_own(user: Any, grantee: Any) -> None:
    if getattr(grantee, "pk", None) is not None and getattr(user, "pk", None) == grantee.pk:
        raise Forbidden("no one grants or revokes a role of their own")


def is_bootstrap(organisation: Organisation) -> bool:
    """The organisation has fewer than two officers: only the operator can give it its first."""
    holders = (
        OfficerRole.objects.filter(organisation=organisation, role__in=OFFICERS)
        .values("user_id")
        .distinct()
    )
    return holders.count() < BOOTSTRAP_OFFICERS


def _by_operator(user: Any) -> bool:
    return isinstance(user, Operator) or is_operator(user)


def _propose_office(
    user: Any, kind: str, grantee: Any, organisation: Organisation, role: str, body: Body | None
) -> Approval:
    _not_own(user, grantee)
    if role not in OfficerRole.Role.values:
        raise ActionError(f"unknown role {role!r}", field="role")
    if not has_role(user, organisation, Role.REGISTRAR):
        if _by_operator(user):
            raise Forbidden(
                "the organisation has its first officers: later grants are proposed by a "
                "registrar and approved by another officer"
            )
        raise Forbidden("only a registrar of the organisation may propose this")
    return approvals.do_propose(
        user,
        kind,
        organisation_id=organisation.pk,
        body_id=body.pk if body else None,
        target_id=grantee.pk,
        params={"role": role, "body": body.code if body else None},
    )


def check_grant_role(
    user: Any, grantee: Any, organisation: Organisation, role: str, body: Body | None = None
) -> OfficerRole | Approval:
    """The operator grants an organisation's first two officers; every later grant is a proposal
    (returned as the :class:`Approval`)."""
    if _by_operator(user) and is_bootstrap(organisation):
        _not_own(user, grantee)
        return do_grant_role(user, grantee, organisation, role, body)
    return _propose_office(user, GRANT, grantee, organisation, role, body)


def _may_approve_office(user: Any, approval: Approval) -> None:
    if user.pk == int(approval.target_id):
        raise Forbidden("no one approves a role of their own")
    require_role(user, approval.organisation_id, OFFICERS, hidden="approval")


def _office_args(approval: Approval) -> tuple[Any, Organisation, str, Body | None]:
    grantee = get_user_model().objects.get(pk=int(approval.target_id))
    organisation = Organisation.objects.get(pk=approval.organisation_id)
    body = None if approval.body_id is None else Body.objects.get(pk=approval.body_id)
    return grantee, organisation, approval.params["role"], body


def _run_office(action: Any, ctx: ActionContext, approval: Approval) -> None:
    action(ctx, *_office_args(approval))


def _describe_office(verb: str) -> Any:
    def describe(approval: Approval) -> str:
        where = f" of {approval.params['body']}" if approval.params.get("body") else ""
        return f"{verb} {approval.params['role']}{where} to user {approval.target_id}"

    return describe


approvals.register_kind(
    approvals.ApprovalKind(
        GRANT,
        may_approve=_may_approve_office,
        run=lambda ctx, a: _run_office(do_grant_role, ctx, a),
        describe=_describe_office("grant"),
    )
)
approvals.register_kind(
    approvals.ApprovalKind(
        REVOKE,
        may_approve=_may_approve_office,
        run=lambda ctx, a: _run_office(do_revoke_role, ctx, a),
        describe=_describe_office("revoke"),
    )
)


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
) -> int | Approval:
    """Like :func:`check_grant_role`: the operator only while bootstrapping, else a proposal."""
    if _by_operator(user) and is_bootstrap(organisation):
        _not_own(user, grantee)
        return do_revoke_role(user, grantee, organisation, role, body)
    return _propose_office(user, REVOKE, grantee, organisation, role, body)


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


def drop_trustee_role(ctx: ActionContext, user: Any, organisation: Organisation, body: Any) -> bool:
    """Inside a trustees' action (a board retired): ``user`` no longer holds the trustee role
    scoped to ``body`` of ``organisation``. The board's retirement entry is its public trace."""
    deleted, _ = OfficerRole.objects.filter(
        user=user, organisation=organisation, body=body, role=Role.TRUSTEE.value
    ).delete()
    if deleted:
        ctx.audit("officer.revoke", organisation, user=user.get_username(), role="trustee")
    return bool(deleted)
