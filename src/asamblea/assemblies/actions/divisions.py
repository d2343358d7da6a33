"""Divisions: open the roll call with its snapshot, cast the seats' public votes, close and count.

Every delegate's vote is public the moment it is cast: each cast (one vote, or a page of the
tally sheet) writes an ``assembly_votes_cast`` entry in its own transaction, so the record shows
a roll call as it happens and the closing entry can be checked against the votes published
before it (see docs/adr, "divisions verifiable from their inputs").
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction

from asamblea.assemblies import recall_bridge
from asamblea.assemblies.access import (
    access_division_by_id,
    access_division_for_chair,
    access_motion_for_chair,
)
from asamblea.assemblies.actions.resolutions import do_adopt_resolution
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
    division_rule,
    division_snapshot,
    division_weights,
    is_weighted,
    present_amount,
    present_seats,
    record_rule,
    tally_from_stored,
    unit_weights,
)
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden, Role, has_role, require_role
from asamblea.record.entries.assemblies import (
    DeviationV1,
    DivisionOpenedV2,
    DivisionResultV2,
    VotePartV2,
    VotesCastV1,
)
from asamblea.registry.models import Body, Seat
from asamblea.rules.divisions import CHOICES, decide, fmt, is_deviation


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
    decrypting = Instruction.objects.filter(motion=motion, status=Instruction.Status.DECRYPTING)
    for code in decrypting.values_list("unit__code", flat=True):
        issues.append(
            f"the trustees have not yet decrypted the instruction vote of {code}: the division"
            " waits for its result"
        )
    if is_weighted(motion.session.body) and not unit_weights(motion.session.body):
        issues.append("the weighted body has no current apportionment")
    return issues


@door("assemblies.open_division")
def do_open_division(ctx: ActionContext, motion: Motion) -> Division:
    """Open the roll call; the rule and the snapshot (seats, weight inputs) are fixed now."""
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
    ctx.audit("open_division", division, motion_id=motion.pk)
    ctx.record(
        body.organisation,
        DivisionOpenedV2(
            **_session_ref(session),
            division_id=division.pk,
            motion_id=motion.pk,
            rule=record_rule(rule),
            snapshot=division_snapshot(body),
        ),
        body=body,
    )
    return division


def do_cast_vote(actor: Any, division: Division, seat: Seat | int, choice: str) -> DelegateVote:
    """Record the public vote of whoever sits in ``seat`` (see :func:`do_cast_votes`)."""
    return do_cast_votes(actor, division, [(seat, choice)])[0]


def _wanted(votes: Sequence[tuple[Seat | int, str]]) -> dict[int, str]:
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
    return wanted


def _vote_part(vote: DelegateVote, instructed: str | None) -> VotePartV2:
    return VotePartV2(
        seat_id=vote.seat_id,
        unit=vote.unit.code,
        unit_name=vote.unit_name,
        member=vote.member.public_id,
        name=vote.member_name,
        alternate=vote.is_alternate,
        choice=vote.choice,
        weight=vote.weight,
        instructed=instructed,
        deviation=vote.is_deviation,
    )


@door("assemblies.cast_votes")
def do_cast_votes(
    ctx: ActionContext, division: Division, votes: Sequence[tuple[Seat | int, str]]
) -> list[DelegateVote]:
    """Record the public votes of the seats named, each with its seat's weight; all or none.

    A clerk enters a roll call as it is read out, one vote or a page of the tally sheet at a time;
    either way one bad line refuses the whole batch and writes nothing. The votes go on the public
    record in the same transaction (``assembly_votes_cast``).

    Imperative mandates, per organisation: ``report`` flags a deviation; ``bound`` refuses a vote
    against the instruction (nothing is written); ``recall`` flags it and opens a recall petition
    against the delegate's mandate.
    """
    wanted = _wanted(votes)
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
    instructed_of: dict[int, str | None] = {}
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
        # its unit, rules.weights), whoever sits in it: delegate, stand-in or successor.
        weight = Fraction(division.weights.get(str(unit.pk), "0")) if weighted else Fraction(1)
        if weight <= 0:
            raise ActionError(
                f"seat {seat_id}: the seat's unit has no share in the current apportionment",
                field="seat_id",
                code="blocked",
            )
        sitter = attendance.member
        instructed_of[seat_id] = instructed
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
    _add_to_running_tally(division, rows)
    if len(created) == 1:
        ctx.audit(
            "cast_vote",
            created[0],
            division_id=division.pk,
            seat_id=rows[0].seat_id,
            choice=rows[0].choice,
        )
    else:
        ctx.audit("cast_votes", division, votes=[[v.seat_id, v.choice] for v in rows])
    ctx.record(
        body.organisation,
        VotesCastV1(
            **_session_ref(session),
            division_id=division.pk,
            motion_id=division.motion_id,
            votes=[_vote_part(v, instructed_of[v.seat_id]) for v in rows],
        ),
        body=body,
    )
    for vote in created:
        if vote.is_deviation:
            if vote.pk is None:  # backends that do not return ids from bulk inserts
                vote = DelegateVote.objects.get(division=division, seat_id=vote.seat_id)
            instruction = Instruction.objects.get(pk=vote.instruction_id)
            _flag_deviation(ctx, vote, instruction, mode, body)
    return created


def _add_to_running_tally(division: Division, rows: Sequence[DelegateVote]) -> None:
    """Add the votes just cast to the division's running tally, in the cast's transaction.

    The division's row is locked (``select_for_update`` above) until the cast commits, so two
    casts never add to the same stale copy; on SQLite every write transaction is serialised."""
    tally = tally_from_stored(division.live_totals or {}, division.live_counts or {})
    for vote in rows:
        tally["totals"][vote.choice] += vote.weight
        tally["counts"][vote.choice] += 1
    division.live_totals = {c: fmt(t) for c, t in tally["totals"].items()}
    division.live_counts = tally["counts"]
    division.save(update_fields=["live_totals", "live_counts"])


def _flag_deviation(
    ctx: ActionContext, vote: DelegateVote, instruction: Instruction, mode: str, body: Body
) -> Deviation:
    consequence = ""
    if mode == "recall":
        consequence = recall_bridge.open_petition_for_deviation(ctx, vote, instruction)
    deviation = Deviation.objects.create(
        vote=vote,
        instruction=instruction,
        mode=mode,
        consequence=consequence,
        flagged_at=vote.cast_at,
    )
    ctx.audit("flag_deviation", deviation, vote_id=vote.pk, consequence=consequence)
    ctx.record(
        body.organisation,
        DeviationV1(
            division_id=vote.division_id,
            motion_id=instruction.motion_id,
            instruction_id=instruction.pk,
            seat_id=vote.seat_id,
            unit=vote.unit.code,
            member=vote.member.public_id,
            name=vote.member_name,
            mandate_id=vote.mandate_id,
            instructed=instruction.result,
            choice=vote.choice,
            mode=mode,
            consequence=consequence,
        ),
        body=body,
    )
    return deviation


@door("assemblies.close_division")
def do_close_division(ctx: ActionContext, division: Division) -> Division:
    """Count the division, apply the rule in force and write the result with every vote.

    Present is counted with the weights fixed when the division opened; the result names the
    seats it took as present, which the recount checks against the attendance on the record.
    """
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
    # As plain values, not models: a national assembly's 10,000 votes as model instances (with
    # their member, unit and instruction) cost most of a second before anything is counted.
    votes = [
        VotePartV2(
            seat_id=seat_id,
            unit=unit,
            unit_name=unit_name,
            member=member,
            name=name,
            alternate=alternate,
            choice=choice,
            weight=Fraction(num, den),
            instructed=instructed,
            deviation=deviation,
        )
        for (
            seat_id,
            unit,
            unit_name,
            member,
            name,
            alternate,
            choice,
            num,
            den,
            instructed,
            deviation,
        ) in DelegateVote.objects.filter(division=division)
        .order_by("unit_name", "member_name", "seat_id")
        .values_list(
            "seat_id",
            "unit__code",
            "unit_name",
            "member__public_id",
            "member_name",
            "is_alternate",
            "choice",
            "weight_num",
            "weight_den",
            "instruction__result",
            "is_deviation",
        )
    ]
    totals = {c: Fraction(0) for c in CHOICES}
    counts = dict.fromkeys(CHOICES, 0)
    for v in votes:
        totals[v.choice] += v.weight
        counts[v.choice] += 1
    seats_present, present = present_amount(session, division_weights(division))
    decision = decide(division.rule, totals, present)
    at = now()
    division.status = Division.Status.CLOSED
    division.closed_at = at
    division.totals = {c: fmt(totals[c]) for c in CHOICES} | {
        "present": fmt(present),
        "seats_present": seats_present,
        "votes": len(votes),
    }
    # The running tally ends as the count of the votes themselves.
    division.live_totals = {c: fmt(totals[c]) for c in CHOICES}
    division.live_counts = counts
    division.is_quorate = decision.is_quorate
    division.is_adopted = decision.is_adopted
    division.explanation = decision.explanation
    division.save(
        update_fields=[
            "status",
            "closed_at",
            "totals",
            "live_totals",
            "live_counts",
            "is_quorate",
            "is_adopted",
            "explanation",
        ]
    )
    motion.status = Motion.Status.ADOPTED if decision.is_adopted else Motion.Status.REJECTED
    motion.decided_at = at
    motion.save(update_fields=["status", "decided_at"])
    ctx.audit("close_division", division, outcome=motion.status)
    ctx.record(
        body.organisation,
        DivisionResultV2(
            **_session_ref(session),
            division_id=division.pk,
            motion_id=motion.pk,
            motion=motion.title,
            rule=record_rule(division.rule),
            present=present,
            seats_present=seats_present,
            votes=votes,
            totals={c: totals[c] for c in CHOICES},
            quorate=decision.is_quorate,
            outcome=motion.status,
            explanation=decision.explanation,
            present_seats=present_seats(session),
        ),
        body=body,
    )
    if decision.is_adopted and motion.resolution_kind:
        do_adopt_resolution(ctx, motion, at)
    return division


def check_open_division(user: Any, motion_id: int) -> Division:
    return do_open_division(user, access_motion_for_chair(user, motion_id))


def check_close_division(user: Any, division_id: int) -> Division:
    return do_close_division(user, access_division_for_chair(user, division_id))


def check_cast_votes(
    user: Any, division_id: int, votes: Sequence[tuple[int, str]]
) -> list[DelegateVote]:
    """The chair (clerk) records any seat's vote; a delegate, or an alternate standing in, casts
    only the vote of the seat they sit in."""
    division = access_division_by_id(division_id)
    session = division.motion.session
    body = session.body
    if not has_role(user, body.organisation_id, Role.CHAIR, body=body):
        require_role(
            user,
            body.organisation_id,
            (Role.DELEGATE, Role.ALTERNATE),
            body=body,
            detail="only the chair, or the delegate sitting in the seat, may cast its vote",
        )
        own = set(
            Attendance.objects.filter(
                session_id=session.pk, member__user=user, left_at__isnull=True
            ).values_list("seat_id", flat=True)
        )
        if not own:
            raise Forbidden("you are not marked present in a seat of this session")
        for seat_id, _choice in votes:
            if seat_id not in own:
                raise Forbidden(f"seat {seat_id} is not yours to vote", field="seat_id")
    return do_cast_votes(user, division, list(votes))
