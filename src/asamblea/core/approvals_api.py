"""The API of two-person steps: list proposals, approve with a fresh TOTP code, withdraw.

Approving through the API takes the approver's bearer token *and* a fresh TOTP code of their own
device, in the ``X-Asamblea-TOTP`` header or the ``totp`` field: a token alone is not a second
factor (docs/adr/0010-approvals.md). What an approved proposal produced (an exported register)
is fetched by its proposer where the action lives (``GET .../units/{code}/export?approval=ID``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema

from asamblea.core import approvals
from asamblea.core.apischema import BearerToken, ErrorOut

router = Router(tags=["approvals"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class ApprovalOut(Schema):
    id: int
    kind: str
    description: str
    organisation_id: int
    target_id: str
    state: str
    proposed_at: dt.datetime
    expires_at: dt.datetime
    is_mine: bool


class ApproveIn(Schema):
    totp: str = ""


def _out(approval: Any, user: Any) -> dict[str, Any]:
    return {
        "id": approval.pk,
        "kind": approval.kind,
        "description": approvals.describe(approval),
        "organisation_id": approval.organisation_id,
        "target_id": approval.target_id,
        "state": approval.state,
        "proposed_at": approval.proposed_at,
        "expires_at": approval.expires_at,
        "is_mine": approval.proposer_id == user.pk,
    }


@router.get("/approvals", auth=BearerToken(), response={200: list[ApprovalOut], **ERRORS})
def list_approvals(request, organisation_id: int | None = None):  # type: ignore[no-untyped-def]
    """Pending proposals the caller made or may approve."""
    return [_out(a, request.auth) for a in approvals.pending_for(request.auth, organisation_id)]


@router.get("/approvals/{approval_id}", auth=BearerToken(), response={200: ApprovalOut, **ERRORS})
def get_approval(request, approval_id: int):  # type: ignore[no-untyped-def]
    return _out(approvals.access_approval(request.auth, approval_id), request.auth)


@router.post(
    "/approvals/{approval_id}/approve", auth=BearerToken(), response={200: ApprovalOut, **ERRORS}
)
def approve(request, approval_id: int, payload: ApproveIn | None = None):  # type: ignore[no-untyped-def]
    """A different officer approves, with a fresh TOTP code (header or field)."""
    code = request.headers.get("X-Asamblea-TOTP", "") or (payload.totp if payload else "")
    done = approvals.check_approve(request.auth, approval_id, fresh_code=code)
    return _out(done, request.auth)


@router.post(
    "/approvals/{approval_id}/withdraw", auth=BearerToken(), response={200: ApprovalOut, **ERRORS}
)
def withdraw(request, approval_id: int):  # type: ignore[no-untyped-def]
    return _out(approvals.check_withdraw(request.auth, approval_id), request.auth)
