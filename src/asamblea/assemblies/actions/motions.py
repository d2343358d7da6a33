"""Motions and amendments: propose (an amendment is a motion that amends another), withdraw."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from asamblea.assemblies.access import access_motion_for_chair, access_session_for_chair
from asamblea.assemblies.actions.sessions import _locked, _session_ref
from asamblea.assemblies.models import Motion, Session
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.record.entries.assemblies import MotionV1, MotionWithdrawnV1
from asamblea.registry.models import Member
from asamblea.rules.divisions import fmt


@door("assemblies.propose_motion")
def do_propose_motion(
    ctx: ActionContext,
    session: Session,
    *,
    title: str,
    text: str,
    proposer: Member | None = None,
    proposer_name: str = "",
    threshold: str = Motion.Threshold.MAJORITY_CAST,
    fraction: Fraction | None = None,
    amends: Motion | None = None,
    resolution_kind: str = "",
) -> Motion:
    session = _locked(session)
    if session.status == Session.Status.CLOSED:
        raise ActionError("the session is closed", code="conflict")
    if threshold not in Motion.Threshold.values:
        raise ActionError(f"unknown threshold {threshold!r}", field="threshold")
    if resolution_kind not in Motion.ResolutionKind.values:
        raise ActionError(f"unknown resolution kind {resolution_kind!r}", field="resolution_kind")
    if threshold == Motion.Threshold.QUALIFIED:
        if fraction is None or not 0 < fraction <= 1:
            raise ActionError("a qualified majority needs a fraction in (0, 1]", field="fraction")
    else:
        fraction = Fraction(1, 2)
    if amends is not None:
        if amends.session_id != session.pk or amends.status != Motion.Status.PROPOSED:
            raise ActionError(
                "only a pending motion of this session can be amended", field="amends"
            )
        if amends.amends_id is not None:
            raise ActionError("an amendment cannot itself be amended", field="amends")
        if resolution_kind:
            raise ActionError("an amendment does not become a resolution", field="resolution_kind")
    name = proposer_name or (proposer.display_name if proposer else "")
    if not name.strip():
        raise ActionError("a motion needs a proposer", field="proposer_name")
    if not title.strip() or not text.strip():
        raise ActionError("a motion needs a title and a text", field="title")
    last = (
        Motion.objects.filter(session=session).order_by("-number").values_list("number", flat=True)
    )
    motion = Motion.objects.create(
        session=session,
        number=(last.first() or 0) + 1,
        amends=amends,
        proposer=proposer,
        proposer_name=name.strip(),
        title=title.strip(),
        text=text.strip(),
        threshold=threshold,
        threshold_num=fraction.numerator,
        threshold_den=fraction.denominator,
        resolution_kind=resolution_kind,
        created_at=now(),
    )
    ctx.audit("propose_motion", motion, title=motion.title)
    ctx.record(
        session.body.organisation,
        MotionV1(
            **_session_ref(session),
            motion_id=motion.pk,
            number=motion.number,
            amends=amends.pk if amends else None,
            proposer=name.strip(),
            proposer_member=proposer.public_id if proposer else None,
            title=motion.title,
            text=motion.text,
            threshold=threshold,
            fraction=fmt(fraction) if threshold == Motion.Threshold.QUALIFIED else None,
            resolution_kind=resolution_kind or None,
        ),
        body=session.body,
    )
    return motion


@door("assemblies.withdraw_motion")
def do_withdraw_motion(ctx: ActionContext, motion: Motion) -> Motion:
    _locked(motion.session)
    motion.refresh_from_db()
    if motion.status != Motion.Status.PROPOSED or hasattr(motion, "division"):
        raise ActionError(
            "only a motion not yet put to a division can be withdrawn", code="conflict"
        )
    motion.status = Motion.Status.WITHDRAWN
    motion.decided_at = now()
    motion.save(update_fields=["status", "decided_at"])
    ctx.audit("withdraw_motion", motion)
    ctx.record(
        motion.session.body.organisation,
        MotionWithdrawnV1(**_session_ref(motion.session), motion_id=motion.pk),
        body=motion.session.body,
    )
    return motion


def check_propose_motion(
    user: Any,
    session_id: int,
    *,
    title: str,
    text: str,
    proposer_name: str = "",
    proposer_public_id: str | None = None,
    threshold: str = Motion.Threshold.MAJORITY_CAST,
    fraction: str | None = None,
    amends_id: int | None = None,
    resolution_kind: str = "",
) -> Motion:
    session = access_session_for_chair(user, session_id)
    proposer = None
    if proposer_public_id:
        proposer = Member.objects.filter(
            public_id=proposer_public_id, organisation_id=session.body.organisation_id
        ).first()
        if proposer is None:
            raise ActionError("no such member", field="proposer_id")
    value = None
    if fraction is not None:
        try:
            value = Fraction(str(fraction))
        except (ValueError, ZeroDivisionError):
            raise ActionError("a fraction is written like 2/3", field="fraction") from None
    amends = None
    if amends_id is not None:
        amends = Motion.objects.filter(pk=amends_id, session=session).first()
        if amends is None:
            raise ActionError("no such motion in this session", field="amends")
    return do_propose_motion(
        user,
        session,
        title=title,
        text=text,
        proposer=proposer,
        proposer_name=proposer_name,
        threshold=threshold,
        fraction=value,
        amends=amends,
        resolution_kind=resolution_kind,
    )


def check_withdraw_motion(user: Any, motion_id: int) -> Motion:
    return do_withdraw_motion(user, access_motion_for_chair(user, motion_id))
