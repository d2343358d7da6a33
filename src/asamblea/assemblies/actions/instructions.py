"""Instructions: a unit's vote on a motion before its division (imperative mandates)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from asamblea.assemblies.access import is_chair
from asamblea.assemblies.models import (
    Division,
    Instruction,
    InstructionParticipation,
    Motion,
)
from asamblea.assemblies.queries import RECORD_VERSION, legal_number
from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.record.recount_assemblies import (
    INSTRUCTION_OPTIONS,
    instruction_result,
)
from asamblea.recordstore.append import append
from asamblea.registry.models import (
    Body,
    Member,
    OfficerRole,
    Roll,
    RollEntry,
    Seat,
)


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
