"""Two people, not one: an action proposed by one officer, approved by another.

SYSTEM.md: certifying a result, exporting a register, reissuing voting credentials, granting or
revoking a role and rotating the record's signing key each need a second officer who approves
*in their own session, with a fresh second factor*. Typing two names is not two people.

An app declares each kind once (:func:`register_kind`): who may approve it (a check through
:mod:`asamblea.core.permissions`) and what runs on approval (the action's own door, nested in
the approval's). ``check_*`` functions then :func:`propose` instead of acting. :func:`approve`:

- refuses the proposer, compared by user id (the same person can never be both, whatever names
  are typed: there is one user behind every session and token of theirs);
- refuses an expired proposal (``expires_at``, 24 hours by default);
- refuses without a fresh TOTP code matched now by django_otp against the approver's own
  device (``fresh_code``); the command line's password sign-in passes ``factor_checked=True``
  because it has just matched one;
- asks the kind who may approve, then runs the action through its door, as the approver, with
  the approval in hand so its audit entry names both officers.

What only the proposer may have (an exported register, printed cards' codes) is kept on the
approval for :data:`RESULT_WINDOW` and handed over once by :func:`take_result`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asamblea.core import clock
from asamblea.core.action import ActionContext, door
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.models import Approval
from asamblea.core.permissions import Forbidden, is_active_user

DEFAULT_LIFETIME = dt.timedelta(hours=24)
RESULT_WINDOW = dt.timedelta(minutes=15)

NO_FRESH_FACTOR = "approving needs a fresh TOTP code from your own device"
SAME_PERSON = "the officer who proposed this cannot approve it: a different officer must"


@dataclass(frozen=True)
class ApprovalKind:
    """``may_approve(user, approval)`` raises unless ``user`` may approve (besides being someone
    else); ``run(ctx, approval)`` does the action through its door and returns what the proposer
    may fetch (JSON, or None); ``describe(approval)`` is one line for lists."""

    name: str
    may_approve: Callable[[Any, Approval], None]
    run: Callable[[ActionContext, Approval], Any]
    describe: Callable[[Approval], str]


KINDS: dict[str, ApprovalKind] = {}


def register_kind(kind: ApprovalKind) -> ApprovalKind:
    KINDS[kind.name] = kind
    return kind


def _kind(name: str) -> ApprovalKind:
    if name not in KINDS:
        raise ActionError(f"unknown kind of approval {name!r}", field="kind")
    return KINDS[name]


def describe(approval: Approval) -> str:
    kind = KINDS.get(approval.kind)
    return kind.describe(approval) if kind else approval.kind


@door(
    "approvals.propose",
    private="a proposal changes nothing public; the approved action writes its own entries",
)
def do_propose(
    ctx: ActionContext,
    kind: str,
    *,
    organisation_id: int,
    body_id: int | None = None,
    target_id: Any = "",
    params: dict[str, Any] | None = None,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
) -> Approval:
    """Called from a ``check_*`` that has already checked the proposer's role and the input."""
    _kind(kind)
    proposer = ctx.user
    if proposer is None:
        raise Forbidden("a proposal is made by a signed-in officer")
    at = clock.now()
    pending = Approval.objects.filter(
        kind=kind,
        organisation_id=organisation_id,
        target_id=str(target_id),
        params=params or {},
        state=Approval.State.PENDING,
        expires_at__gt=at,
    ).first()
    if pending is not None:
        raise ActionError(
            f"this is already proposed (approval {pending.pk}); a different officer approves it",
            field="approval",
            code="conflict",
        )
    approval = Approval.objects.create(
        kind=kind,
        organisation_id=organisation_id,
        body_id=body_id,
        target_id=str(target_id),
        params=params or {},
        proposer=proposer,
        proposed_at=at,
        expires_at=at + lifetime,
    )
    ctx.audit("approval.propose", approval, kind=kind, target_ref=str(target_id))
    return approval


def fresh_factor(user: Any, code: str | None) -> bool:
    """Whether ``code`` is a TOTP code the user's own device accepts now (and not a replay)."""
    from django_otp import match_token

    digits = "".join(ch for ch in (code or "") if ch.isdigit())
    return bool(digits) and match_token(user, digits) is not None


def access_approval(user: Any, approval_id: int) -> Approval:
    """The approval, if ``user`` is its proposer or may approve it; else "not found"."""
    approval = Approval.objects.filter(pk=approval_id).first()
    if approval is None or not is_active_user(user):
        raise NotFoundOrForbidden("approval")
    if approval.proposer_id == user.pk:
        return approval
    try:
        _kind(approval.kind).may_approve(user, approval)
    except ActionError:
        raise NotFoundOrForbidden("approval") from None
    return approval


def check_approve(
    user: Any, approval_id: int, *, fresh_code: str | None, factor_checked: bool = False
) -> Approval:
    """The second officer approves, in their own session, with a fresh second factor."""
    approval = access_approval(user, approval_id)
    if approval.proposer_id == user.pk:
        raise Forbidden(SAME_PERSON)
    if not factor_checked and not fresh_factor(user, fresh_code):
        raise Forbidden(NO_FRESH_FACTOR)
    if approval.state == Approval.State.PENDING and approval.expires_at <= clock.now():
        # Bookkeeping outside the refused action's transaction: the proposal stays expired.
        Approval.objects.filter(pk=approval.pk, state=Approval.State.PENDING).update(
            state=Approval.State.EXPIRED
        )
        raise ActionError("this proposal has expired; propose it again", code="conflict")
    return do_approve(user, approval)


@door(
    "approvals.approve",
    private="the approved action runs through its own door and writes its own record entries",
)
def do_approve(ctx: ActionContext, approval: Approval) -> Approval:
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    approver = ctx.user
    if approver is None or approver.pk == approval.proposer_id:
        raise Forbidden(SAME_PERSON)
    at = clock.now()
    if approval.state == Approval.State.PENDING and approval.expires_at <= at:
        raise ActionError("this proposal has expired; propose it again", code="conflict")
    if approval.state != Approval.State.PENDING:
        raise ActionError(f"this proposal is {approval.state}", code="conflict")
    kind = _kind(approval.kind)
    kind.may_approve(approver, approval)
    result = kind.run(ctx, approval)
    approval.state = Approval.State.APPROVED
    approval.approver = approver
    approval.approved_at = at
    approval.result = result
    approval.result_until = at + RESULT_WINDOW if result is not None else None
    approval.save()
    ctx.audit(
        "approval.approve",
        approval,
        kind=approval.kind,
        proposer=approval.proposer.get_username(),
        approver=approver.get_username(),
    )
    return approval


def check_withdraw(user: Any, approval_id: int) -> Approval:
    approval = access_approval(user, approval_id)
    if approval.proposer_id != user.pk:
        raise Forbidden("only the officer who proposed it may withdraw a proposal")
    return do_withdraw(user, approval)


@door("approvals.withdraw", private="a proposal that never ran changes nothing public")
def do_withdraw(ctx: ActionContext, approval: Approval) -> Approval:
    updated = Approval.objects.filter(pk=approval.pk, state=Approval.State.PENDING).update(
        state=Approval.State.WITHDRAWN
    )
    if not updated:
        raise ActionError("only a pending proposal can be withdrawn", code="conflict")
    ctx.audit("approval.withdraw", approval, kind=approval.kind)
    approval.refresh_from_db()
    return approval


def check_take_result(user: Any, approval_id: int, kind: str | None = None) -> Any:
    """The approved action's result, handed once to its proposer within :data:`RESULT_WINDOW`,
    then erased."""
    approval = access_approval(user, approval_id)
    if approval.proposer_id != user.pk or (kind is not None and approval.kind != kind):
        raise NotFoundOrForbidden("approval")
    if approval.state != Approval.State.APPROVED:
        raise ActionError(f"this proposal is {approval.state}, not approved", code="conflict")
    return do_take_result(user, approval)


@door("approvals.take_result", private="handing the proposer their result; audited")
def do_take_result(ctx: ActionContext, approval: Approval) -> Any:
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    result, until = approval.result, approval.result_until
    if result is None or until is None or until <= clock.now():
        Approval.objects.filter(pk=approval.pk).update(result=None, result_until=None)
        raise ActionError("the result is gone (fetched already, or too late)", code="conflict")
    Approval.objects.filter(pk=approval.pk).update(result=None, result_until=None)
    ctx.audit("approval.take_result", approval, kind=approval.kind)
    return result


def pending_for(user: Any, organisation_id: int | None = None) -> list[Approval]:
    """Pending, unexpired proposals the user made or may approve."""
    rows = Approval.objects.filter(state=Approval.State.PENDING, expires_at__gt=clock.now())
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    mine = []
    for approval in rows.order_by("proposed_at"):
        try:
            access_approval(user, approval.pk)
        except NotFoundOrForbidden:
            continue
        mine.append(approval)
    return mine
