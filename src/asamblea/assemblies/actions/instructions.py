"""Instructions: a unit's vote on a motion before its division (imperative mandates).

A unit's secret vote is an election of kind ``instruction`` (method ``instruction``: for,
against, abstain, free), opened and closed through the elections' own actions: the same voting
codes, the same ballot page, sealed with the board's standing key like any vote (no ceremony),
decrypted by its trustees as a total. When that election is counted (at once for a plaintext
vote, when the k-th trustee's partial decryption arrives for a sealed one) its tally becomes the
instruction's result, written as the ``assembly_instruction_result`` entry that ``asamblea verify``
recounts against the election's count. Until then the division waits.

The first path (running counts on the instruction itself, ``do_cast_instruction_ballot``) is
kept only for instruction votes opened before it was replaced: they finish on it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_noop

from asamblea.assemblies.access import access_motion_by_id
from asamblea.assemblies.models import Division, Instruction, InstructionParticipation, Motion
from asamblea.assemblies.queries import legal_number
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.mail import organisation_language, translated
from asamblea.core.permissions import Role, is_active_user, require_role
from asamblea.elections import hooks
from asamblea.elections.actions.closing import do_close_election, do_count_election
from asamblea.elections.actions.lifecycle import do_create_election, do_open_election
from asamblea.elections.models import Election
from asamblea.record.entries.assemblies import (
    INSTRUCTION_RULE,
    InstructionOpenedV2,
    InstructionResultV1,
    InstructionResultV2,
)
from asamblea.registry.models import Body, Member, Roll, RollEntry, Seat
from asamblea.rules import ballots as counting
from asamblea.rules.divisions import INSTRUCTION_OPTIONS, instruction_result

# The instruction vote's title, in the organisation's language.
INSTRUCTION_TITLE = gettext_noop("Instruction of %(unit)s: %(motion)s")


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


@door("assemblies.open_instruction")
def do_open_instruction(ctx: ActionContext, motion: Motion, unit: Body) -> Instruction:
    """Open the unit's secret vote on ``motion``, against its latest frozen roll: an election of
    kind ``instruction``, opened at once (voting codes go out as for any vote). The codes for
    members without e-mail are on ``instruction.printed_codes`` (memory only, never stored)."""
    _check_instruction_target(motion, unit)
    if not unit.is_base_unit:
        raise ActionError("a secret vote of the roll is held by base units", field="unit_id")
    roll = _latest_roll(unit)
    if roll is None:
        raise ActionError("the unit has no frozen roll", field="unit_id", code="blocked")
    election = do_create_election(
        ctx,
        organisation=unit.organisation,
        unit=unit,
        body=motion.session.body,
        title=translated(
            organisation_language(unit.organisation),
            INSTRUCTION_TITLE,
            {"unit": unit.name, "motion": motion.title},
        )[:200],
        seats=1,
        method=counting.INSTRUCTION,
        kind=Election.Kind.INSTRUCTION,
    )
    election.roll = roll
    election.save(update_fields=["roll"])
    opened = do_open_election(ctx, election)
    election = opened.election
    instruction = Instruction.objects.create(
        motion=motion,
        unit=unit,
        roll=roll,
        electorate=roll.size,
        method="election",
        election=election,
        opened_at=now(),
    )
    ctx.audit("open_instruction", instruction, motion_id=motion.pk, unit=unit.code)
    ctx.record(
        unit.organisation,
        InstructionOpenedV2(
            instruction_id=instruction.pk,
            motion_id=motion.pk,
            unit=unit.code,
            election=election.pk,
            roll_id=roll.pk,
            roll_size=roll.size,
            roll_commitment=roll.commitment,
        ),
        body=unit,
    )
    instruction.printed_codes = opened.printed_codes  # type: ignore[attr-defined]
    return instruction


@door(
    "assemblies.cast_instruction_ballot",
    private="a member's secret ballot on an instruction: only the counts are published, when the"
    " vote closes",
)
def do_cast_instruction_ballot(
    ctx: ActionContext, member: Member, instruction: Instruction, choice: str
) -> None:
    """A member of the unit's roll votes for, against, abstain or free, on an instruction vote
    opened before votes went through the elections machinery (those vote with their code on the
    election's ballot page instead).

    Secret: no audit entry, no record entry, no row holding the choice next to the member. The
    participation row (who voted, no time) and the counter increment commit together.
    """
    if choice not in INSTRUCTION_OPTIONS:
        raise ActionError("choose for, against, abstain or free", field="choice")
    instruction = Instruction.objects.select_for_update(of=("self",)).get(pk=instruction.pk)
    if instruction.election_id is not None:
        raise ActionError(
            "vote on this instruction with your voting code, on its ballot page",
            code="conflict",
        )
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


def _publish_instruction(ctx: ActionContext, instruction: Instruction) -> Instruction:
    instruction.result = instruction_result(instruction.counts())
    instruction.status = Instruction.Status.CLOSED
    instruction.closed_at = now()
    instruction.save()
    unit = instruction.unit
    ctx.audit("close_instruction", instruction, result=instruction.result)
    common: dict[str, Any] = {
        "instruction_id": instruction.pk,
        "motion_id": instruction.motion_id,
        "unit": unit.code,
        "method": instruction.method,
        "roll_id": instruction.roll_id,
        "roll_size": instruction.electorate,
        "counts": instruction.counts(),
        "result": instruction.result,
        "rule": INSTRUCTION_RULE,
    }
    if instruction.election_id is not None:
        entry: InstructionResultV1 | InstructionResultV2 = InstructionResultV2(
            election=instruction.election_id, **common
        )
    else:
        entry = InstructionResultV1(**common)
    ctx.record(unit.organisation, entry, body=unit)
    return instruction


@door("assemblies.close_instruction")
def do_close_instruction(ctx: ActionContext, instruction: Instruction) -> Instruction:
    """Close the vote. Through the elections machinery: the election closes; a plaintext vote is
    counted at once, a sealed one waits for its trustees (status ``decrypting``), and the result
    is published when it is counted (:func:`publish_counted_instruction`)."""
    instruction = (
        Instruction.objects.select_for_update(of=("self",))
        .select_related("unit__organisation", "roll", "election")
        .get(pk=instruction.pk)
    )
    if instruction.status != Instruction.Status.OPEN:
        raise ActionError("the instruction vote is already closed", code="conflict")
    if Division.objects.filter(motion_id=instruction.motion_id).exists():
        raise ActionError("the division has opened: too late to instruct", code="conflict")
    election = instruction.election
    if election is None:
        return _publish_instruction(ctx, instruction)
    instruction.status = Instruction.Status.DECRYPTING
    instruction.save(update_fields=["status"])
    ctx.audit("close_instruction_vote", instruction, election=election.pk)
    election = do_close_election(ctx, election)
    if election.state == Election.State.CLOSED and not _is_sealed(election):
        # A plaintext vote (no ready board of trustees when it opened) is counted now; its
        # count calls the hook that publishes the instruction.
        do_count_election(ctx, election)
    instruction.refresh_from_db()
    return instruction


def _is_sealed(election: Election) -> bool:
    return bool(getattr(election, "public_key", ""))


def publish_counted_instruction(ctx: ActionContext, election: Election) -> None:
    """The elections' hook for kind ``instruction``: inside the door that counted ``election``,
    its tally becomes the instruction's counts and result, on the record."""
    instruction = (
        Instruction.objects.select_for_update(of=("self",))
        .select_related("unit__organisation")
        .filter(election=election)
        .first()
    )
    if instruction is None or instruction.status == Instruction.Status.CLOSED:
        return
    tally = (election.result or {}).get("tally") or {}
    counts = {o: int(tally.get(o, 0)) for o in INSTRUCTION_OPTIONS}
    instruction.count_for = counts["for"]
    instruction.count_against = counts["against"]
    instruction.count_abstain = counts["abstain"]
    instruction.count_free = counts["free"]
    _publish_instruction(ctx, instruction)


def count_decrypted_instruction(ctx: ActionContext, election: Election) -> None:
    """The elections' hook for a sealed instruction vote whose totals the trustees have just
    decrypted: count it now, in the same door (its count publishes the instruction)."""
    if election.state == Election.State.CLOSED:
        do_count_election(ctx, election)


hooks.on_decrypted(Election.Kind.INSTRUCTION, count_decrypted_instruction)
hooks.on_counted(Election.Kind.INSTRUCTION, publish_counted_instruction)


@door("assemblies.record_instruction_count")
def do_record_instruction_count(
    ctx: ActionContext, motion: Motion, unit: Body, counts: dict[str, int]
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
    return _publish_instruction(ctx, instruction)


def _unit_of(motion: Motion, unit_id: int) -> Body:
    unit = (
        Body.objects.select_related("organisation")
        .filter(pk=unit_id, organisation_id=motion.session.body.organisation_id)
        .first()
    )
    if unit is None:
        raise ActionError("no such unit", field="unit_id")
    return unit


def check_record_instruction_count(
    user: Any, motion_id: int, unit_id: int, counts: dict[str, int]
) -> Instruction:
    """Tellers of the unit enter the instruction its general meeting (or assembly) counted."""
    motion = access_motion_by_id(motion_id)
    unit = _unit_of(motion, unit_id)
    require_role(user, unit.organisation_id, Role.TELLER, body=unit)
    return do_record_instruction_count(user, motion, unit, counts)


def check_open_instruction(user: Any, motion_id: int, unit_id: int) -> Instruction:
    """The unit's election officers open its secret vote on an instruction."""
    motion = access_motion_by_id(motion_id)
    unit = _unit_of(motion, unit_id)
    require_role(user, unit.organisation_id, Role.ELECTION_OFFICER, body=unit)
    return do_open_instruction(user, motion, unit)


def check_close_instruction(user: Any, instruction_id: int) -> Instruction:
    instruction = (
        Instruction.objects.select_related("unit__organisation").filter(pk=instruction_id).first()
    )
    if instruction is None:
        raise NotFoundOrForbidden("instruction")
    unit = instruction.unit
    require_role(user, unit.organisation_id, Role.ELECTION_OFFICER, body=unit)
    return do_close_instruction(user, instruction)


def check_cast_instruction_ballot(user: Any, instruction_id: int, choice: str) -> None:
    """A member casts their own ballot. Who may is the roll frozen when the vote opened (not a
    role: a member who has since moved to another unit still votes), checked in the action."""
    instruction = Instruction.objects.filter(pk=instruction_id).first()
    member = (
        Member.objects.filter(user=user, organisation_id=instruction.unit.organisation_id).first()
        if instruction is not None and is_active_user(user)
        else None
    )
    if instruction is None or member is None:
        raise NotFoundOrForbidden("instruction")
    do_cast_instruction_ballot(user, member, instruction, choice)
