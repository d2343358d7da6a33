"""Setting up a standing board of trustees: named by two officers, like any office.

A registrar of the organisation proposes the board (its unit, ``k``, ``n``, the trustees, names or
pseudonyms, the decryption deadline); a different officer approves it in their own session with
a fresh second factor (:mod:`asamblea.core.approvals`), never a trustee approving their own
seat. On approval the board is created in key generation, each trustee receives the ``trustee``
role (for the board's unit, or the whole organisation) and the board goes on the record.

Rules (ADR 0012): ``2 <= k <= n <= 15``. ``k = 1`` is refused even in tests: one person holding
the whole key could read every sealed ballot on the record. Trustees are members of the
organisation or its officers, all different people, and at least one of them holds no office.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model

from asamblea.core import approvals
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.models import Approval
from asamblea.core.permissions import Forbidden, Role, has_role, require_role
from asamblea.record.entries.trustees import TrusteeBoardCreatedV1, TrusteeNamePart
from asamblea.registry.models import Body, Member, OfficerRole, Organisation
from asamblea.trustees.models import Trustee, TrusteeBoard

CREATE = "trustees.create_board"
MAX_TRUSTEES = 15
DEFAULT_K, DEFAULT_N = 3, 5
DEFAULT_DEADLINE_HOURS = 72


def validate_board(
    organisation: Organisation,
    unit: Body | None,
    k: int,
    n: int,
    users: Sequence[Any],
    deadline_hours: int,
) -> None:
    """Raise ``ActionError`` naming the field at fault; nothing is written."""
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ActionError("the unit is not in this organisation", field="unit")
    if not 2 <= n <= MAX_TRUSTEES:
        raise ActionError(f"a board has 2 to {MAX_TRUSTEES} trustees", field="n")
    if not 2 <= k <= n:
        raise ActionError(
            "the threshold k is at least 2 and at most n: with k = 1 one person could "
            "read every sealed ballot",
            field="k",
        )
    if not 1 <= deadline_hours <= 24 * 60:
        raise ActionError("the decryption deadline is 1 hour to 60 days", field="deadline_hours")
    if len(users) != n:
        raise ActionError(f"name exactly n = {n} trustees ({len(users)} named)", field="trustees")
    for i, user in enumerate(users, start=1):
        if user is None:
            raise ActionError(
                f"trustee {i}: no member with a sign-in, nor an officer, by that reference",
                field=f"trustees[{i - 1}]",
            )
    if len({u.pk for u in users}) != len(users):
        raise ActionError("each trustee is a different person", field="trustees")
    without_office = 0
    for i, user in enumerate(users, start=1):
        member = member_of(user, organisation)
        officer = holds_office(user, organisation, unit)
        if member is None and not officer:
            raise ActionError(
                f"trustee {i} is neither a member nor an officer of the organisation",
                field=f"trustees[{i - 1}]",
            )
        if not officer:
            without_office += 1
    if without_office == 0:
        raise ActionError("at least one trustee must hold no office", field="trustees")


# The offices (the trustee role itself is not one).
OFFICES = (Role.REGISTRAR, Role.ELECTION_OFFICER, Role.TELLER, Role.CHAIR)


def holds_office(user: Any, organisation: Organisation, unit: Body | None = None) -> bool:
    """An office for the whole organisation, or for the board's unit."""
    return has_role(user, organisation, OFFICES) or (
        unit is not None and has_role(user, organisation, OFFICES, unit)
    )


def validate_replacement(
    organisation: Organisation, unit: Body | None, replaces: TrusteeBoard | None
) -> None:
    """A board can only replace a ready board of the same organisation and unit, once."""
    if replaces is None:
        return
    if replaces.organisation_id != organisation.pk or replaces.unit_id != (
        unit.pk if unit else None
    ):
        raise ActionError("a new board replaces a board of the same scope", field="replaces")
    if replaces.state != TrusteeBoard.State.READY:
        raise ActionError(f"board {replaces.uid} is {replaces.state}, not ready", field="replaces")
    if replaces.replaced_by.exclude(state=TrusteeBoard.State.RETIRED).exists():
        raise ActionError(f"board {replaces.uid} is already being replaced", field="replaces")


def member_of(user: Any, organisation: Organisation) -> Member | None:
    return (
        Member.objects.filter(
            user=user, organisation=organisation, memberships__left_on__isnull=True
        )
        .distinct()
        .first()
    )


def label_for(user: Any, index: int, public_names: bool) -> str:
    if not public_names:
        return f"Trustee {index}"
    name = (user.get_full_name() or "").strip()
    return (name or f"Trustee {index}")[:200]


def check_propose_board(
    user: Any,
    organisation: Organisation,
    *,
    unit: Body | None = None,
    k: int = DEFAULT_K,
    n: int = DEFAULT_N,
    trustees: Sequence[Any],
    public_names: bool = True,
    deadline_hours: int = DEFAULT_DEADLINE_HOURS,
    replaces: TrusteeBoard | None = None,
) -> Approval:
    """A registrar proposes a board; a different officer approves it (two people, not one).
    With ``replaces``, the new board receives that board's key by resharing (ADR 0012)."""
    require_role(user, organisation, Role.REGISTRAR, detail="only a registrar may propose a board")
    if any(t is not None and t.pk == user.pk for t in trustees):
        raise Forbidden("no one proposes a board with themselves on it")
    validate_board(organisation, unit, k, n, trustees, deadline_hours)
    validate_replacement(organisation, unit, replaces)
    return approvals.do_propose(
        user,
        CREATE,
        organisation_id=organisation.pk,
        body_id=unit.pk if unit else None,
        target_id="board",
        params={
            "k": k,
            "n": n,
            "trustees": [t.pk for t in trustees],
            "public_names": public_names,
            "deadline_hours": deadline_hours,
            "replaces": replaces.pk if replaces else None,
        },
    )


def _may_approve(user: Any, approval: Approval) -> None:
    if user.pk in approval.params.get("trustees", []):
        raise Forbidden("no one approves a board they sit on")
    # An office, not the trustee role: a trustee does not approve boards of trustees.
    require_role(user, approval.organisation_id, OFFICES, hidden="approval")


def _run(ctx: ActionContext, approval: Approval) -> None:
    organisation = Organisation.objects.get(pk=approval.organisation_id)
    unit = None if approval.body_id is None else Body.objects.get(pk=approval.body_id)
    users = get_user_model().objects.in_bulk(approval.params["trustees"])
    do_create_board(
        ctx,
        organisation,
        unit=unit,
        k=approval.params["k"],
        n=approval.params["n"],
        trustees=[users[pk] for pk in approval.params["trustees"]],
        public_names=approval.params["public_names"],
        deadline_hours=approval.params["deadline_hours"],
        replaces=(
            TrusteeBoard.objects.get(pk=approval.params["replaces"])
            if approval.params.get("replaces")
            else None
        ),
    )


def _describe(approval: Approval) -> str:
    p = approval.params
    again = " (resharing the key of an existing board)" if p.get("replaces") else ""
    return f"standing board of trustees, {p['k']} of {p['n']}{again}"


approvals.register_kind(
    approvals.ApprovalKind(CREATE, may_approve=_may_approve, run=_run, describe=_describe)
)


@door("trustees.create_board")
def do_create_board(
    ctx: ActionContext,
    organisation: Organisation,
    *,
    unit: Body | None,
    k: int,
    n: int,
    trustees: Sequence[Any],
    public_names: bool = True,
    deadline_hours: int = DEFAULT_DEADLINE_HOURS,
    replaces: TrusteeBoard | None = None,
    demo: bool = False,
) -> TrusteeBoard:
    validate_board(organisation, unit, k, n, trustees, deadline_hours)
    validate_replacement(organisation, unit, replaces)
    board = TrusteeBoard.objects.create(
        organisation=organisation,
        unit=unit,
        uid=f"{organisation.slug}/trustees/{secrets.token_hex(4)}",
        k=k,
        n=n,
        public_names=public_names,
        deadline_hours=deadline_hours,
        replaces=replaces,
        demo=demo,
        created_at=now(),
    )
    rows = []
    for index, user in enumerate(trustees, start=1):
        rows.append(
            Trustee.objects.create(
                board=board,
                index=index,
                user=user,
                member=member_of(user, organisation),
                label=label_for(user, index, public_names),
            )
        )
        _grant_trustee_role(ctx, user, organisation, unit)
    ctx.audit("trustees.create_board", board, k=k, n=n, unit=unit.code if unit else None)
    ctx.record(
        organisation,
        TrusteeBoardCreatedV1(
            board=board.uid,
            unit=unit.code if unit else None,
            k=k,
            n=n,
            deadline_hours=deadline_hours,
            public_names=public_names,
            trustees=[TrusteeNamePart(t.index, t.label) for t in rows],
            replaces=replaces.uid if replaces else None,
            demo=demo,
        ),
        body=unit,
    )
    return board


def _grant_trustee_role(
    ctx: ActionContext, user: Any, organisation: Organisation, unit: Body | None
) -> None:
    """The ``trustee`` role (core.permissions' granted role), scoped like the board. The
    registry's own grant refuses it (its ``OfficerRole.Role`` choices list the offices only), so
    the row is written here; the board's ``trustee_board_created`` entry is its public trace, by
    name or pseudonym as the organisation chose."""
    _row, created = OfficerRole.objects.get_or_create(
        user=user, organisation=organisation, body=unit, role=Role.TRUSTEE.value
    )
    if created:
        ctx.audit("officer.grant", organisation, user=user.get_username(), role=Role.TRUSTEE.value)
