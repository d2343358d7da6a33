"""Divisions: open the roll call, cast the seats' public votes, close and count."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction

from asamblea.assemblies.access import (
    _division_for_chair,
    _motion_for_chair,
    access_division_by_id,
    is_chair,
)
from asamblea.assemblies.actions.resolutions import _adopt_resolution
from asamblea.assemblies.actions.sessions import _locked, _session_ref
from asamblea.assemblies.models import (
    Attendance,
    Choice,
    DelegateVote,
    Deviation,
    Division,
    Instruction,
    Motion,
    Session,
)
from asamblea.assemblies.queries import (
    RECORD_VERSION,
    division_rule,
    is_weighted,
    present_amount,
    unit_weights,
)
from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.record.recount_assemblies import (
    CHOICES,
    decide,
    fmt,
    is_deviation,
)
from asamblea.recordstore.append import append
from asamblea.registry.models import (
    Body,
    Member,
    Seat,
)


def division_blocking_issues(motion: Motion) -> list[str]:
    issues = []
    if motion.session.status != Session.Status.OPEN:
        issues.append("the session is not open")
    if motion.status != Motion.Status.PROPOSED:
        issues.append(f"the motion is {motion.status}")
    if Division.objects.filter(motion=motion).exists():
        issues.append("the motion has already been put to a division")
    if Division.objects.filter(
        motion__session=motion.session, status=Division.Status.OPEN
    ).exists():
        issues.append("another division is open")
    pending = motion.amendments.filter(status=Motion.Status.PROPOSED).count()
    if pending:
        issues.append(f"{pending} amendment(s) must be voted on first")
    still_open = Instruction.objects.filter(motion=motion, status=Instruction.Status.OPEN)
    for code in still_open.values_list("unit__code", flat=True):
        issues.append(f"the instruction vote of {code} is still open")
    if is_weighted(motion.session.body) and not unit_weights(motion.session.body):
        issues.append("the weighted body has no current apportionment")
    return issues


@transaction.atomic
def do_open_division(actor: Any, motion: Motion) -> Division:
    session = _locked(motion.session)
    motion = Motion.objects.select_related("session", "session__body").get(pk=motion.pk)
    motion.session = session
    issues = division_blocking_issues(motion)
    if issues:
        raise ActionError("; ".join(issues), code="blocked")
    rule = division_rule(motion)
    body = session.body
    weights = (
        {str(unit): fmt(w) for unit, w in unit_weights(body).items()} if is_weighted(body) else {}
    )
    instructed = {
        str(unit): [pk, result]
        for pk, unit, result in Instruction.objects.filter(
            motion=motion, status=Instruction.Status.CLOSED
        ).values_list("pk", "unit_id", "result")
    }
    division = Division.objects.create(
        motion=motion, rule=rule, weights=weights, instructed=instructed, opened_at=now()
    )
    audit(actor, "open_division", division, motion_id=motion.pk)
    append(
        session.body.organisation,
        "assembly_division_opened",
        RECORD_VERSION,
        {
            **_session_ref(session),
            "division_id": division.pk,
            "motion_id": motion.pk,
            "rule": rule,
        },
        body=session.body,
    )
    return division


def do_cast_vote(actor: Any, division: Division, seat: Seat | int, choice: str) -> DelegateVote:
    """Record the public vote of whoever sits in ``seat`` (see :func:`do_cast_votes`)."""
    return do_cast_votes(actor, division, [(seat, choice)])[0]


@transaction.atomic
def do_cast_votes(
    actor: Any, division: Division, votes: Sequence[tuple[Seat | int, str]]
) -> list[DelegateVote]:
    """Record the public votes of the seats named, each with its seat's weight; all or none.

    A clerk enters a roll call as it is read out, one vote or a page of the tally sheet at a time;
    either way one bad line refuses the whole batch and writes nothing.

    Imperative mandates, per organisation: ``report`` flags a deviation; ``bound`` refuses a vote
    against the instruction (nothing is written); ``recall`` flags it and opens a recall petition
    against the delegate's mandate.
    """
    if not votes:
        raise ActionError("no vote given", field="votes")
    wanted: dict[int, str] = {}
    for seat, choice in votes:
        seat_id = seat if isinstance(seat, int) else seat.pk
        if choice not in Choice.values:
            raise ActionError(f"seat {seat_id}: choose for, against or abstain", field="choice")
        if seat_id in wanted:
            raise ActionError(f"seat {seat_id} appears twice", field="seat_id")
        wanted[seat_id] = choice
    # Serialises the votes of one division against each other and against its closing.
    division = (
        Division.objects.select_for_update(of=("self",))
        .select_related("motion__session__body__organisation")
        .get(pk=division.pk)
    )
    if division.status != Division.Status.OPEN:
        raise ActionError("the division is closed", code="conflict")
    session = division.motion.session
    body = session.body
    sitting = {
        a.seat_id: a
        for a in Attendance.objects.select_related("member", "mandate", "seat__unit").filter(
            session=session, seat_id__in=list(wanted), left_at__isnull=True
        )
    }
    already = set(
        DelegateVote.objects.filter(division=division, seat_id__in=list(wanted)).values_list(
            "seat_id", flat=True
        )
    )
    at = now()
    mode = division.rule.get("mandate_mode", "report")
    weighted = is_weighted(body)
    rows: list[DelegateVote] = []
    for seat_id, choice in wanted.items():
        attendance = sitting.get(seat_id)
        if attendance is None:
            raise ActionError(
                f"seat {seat_id}: nobody is marked present in this seat",
                field="seat_id",
                code="blocked",
            )
        if seat_id in already:
            raise ActionError(
                f"seat {seat_id}: this seat has already voted", field="seat_id", code="conflict"
            )
        mandate = attendance.mandate
        if mandate.ended_at is not None and mandate.ended_at <= at:
            raise ActionError(
                f"seat {seat_id}: the mandate of this seat's holder has ended; mark the"
                " successor present",
                field="seat_id",
                code="blocked",
            )
        unit = attendance.seat.unit
        instruction_id, instructed = division.instructed.get(str(unit.pk), (None, None))
        deviates = is_deviation(instructed, choice)
        if deviates and mode == "bound":
            raise ActionError(
                f"seat {seat_id}: bound mandate: the unit instructed {instructed!r}; this seat"
                f" can only vote {instructed!r}",
                field="choice",
                code="conflict",
            )
        # The seat's weight as fixed when the division opened (members represented per seat of
        # its unit, registry-core's rule), whoever sits in it: delegate, stand-in or successor.
        weight = Fraction(division.weights.get(str(unit.pk), "0")) if weighted else Fraction(1)
        if weight <= 0:
            raise ActionError(
                f"seat {seat_id}: the seat's unit has no share in the current apportionment",
                field="seat_id",
                code="blocked",
            )
        sitter = attendance.member
        rows.append(
            DelegateVote(
                division=division,
                seat_id=seat_id,
                mandate=mandate,
                member=sitter,
                member_name=sitter.display_name,
                unit=unit,
                unit_name=unit.name,
                is_alternate=attendance.standing_in_id is not None,
                choice=choice,
                weight_num=weight.numerator,
                weight_den=weight.denominator,
                instruction_id=instruction_id,
                is_deviation=deviates,
                cast_at=at,
            )
        )
    try:
        with transaction.atomic():
            created = DelegateVote.objects.bulk_create(rows)
    except IntegrityError:
        raise ActionError("a seat has already voted", field="seat_id", code="conflict") from None
    if len(created) == 1:
        audit(
            actor,
            "cast_vote",
            created[0],
            division_id=division.pk,
            seat_id=rows[0].seat_id,
            choice=rows[0].choice,
        )
    else:
        audit(
            actor,
            "cast_votes",
            division,
            votes=[[v.seat_id, v.choice] for v in rows],
        )
    for vote in created:
        if vote.is_deviation:
            if vote.pk is None:  # backends that do not return ids from bulk inserts
                vote = DelegateVote.objects.get(division=division, seat_id=vote.seat_id)
            instruction = Instruction.objects.get(pk=vote.instruction_id)
            _flag_deviation(actor, vote, instruction, mode, body)
    return created


def _flag_deviation(
    actor: Any, vote: DelegateVote, instruction: Instruction, mode: str, body: Body
) -> Deviation:
    consequence = ""
    if mode == "recall":
        consequence = _open_recall_petition(actor, vote, instruction)
    deviation = Deviation.objects.create(
        vote=vote,
        instruction=instruction,
        mode=mode,
        consequence=consequence,
        flagged_at=vote.cast_at,
    )
    audit(actor, "flag_deviation", deviation, vote_id=vote.pk, consequence=consequence)
    append(
        body.organisation,
        "assembly_deviation",
        RECORD_VERSION,
        {
            "division_id": vote.division_id,
            "motion_id": instruction.motion_id,
            "instruction_id": instruction.pk,
            "seat_id": vote.seat_id,
            "unit": vote.unit.code,
            "member": vote.member.public_id,
            "name": vote.member_name,
            "mandate_id": vote.mandate_id,
            "instructed": instruction.result,
            "choice": vote.choice,
            "mode": mode,
            "consequence": consequence,
        },
        body=body,
    )
    return deviation


def _open_recall_petition(actor: Any, vote: DelegateVote, instruction: Instruction) -> str:
    """Open a recall petition against the deviating delegate's mandate (recall mode)."""
    from asamblea.assemblies import recall_bridge

    return recall_bridge.open_petition_for_deviation(actor, vote, instruction)


@transaction.atomic
def do_close_division(actor: Any, division: Division) -> Division:
    """Count the division, apply the rule in force and write the result with every vote."""
    division = (
        Division.objects.select_for_update(of=("self",))
        .select_related("motion", "motion__session", "motion__session__body__organisation")
        .get(pk=division.pk)
    )
    if division.status != Division.Status.OPEN:
        raise ActionError("the division is already closed", code="conflict")
    motion = division.motion
    session = motion.session
    body = session.body
    votes = list(
        DelegateVote.objects.filter(division=division)
        .select_related("member", "instruction", "unit")
        .order_by("unit_name", "member_name", "seat_id")
    )
    totals = {c: Fraction(0) for c in CHOICES}
    for v in votes:
        totals[v.choice] += v.weight
    seats_present, present = present_amount(session)
    decision = decide(division.rule, totals, present)
    at = now()
    division.status = Division.Status.CLOSED
    division.closed_at = at
    division.totals = {c: fmt(totals[c]) for c in CHOICES} | {
        "present": fmt(present),
        "seats_present": seats_present,
        "votes": len(votes),
    }
    division.is_quorate = decision.is_quorate
    division.is_adopted = decision.is_adopted
    division.explanation = decision.explanation
    division.save(
        update_fields=["status", "closed_at", "totals", "is_quorate", "is_adopted", "explanation"]
    )
    motion.status = Motion.Status.ADOPTED if decision.is_adopted else Motion.Status.REJECTED
    motion.decided_at = at
    motion.save(update_fields=["status", "decided_at"])
    audit(actor, "close_division", division, outcome=motion.status)
    append(
        body.organisation,
        "assembly_division_result",
        RECORD_VERSION,
        {
            **_session_ref(session),
            "division_id": division.pk,
            "motion_id": motion.pk,
            "motion": motion.title,
            "rule": division.rule,
            "present": fmt(present),
            "seats_present": seats_present,
            "votes": [
                {
                    "seat_id": v.seat_id,
                    "unit": v.unit.code,
                    "unit_name": v.unit_name,
                    "member": v.member.public_id,
                    "name": v.member_name,
                    "alternate": v.is_alternate,
                    "choice": v.choice,
                    "weight": fmt(v.weight),
                    "instructed": v.instruction.result if v.instruction else None,
                    "deviation": v.is_deviation,
                }
                for v in votes
            ],
            "totals": {c: fmt(totals[c]) for c in CHOICES},
            "quorate": decision.is_quorate,
            "outcome": motion.status,
            "explanation": decision.explanation,
        },
        body=body,
    )
    if decision.is_adopted and motion.resolution_kind:
        _adopt_resolution(actor, motion, at)
    return division


def check_open_division(user: Any, motion_id: int) -> Division:
    return do_open_division(user, _motion_for_chair(user, motion_id))


def check_close_division(user: Any, division_id: int) -> Division:
    return do_close_division(user, _division_for_chair(user, division_id))


def check_cast_votes(
    user: Any, division_id: int, votes: Sequence[tuple[int, str]]
) -> list[DelegateVote]:
    """The chair (clerk) records any seat's vote; a delegate may cast only their own seat's."""
    division = access_division_by_id(division_id)
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFoundOrForbidden("division")
    if not is_chair(user, division.motion.session.body):
        member = Member.objects.filter(user=user).first()
        if member is None:
            raise NotFoundOrForbidden("division")
        own = set(
            Attendance.objects.filter(
                session_id=division.motion.session_id, member=member, left_at__isnull=True
            ).values_list("seat_id", flat=True)
        )
        if not own:
            raise NotFoundOrForbidden("division")
        for seat_id, _choice in votes:
            if seat_id not in own:
                raise ActionError(f"seat {seat_id} is not yours to vote", field="seat_id")
    return do_cast_votes(user, division, list(votes))
