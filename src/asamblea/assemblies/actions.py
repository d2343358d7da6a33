"""Every change of state of assemblies goes through a function here.

``do_*`` are trusted: one transaction each, writing the audit entry and the public record entry in
it. ``check_*`` validate untrusted input and call ``do_*``. ``access_*`` fetch with the same answer
for "missing" and "forbidden". Refusals raise :class:`ActionError` and write nothing.

Weights come from the frozen rolls through the body's current apportionment: a seat of unit U
weighs ``population / seats`` of U's allocation (one for bodies of one delegate, one vote), so a
change of membership moves no weight until the roll is frozen again and the seats re-apportioned.
A weight belongs to the seat, not the person: when a delegate is recalled the successor sitting
in the seat carries it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from asamblea.assemblies.models import (
    Attendance,
    Choice,
    DelegateVote,
    Deviation,
    Division,
    Instruction,
    InstructionParticipation,
    Motion,
    Resolution,
    ResolutionStatusChange,
    Session,
)
from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.record.recount_assemblies import (
    CHOICES,
    INSTRUCTION_OPTIONS,
    decide,
    fmt,
    instruction_result,
    is_deviation,
)
from asamblea.recordstore.append import append
from asamblea.registry.models import (
    Allocation,
    Alternate,
    Body,
    Mandate,
    Member,
    OfficerRole,
    Organisation,
    Roll,
    RollEntry,
    Seat,
)

MANDATE_MODES = ("report", "bound", "recall")
RECORD_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Rules in force: weights, legal number, quorum, mandate mode


def mandate_mode(organisation: Organisation) -> str:
    mode = (organisation.settings or {}).get("mandate_mode", "report")
    return mode if mode in MANDATE_MODES else "report"


def is_weighted(body: Body) -> bool:
    return body.voting_rule == Body.VotingRule.WEIGHTED


def unit_weights(body: Body) -> dict[int, Fraction]:
    """Weight of one seat of each sending unit, from the body's current apportionment."""
    rows = Allocation.objects.filter(
        apportionment__receiver=body, apportionment__is_current=True
    ).values_list("sender_id", "population", "seats")
    return {sender: (Fraction(pop, seats) if seats else Fraction(0)) for sender, pop, seats in rows}


def seat_weight(body: Body, unit_id: int) -> Fraction:
    """The weight of one seat of ``unit_id`` in ``body`` (1 in bodies of one delegate, one vote)."""
    if not is_weighted(body):
        return Fraction(1)
    row = (
        Allocation.objects.filter(
            apportionment__receiver=body, apportionment__is_current=True, sender_id=unit_id
        )
        .values_list("population", "seats")
        .first()
    )
    if row is None or not row[1]:
        raise ActionError(
            "this weighted body has no current apportionment for the seat's unit; "
            "apportion its seats from the frozen rolls first",
            code="blocked",
        )
    return Fraction(row[0], row[1])


def _sum_by_unit(counts: dict[int, int], body: Body) -> Fraction:
    if not is_weighted(body):
        return Fraction(sum(counts.values()))
    weights = unit_weights(body)
    return sum((weights.get(unit, Fraction(0)) * n for unit, n in counts.items()), Fraction(0))


def legal_number(body: Body) -> tuple[int, Fraction]:
    """(seats, legal amount): all the body's seats, and their total weight when weighted."""
    counts = dict(
        Seat.objects.filter(body=body, abolished_at__isnull=True)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    return sum(counts.values()), _sum_by_unit(counts, body)


def present_amount(session: Session) -> tuple[int, Fraction]:
    """(seats present, amount present): seats with someone sitting, weighted when weighted."""
    counts = dict(
        Attendance.objects.filter(session=session, left_at__isnull=True)
        .values_list("seat__unit_id")
        .annotate(n=Count("id"))
        .values_list("seat__unit_id", "n")
    )
    return sum(counts.values()), _sum_by_unit(counts, session.body)


def division_rule(motion: Motion) -> dict[str, Any]:
    """The rule in force for a division, fixed when it opens and written on the record."""
    body = motion.session.body
    org = body.organisation
    seats, legal = legal_number(body)
    quorum = (org.settings or {}).get("assembly_quorum") or {}
    rule: dict[str, Any] = {
        "threshold": motion.threshold,
        "basis": "weight" if is_weighted(body) else "seats",
        "seats": seats,
        "legal": fmt(legal),
        "quorum": str(Fraction(str(quorum.get("fraction", "1/2")))),
        "quorum_strict": bool(quorum.get("strict", True)),
        "mandate_mode": mandate_mode(org),
        "voting_rule": body.voting_rule,
    }
    if motion.threshold == Motion.Threshold.QUALIFIED:
        rule["fraction"] = fmt(motion.threshold_fraction)
    return rule


# ---------------------------------------------------------------------------------------------
# Access


def is_chair(user: Any, body: Body) -> bool:
    """Chairs of the body (or of the whole organisation) run its sessions; so do superusers."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return OfficerRole.objects.filter(
        Q(body__isnull=True) | Q(body=body),
        user=user,
        organisation_id=body.organisation_id,
        role=OfficerRole.Role.CHAIR,
    ).exists()


def access_session_by_id(session_id: int) -> Session:
    """Sessions are public."""
    session = Session.objects.select_related("body", "body__organisation").filter(pk=session_id)
    found = session.first()
    if found is None:
        raise NotFoundOrForbidden("session")
    return found


def access_session_for_chair(user: Any, session_id: int) -> Session:
    session = Session.objects.select_related("body", "body__organisation").filter(pk=session_id)
    found = session.first()
    if found is None or not is_chair(user, found.body):
        raise NotFoundOrForbidden("session")
    return found


def access_division_by_id(division_id: int) -> Division:
    found = (
        Division.objects.select_related(
            "motion",
            "motion__session",
            "motion__session__body",
            "motion__session__body__organisation",
        )
        .filter(pk=division_id)
        .first()
    )
    if found is None:
        raise NotFoundOrForbidden("division")
    return found


def access_division_for_voter(user: Any, division_id: int) -> Division:
    """The chair records any seat's vote; a delegate may cast their own seat's vote."""
    division = access_division_by_id(division_id)
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFoundOrForbidden("division")
    return division


# ---------------------------------------------------------------------------------------------
# Sessions and attendance


def _session_ref(session: Session) -> dict[str, Any]:
    return {"session_id": session.pk, "body_id": session.body_id, "body": session.body.code}


@transaction.atomic
def do_schedule_session(
    actor: Any,
    body: Body,
    *,
    title: str,
    scheduled_at: dt.datetime,
    agenda: str = "",
    place: str = "",
) -> Session:
    if body.is_base_unit:
        raise ActionError("only assemblies and committees hold sessions", field="body")
    session = Session.objects.create(
        body=body,
        title=title,
        agenda=agenda,
        place=place,
        scheduled_at=scheduled_at,
        created_at=now(),
    )
    audit(actor, "schedule_session", session, title=title)
    append(
        body.organisation,
        "assembly_session_scheduled",
        RECORD_VERSION,
        {
            **_session_ref(session),
            "title": title,
            "agenda": session.agenda_items,
            "place": place,
            "scheduled_at": scheduled_at.isoformat(),
        },
        body=body,
    )
    return session


def _locked(session: Session) -> Session:
    # Serialises changes to one session (attendance, divisions, closing).
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("body", "body__organisation")
        .get(pk=session.pk)
    )


@transaction.atomic
def do_open_session(actor: Any, session: Session) -> Session:
    session = _locked(session)
    if session.status != Session.Status.SCHEDULED:
        raise ActionError(f"the session is {session.status}, not scheduled", code="conflict")
    seats, legal = legal_number(session.body)
    if seats == 0:
        raise ActionError("the body has no seats", code="blocked")
    session.status = Session.Status.OPEN
    session.opened_at = now()
    session.save(update_fields=["status", "opened_at"])
    audit(actor, "open_session", session)
    append(
        session.body.organisation,
        "assembly_session_opened",
        RECORD_VERSION,
        {
            **_session_ref(session),
            "opened_at": session.opened_at.isoformat(),
            "seats": seats,
            "legal": fmt(legal),
            "voting_rule": session.body.voting_rule,
        },
        body=session.body,
    )
    return session


@transaction.atomic
def do_close_session(actor: Any, session: Session) -> Session:
    session = _locked(session)
    if session.status != Session.Status.OPEN:
        raise ActionError("the session is not open", code="conflict")
    if Division.objects.filter(motion__session=session, status=Division.Status.OPEN).exists():
        raise ActionError("a division is still open", code="blocked")
    at = now()
    session.status = Session.Status.CLOSED
    session.closed_at = at
    session.save(update_fields=["status", "closed_at"])
    Attendance.objects.filter(session=session, left_at__isnull=True).update(left_at=at)
    audit(actor, "close_session", session)
    append(
        session.body.organisation,
        "assembly_session_closed",
        RECORD_VERSION,
        {**_session_ref(session), "closed_at": at.isoformat()},
        body=session.body,
    )
    return session


def _current_mandate(seat: Seat) -> Mandate | None:
    return (
        Mandate.objects.select_related("member")
        .filter(seat=seat, ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )


@transaction.atomic
def do_record_attendance(
    actor: Any, session: Session, seat: Seat, *, member: Member | None = None
) -> Attendance:
    """Mark ``seat`` present: its delegate, or (``member`` given) an alternate standing in.

    If the seat is marked present under a mandate that has since ended (a recall or resignation
    during the session), that row is closed and the seat's current holder sits instead.
    """
    session = _locked(session)
    if session.status != Session.Status.OPEN:
        raise ActionError("the session is not open", code="conflict")
    if seat.body_id != session.body_id or seat.abolished_at is not None:
        raise ActionError("the seat is not a seat of this body", field="seat_id")
    mandate = _current_mandate(seat)
    if mandate is None:
        raise ActionError("the seat is vacant", field="seat_id", code="blocked")
    at = now()
    current = Attendance.objects.filter(session=session, seat=seat, left_at__isnull=True).first()
    if current is not None:
        if current.mandate_id == mandate.pk:
            raise ActionError(
                "the seat is already marked present", field="seat_id", code="conflict"
            )
        current.left_at = at
        current.save(update_fields=["left_at"])
    standing_in = None
    sitter = mandate.member
    if member is not None and member.pk != mandate.member_id:
        standing_in = Alternate.objects.filter(
            body_id=seat.body_id, unit_id=seat.unit_id, member=member, used_at__isnull=True
        ).first()
        if standing_in is None:
            raise ActionError(
                "only the seat's delegate or one of the unit's alternates may sit in it",
                field="member_id",
            )
        sitter = member
    attendance = Attendance.objects.create(
        session=session,
        seat=seat,
        mandate=mandate,
        member=sitter,
        standing_in=standing_in,
        arrived_at=at,
    )
    weight = seat_weight(session.body, seat.unit_id)
    audit(actor, "record_attendance", attendance, seat_id=seat.pk, member=sitter.public_id)
    append(
        session.body.organisation,
        "assembly_attendance",
        RECORD_VERSION,
        {
            **_session_ref(session),
            "seat_id": seat.pk,
            "unit": seat.unit.code,
            "member": sitter.public_id,
            "name": sitter.display_name,
            "mandate_id": mandate.pk,
            "standing_in": standing_in is not None,
            "weight": fmt(weight),
            "present": True,
        },
        body=session.body,
    )
    return attendance


@transaction.atomic
def do_record_departure(actor: Any, session: Session, seat: Seat) -> Attendance:
    session = _locked(session)
    attendance = Attendance.objects.filter(session=session, seat=seat, left_at__isnull=True).first()
    if attendance is None:
        raise ActionError("the seat is not marked present", field="seat_id")
    attendance.left_at = now()
    attendance.save(update_fields=["left_at"])
    audit(actor, "record_departure", attendance, seat_id=seat.pk)
    append(
        session.body.organisation,
        "assembly_attendance",
        RECORD_VERSION,
        {
            **_session_ref(session),
            "seat_id": seat.pk,
            "unit": seat.unit.code,
            "member": attendance.member.public_id,
            "name": attendance.member.display_name,
            "mandate_id": attendance.mandate_id,
            "standing_in": attendance.standing_in_id is not None,
            "present": False,
            "weight": None,
        },
        body=session.body,
    )
    return attendance


# ---------------------------------------------------------------------------------------------
# Motions


@transaction.atomic
def do_propose_motion(
    actor: Any,
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
    audit(actor, "propose_motion", motion, title=motion.title)
    append(
        session.body.organisation,
        "assembly_motion",
        RECORD_VERSION,
        {
            **_session_ref(session),
            "motion_id": motion.pk,
            "number": motion.number,
            "amends": amends.pk if amends else None,
            "proposer": name.strip(),
            "proposer_member": proposer.public_id if proposer else None,
            "title": motion.title,
            "text": motion.text,
            "threshold": threshold,
            "fraction": fmt(fraction) if threshold == Motion.Threshold.QUALIFIED else None,
            "resolution_kind": resolution_kind or None,
        },
        body=session.body,
    )
    return motion


@transaction.atomic
def do_withdraw_motion(actor: Any, motion: Motion) -> Motion:
    _locked(motion.session)
    motion.refresh_from_db()
    if motion.status != Motion.Status.PROPOSED or hasattr(motion, "division"):
        raise ActionError(
            "only a motion not yet put to a division can be withdrawn", code="conflict"
        )
    motion.status = Motion.Status.WITHDRAWN
    motion.decided_at = now()
    motion.save(update_fields=["status", "decided_at"])
    audit(actor, "withdraw_motion", motion)
    append(
        motion.session.body.organisation,
        "assembly_motion_withdrawn",
        RECORD_VERSION,
        {**_session_ref(motion.session), "motion_id": motion.pk},
        body=motion.session.body,
    )
    return motion


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


# ---------------------------------------------------------------------------------------------
# Votes


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


def live_tally(division: Division) -> dict[str, Any]:
    """Current totals by choice (exact), votes cast and seats that have not voted; 1 query.

    Grouping by weight keeps the work proportional to the number of distinct weights, not votes.
    """
    totals = {c: Fraction(0) for c in CHOICES}
    counts = Counter[str]()
    rows = (
        DelegateVote.objects.filter(division=division)
        .values_list("choice", "weight_num", "weight_den")
        .annotate(n=Count("id"))
        .order_by()
    )
    for choice, num, den, n in rows:
        totals[choice] += Fraction(num, den) * n
        counts[choice] += n
    return {"totals": totals, "counts": {c: counts[c] for c in CHOICES}}


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


# ---------------------------------------------------------------------------------------------
# Resolutions


def _adopt_resolution(actor: Any, motion: Motion, at: dt.datetime) -> Resolution:
    body = motion.session.body
    resolution = Resolution.objects.create(
        body=body,
        motion=motion,
        kind=motion.resolution_kind,
        title=motion.title,
        text=motion.text,
        adopted_at=at,
    )
    ResolutionStatusChange.objects.create(
        resolution=resolution, status=resolution.status, note="adopted", changed_at=at
    )
    audit(actor, "adopt_resolution", resolution, motion_id=motion.pk)
    append(
        body.organisation,
        "assembly_resolution_adopted",
        RECORD_VERSION,
        {
            "resolution_id": resolution.pk,
            "body_id": body.pk,
            "body": body.code,
            "motion_id": motion.pk,
            "division_id": motion.division.pk,
            "kind": resolution.kind,
            "title": resolution.title,
            "text": resolution.text,
            "status": resolution.status,
        },
        body=body,
    )
    return resolution


@transaction.atomic
def do_set_resolution_status(
    actor: Any, resolution: Resolution, status: str, *, note: str = ""
) -> Resolution:
    if status not in Resolution.Status.values:
        raise ActionError(f"unknown status {status!r}", field="status")
    resolution = (
        Resolution.objects.select_for_update(of=("self",))
        .select_related("body__organisation")
        .get(pk=resolution.pk)
    )
    if resolution.status == status:
        raise ActionError(f"the resolution is already {status}", field="status", code="conflict")
    at = now()
    previous = resolution.status
    resolution.status = status
    resolution.save(update_fields=["status"])
    ResolutionStatusChange.objects.create(
        resolution=resolution, status=status, note=note, changed_at=at
    )
    audit(actor, "set_resolution_status", resolution, status=status, previous=previous)
    append(
        resolution.body.organisation,
        "assembly_resolution_status",
        RECORD_VERSION,
        {
            "resolution_id": resolution.pk,
            "body_id": resolution.body_id,
            "previous": previous,
            "status": status,
            "note": note,
        },
        body=resolution.body,
    )
    return resolution


# ---------------------------------------------------------------------------------------------
# Instructions: a unit's secret vote on a motion, before the division


def _latest_roll(unit: Body) -> Roll | None:
    return Roll.objects.filter(body=unit, frozen_at__lte=now()).order_by("-frozen_at").first()


def _check_instruction_target(motion: Motion, unit: Body) -> None:
    if not Seat.objects.filter(
        body=motion.session.body, unit=unit, abolished_at__isnull=True
    ).exists():
        raise ActionError("the unit holds no seat in this body", field="unit_id")
    if motion.status != Motion.Status.PROPOSED or Division.objects.filter(motion=motion).exists():
        raise ActionError(
            "instructions are voted before the division", field="motion_id", code="conflict"
        )
    if Instruction.objects.filter(motion=motion, unit=unit).exists():
        raise ActionError("the unit already has an instruction on this motion", code="conflict")


@transaction.atomic
def do_open_instruction(actor: Any, motion: Motion, unit: Body) -> Instruction:
    """Open the unit's secret vote on ``motion``, against its latest frozen roll."""
    _check_instruction_target(motion, unit)
    if not unit.is_base_unit:
        raise ActionError("a secret vote of the roll is held by base units", field="unit_id")
    roll = _latest_roll(unit)
    if roll is None:
        raise ActionError("the unit has no frozen roll", field="unit_id", code="blocked")
    instruction = Instruction.objects.create(
        motion=motion, unit=unit, roll=roll, electorate=roll.size, opened_at=now()
    )
    audit(actor, "open_instruction", instruction, motion_id=motion.pk, unit=unit.code)
    append(
        unit.organisation,
        "assembly_instruction_opened",
        RECORD_VERSION,
        {
            "instruction_id": instruction.pk,
            "motion_id": motion.pk,
            "unit": unit.code,
            "roll_id": roll.pk,
            "roll_size": roll.size,
            "roll_commitment": roll.commitment,
        },
        body=unit,
    )
    return instruction


@transaction.atomic
def do_cast_instruction_ballot(member: Member, instruction: Instruction, choice: str) -> None:
    """A member of the unit's roll votes for, against, abstain or free.

    Secret: no audit entry, no record entry, no row holding the choice next to the member. The
    participation row (who voted, no time) and the counter increment commit together.
    """
    if choice not in INSTRUCTION_OPTIONS:
        raise ActionError("choose for, against, abstain or free", field="choice")
    instruction = Instruction.objects.select_for_update(of=("self",)).get(pk=instruction.pk)
    if instruction.status != Instruction.Status.OPEN:
        raise ActionError("the instruction vote is closed", code="conflict")
    if not RollEntry.objects.filter(roll_id=instruction.roll_id, member=member).exists():
        raise NotFoundOrForbidden("instruction")
    try:
        with transaction.atomic():
            InstructionParticipation.objects.create(instruction=instruction, member=member)
    except IntegrityError:
        raise ActionError("you have already voted", code="conflict") from None
    field = f"count_{choice}"
    Instruction.objects.filter(pk=instruction.pk).update(**{field: F(field) + 1})


def _publish_instruction(actor: Any, instruction: Instruction) -> Instruction:
    instruction.result = instruction_result(instruction.counts())
    instruction.status = Instruction.Status.CLOSED
    instruction.closed_at = now()
    instruction.save()
    unit = instruction.unit
    audit(actor, "close_instruction", instruction, result=instruction.result)
    append(
        unit.organisation,
        "assembly_instruction_result",
        RECORD_VERSION,
        {
            "instruction_id": instruction.pk,
            "motion_id": instruction.motion_id,
            "unit": unit.code,
            "method": instruction.method,
            "roll_id": instruction.roll_id,
            "roll_size": instruction.electorate,
            "counts": instruction.counts(),
            "result": instruction.result,
            "rule": "the option with the most ballots; a tie for the most leaves the delegates free",
        },
        body=unit,
    )
    return instruction


@transaction.atomic
def do_close_instruction(actor: Any, instruction: Instruction) -> Instruction:
    instruction = (
        Instruction.objects.select_for_update(of=("self",))
        .select_related("unit__organisation", "roll")
        .get(pk=instruction.pk)
    )
    if instruction.status != Instruction.Status.OPEN:
        raise ActionError("the instruction vote is already closed", code="conflict")
    if Division.objects.filter(motion_id=instruction.motion_id).exists():
        raise ActionError("the division has opened: too late to instruct", code="conflict")
    return _publish_instruction(actor, instruction)


@transaction.atomic
def do_record_instruction_count(
    actor: Any, motion: Motion, unit: Body, counts: dict[str, int]
) -> Instruction:
    """An instruction counted elsewhere: a base unit's general meeting (tellers enter the show of
    hands, against its latest frozen roll), or a sending assembly's own vote (against its seats).
    """
    _check_instruction_target(motion, unit)
    if unit.is_base_unit:
        roll = _latest_roll(unit)
        if roll is None:
            raise ActionError("the unit has no frozen roll", field="unit_id", code="blocked")
        electorate, method = roll.size, "meeting"
    else:
        roll = None
        electorate, method = legal_number(unit)[0], "assembly"
    clean = {}
    for option in INSTRUCTION_OPTIONS:
        value = counts.get(option, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ActionError(f"{option}: a count is a whole number", field=option)
        clean[option] = value
    if sum(clean.values()) > electorate:
        raise ActionError(
            "more votes than members on the roll"
            if roll
            else "more votes than the assembly's seats",
            field="counts",
        )
    instruction = Instruction.objects.create(
        motion=motion,
        unit=unit,
        roll=roll,
        electorate=electorate,
        method=method,
        count_for=clean["for"],
        count_against=clean["against"],
        count_abstain=clean["abstain"],
        count_free=clean["free"],
        opened_at=now(),
    )
    instruction.unit = unit
    return _publish_instruction(actor, instruction)


# ---------------------------------------------------------------------------------------------
# Untrusted input (API, CLI): check, then act


def _chair_body(user: Any, body_id: int) -> Body:
    body = Body.objects.select_related("organisation").filter(pk=body_id).first()
    if body is None or not is_chair(user, body):
        raise NotFoundOrForbidden("body")
    return body


def _motion_for_chair(user: Any, motion_id: int) -> Motion:
    motion = (
        Motion.objects.select_related("session__body__organisation").filter(pk=motion_id).first()
    )
    if motion is None or not is_chair(user, motion.session.body):
        raise NotFoundOrForbidden("motion")
    return motion


def _division_for_chair(user: Any, division_id: int) -> Division:
    division = access_division_by_id(division_id)
    if not is_chair(user, division.motion.session.body):
        raise NotFoundOrForbidden("division")
    return division


def check_schedule_session(
    user: Any,
    body_id: int,
    *,
    title: str,
    scheduled_at: dt.datetime,
    agenda: str = "",
    place: str = "",
) -> Session:
    body = _chair_body(user, body_id)
    if not title.strip():
        raise ActionError("a session needs a title", field="title")
    if scheduled_at.tzinfo is None:
        raise ActionError("give the time with its zone (UTC)", field="scheduled_at")
    return do_schedule_session(
        user, body, title=title.strip(), scheduled_at=scheduled_at, agenda=agenda, place=place
    )


def check_open_session(user: Any, session_id: int) -> Session:
    return do_open_session(user, access_session_for_chair(user, session_id))


def check_close_session(user: Any, session_id: int) -> Session:
    return do_close_session(user, access_session_for_chair(user, session_id))


def check_record_attendance(
    user: Any, session_id: int, seat_id: int, *, member_public_id: str | None = None
) -> Attendance:
    session = access_session_for_chair(user, session_id)
    seat = Seat.objects.select_related("unit").filter(pk=seat_id, body_id=session.body_id).first()
    if seat is None:
        raise ActionError("no such seat in this body", field="seat_id")
    member = None
    if member_public_id:
        member = Member.objects.filter(
            public_id=member_public_id, organisation_id=session.body.organisation_id
        ).first()
        if member is None:
            raise ActionError("no such member", field="member_id")
    return do_record_attendance(user, session, seat, member=member)


def check_record_departure(user: Any, session_id: int, seat_id: int) -> Attendance:
    session = access_session_for_chair(user, session_id)
    seat = Seat.objects.select_related("unit").filter(pk=seat_id, body_id=session.body_id).first()
    if seat is None:
        raise ActionError("no such seat in this body", field="seat_id")
    return do_record_departure(user, session, seat)


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


def check_record_instruction_count(
    user: Any, motion_id: int, unit_id: int, counts: dict[str, int]
) -> Instruction:
    """Tellers of the unit (or the body's chair) enter a general meeting's instruction."""
    motion = (
        Motion.objects.select_related("session__body__organisation").filter(pk=motion_id).first()
    )
    if motion is None:
        raise NotFoundOrForbidden("motion")
    unit = Body.objects.filter(
        pk=unit_id, organisation_id=motion.session.body.organisation_id
    ).first()
    if unit is None:
        raise ActionError("no such unit", field="unit_id")
    allowed = is_chair(user, motion.session.body) or (
        getattr(user, "is_authenticated", False)
        and OfficerRole.objects.filter(
            Q(body__isnull=True) | Q(body=unit),
            user=user,
            organisation_id=unit.organisation_id,
            role__in=[OfficerRole.Role.TELLER, OfficerRole.Role.ELECTION_OFFICER],
        ).exists()
    )
    if not allowed:
        raise NotFoundOrForbidden("motion")
    return do_record_instruction_count(user, motion, unit, counts)


def check_set_resolution_status(
    user: Any, resolution_id: int, status: str, *, note: str = ""
) -> Resolution:
    resolution = Resolution.objects.select_related("body").filter(pk=resolution_id).first()
    if resolution is None or not is_chair(user, resolution.body):
        raise NotFoundOrForbidden("resolution")
    return do_set_resolution_status(user, resolution, status, note=note)
