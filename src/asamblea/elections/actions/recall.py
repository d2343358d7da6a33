"""Recall: petitions, signatures, the threshold, general meetings' teller results, expiry,
resignation."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.elections.actions._common import (
    _is_member_of,
    _notify_unit,
    _record,
    _require_officer,
    freeze_roll,
    is_officer,
)
from asamblea.elections.actions.lifecycle import (
    _decide_recall,
    _succeed,
    do_create_election,
    do_open_election,
)
from asamblea.elections.models import (
    Election,
    RecallPetition,
    Signature,
    TellerEntry,
)
from asamblea.elections.queries import recall_rules_of, standing_signatures, when
from asamblea.registry.models import (
    Body,
    Mandate,
    Member,
    OfficerRole,
    Organisation,
    RollEntry,
)
from asamblea.rules import ballots as counting
from asamblea.rules.recall import RecallRules


def recall_rules(organisation: Organisation) -> RecallRules:
    return RecallRules.from_settings(organisation.settings)


def _unit_members_only(member: Member, unit: Body) -> None:
    if not _is_member_of(member, unit):
        raise ActionError(
            "only members of the represented unit may do this", field="member", code="forbidden"
        )


@transaction.atomic
def do_open_petition(
    actor: Any, mandate: Mandate, opened_by: Member, reason: str, route: str = "vote"
) -> RecallPetition:
    mandate = (
        Mandate.objects.select_for_update()
        .select_related("seat__unit", "seat__body", "member")
        .get(pk=mandate.pk)
    )
    unit = mandate.seat.unit
    if mandate.ended_at is not None:
        raise ActionError("this mandate has ended", field="mandate")
    if RecallPetition.objects.filter(
        mandate=mandate,
        state__in=[
            RecallPetition.State.OPEN,
            RecallPetition.State.VOTING,
            RecallPetition.State.MEETING,
        ],
    ).exists():
        raise ActionError(
            "a recall of this mandate is already under way", field="mandate", code="conflict"
        )
    if not reason.strip():
        raise ActionError("give a reason", field="reason")
    if route not in ("vote", "meeting"):
        raise ActionError("route is vote or meeting", field="route")
    _unit_members_only(opened_by, unit)
    org = unit.organisation
    rules = recall_rules(org)
    roll = freeze_roll(actor, unit, f"recall of mandate {mandate.pk}")
    at = now()
    petition = RecallPetition.objects.create(
        organisation=org,
        unit=unit,
        mandate=mandate,
        opened_by=opened_by,
        reason=reason.strip(),
        roll=roll,
        rules={**rules.as_settings(), "route": route},
        opened_at=at,
        deadline_at=rules.petition_deadline(at),
    )
    audit(actor, "open_recall_petition", petition, mandate=mandate.pk)
    _record(
        org,
        "recall_petition_opened",
        {
            "petition": petition.pk,
            "mandate": mandate.pk,
            "member": mandate.member.public_id,
            "name": mandate.member.display_name,
            "unit": unit.code,
            "body": mandate.seat.body.code,
            "reason": petition.reason,
            "roll": {"size": roll.size, "commitment": roll.commitment},
            "signatures_needed": rules.signatures_needed(roll.size),
            "deadline_at": when(petition.deadline_at),
            "rules": petition.rules,
        },
        mandate.seat.body,
    )
    _notify_unit(
        unit,
        f"Recall petition opened against {mandate.member.display_name}",
        f"A member opened a petition to recall {mandate.member.display_name} from "
        f"{mandate.seat.body}.\nReason: {petition.reason}\nMembers of the unit may sign until "
        f"{petition.deadline_at:%Y-%m-%d}.",
        roll=roll,
    )
    return petition


def check_open_petition(
    actor: Any, member: Member, mandate_id: int, reason: str, route: str = "vote"
) -> RecallPetition:
    mandate = (
        Mandate.objects.select_related("seat__unit")
        .filter(pk=mandate_id, ended_at__isnull=True)
        .first()
    )
    if mandate is None or mandate.seat.unit.organisation_id != member.organisation_id:
        raise NotFoundOrForbidden("mandate")
    return do_open_petition(actor, mandate, member, reason, route)


def _roll_entry(petition: RecallPetition, member: Member) -> RollEntry:
    entry = RollEntry.objects.filter(roll=petition.roll, member=member).first()
    if entry is None:
        raise ActionError(
            "you are not on the roll frozen when this petition opened",
            field="member",
            code="forbidden",
        )
    return entry


def _petition_locked(petition: RecallPetition) -> RecallPetition:
    petition = (
        RecallPetition.objects.select_for_update()
        .select_related("organisation", "unit", "roll", "mandate__seat__body", "mandate__member")
        .get(pk=petition.pk)
    )
    if petition.state == RecallPetition.State.OPEN and now() > petition.deadline_at:
        raise ActionError("the petition's time has run out", field="petition", code="conflict")
    return petition


@transaction.atomic
def do_sign(actor: Any, petition: RecallPetition, member: Member) -> RecallPetition:
    petition = _petition_locked(petition)
    if petition.state != RecallPetition.State.OPEN:
        raise ActionError(
            "the petition is not collecting signatures", field="petition", code="conflict"
        )
    entry = _roll_entry(petition, member)
    if petition.signatures.filter(roll_entry=entry, withdrawn_at__isnull=True).exists():
        raise ActionError("you have already signed", field="member", code="conflict")
    Signature.objects.create(petition=petition, roll_entry=entry, signed_at=now())
    count = standing_signatures(petition)
    # The audit names no signer: signatures are for officers' eyes, in the Signature table.
    audit(actor, "sign_recall_petition", petition, signatures=count)
    rules = recall_rules_of(petition)
    reached = rules.petition_reached(count, petition.roll.size)
    if reached.passed:
        _threshold_reached(actor, petition, count, reached.as_dict())
    return petition


def _threshold_reached(
    actor: Any, petition: RecallPetition, count: int, rule: dict[str, Any]
) -> None:
    petition.threshold_reached_at = now()
    mandate = petition.mandate
    route = petition.rules.get("route", "vote")
    _record(
        petition.organisation,
        "recall_threshold_reached",
        {
            "petition": petition.pk,
            "signatures": count,
            "roll_size": petition.roll.size,
            "rule": rule,
            "route": route,
        },
        mandate.seat.body,
    )
    if route == "meeting":
        petition.state = RecallPetition.State.MEETING
        petition.save(update_fields=["threshold_reached_at", "state"])
    else:
        election = do_create_election(
            actor,
            organisation=petition.organisation,
            unit=petition.unit,
            body=mandate.seat.body,
            title=f"Recall of {mandate.member.display_name} ({mandate.seat})",
            seats=1,
            method=counting.YESNO,
            rules={
                "recall": {k: v for k, v in petition.rules.items() if k != "route"},
                "petition": petition.pk,
            },
            kind=Election.Kind.RECALL,
            seat=mandate.seat,
            trusted=True,
        )
        # The recall vote counts against the roll frozen when the petition opened.
        Election.objects.filter(pk=election.pk).update(roll=petition.roll)
        election.roll = petition.roll
        petition.state = RecallPetition.State.VOTING
        petition.election = election
        petition.save(update_fields=["threshold_reached_at", "state", "election"])
        do_open_election(actor, election)
    _notify_unit(
        petition.unit,
        f"Recall of {mandate.member.display_name}: threshold reached",
        "The recall petition reached its threshold. "
        + (
            "A secret recall vote is open: your voting code follows."
            if route == "vote"
            else "A general meeting will vote."
        ),
        roll=petition.roll,
    )


@transaction.atomic
def do_withdraw_signature(actor: Any, petition: RecallPetition, member: Member) -> RecallPetition:
    petition = _petition_locked(petition)
    if petition.state != RecallPetition.State.OPEN:
        raise ActionError(
            "signatures can be withdrawn only while the petition is open",
            field="petition",
            code="conflict",
        )
    entry = _roll_entry(petition, member)
    sig = petition.signatures.filter(roll_entry=entry, withdrawn_at__isnull=True).first()
    if sig is None:
        raise ActionError("you have not signed", field="member")
    sig.withdrawn_at = now()
    sig.save(update_fields=["withdrawn_at"])
    audit(actor, "withdraw_recall_signature", petition, signatures=standing_signatures(petition))
    return petition


@transaction.atomic
def do_enter_teller_result(
    actor: Any, petition: RecallPetition, *, present: int, yes: int, no: int, abstain: int = 0
) -> RecallPetition:
    """A teller's count of the general meeting; when two tellers agree, the result stands."""
    _require_officer(actor, petition.organisation, petition.unit, OfficerRole.Role.TELLER)
    petition = _petition_locked(petition)
    if petition.state != RecallPetition.State.MEETING:
        raise ActionError(
            "the petition is not awaiting a general meeting's result",
            field="petition",
            code="conflict",
        )
    if min(present, yes, no, abstain) < 0 or yes + no + abstain > present:
        raise ActionError("yes, no and abstentions cannot exceed those present", field="present")
    if present > petition.roll.size:
        raise ActionError("more present than on the roll", field="present")
    TellerEntry.objects.update_or_create(
        petition=petition,
        teller=actor,
        defaults={
            "present": present,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "entered_at": now(),
        },
    )
    audit(actor, "enter_teller_result", petition)
    entries = list(petition.teller_entries.all())
    if len(entries) < 2:
        return petition
    figures = {(e.present, e.yes, e.no, e.abstain) for e in entries}
    if len(figures) != 1:
        audit(actor, "tellers_disagree", petition, entries=len(entries))
        raise ActionError(
            "the tellers' counts differ: each teller must re-enter until they agree",
            field="present",
            code="conflict",
        )
    rules = recall_rules_of(petition)
    # The meeting is quorate at the recall turnout rule; those present vote openly.
    decision = rules.vote_result(yes, no, abstain, present - yes - no - abstain, petition.roll.size)
    petition.meeting_result = {
        "present": present,
        "yes": yes,
        "no": no,
        "abstain": abstain,
        "decision": decision.as_dict(),
    }
    petition.save(update_fields=["meeting_result"])
    _record(
        petition.organisation,
        "recall_meeting_result",
        {"petition": petition.pk, "tellers": 2, **petition.meeting_result},
        petition.mandate.seat.body,
    )
    _decide_recall(actor, petition, passed=decision.passed, how="meeting")
    return petition


@transaction.atomic
def do_expire_petitions(actor: Any = None) -> int:
    expired = 0
    for petition in RecallPetition.objects.select_for_update().filter(
        state=RecallPetition.State.OPEN, deadline_at__lt=now()
    ):
        petition.state = RecallPetition.State.EXPIRED
        petition.decided_at = now()
        petition.save(update_fields=["state", "decided_at"])
        audit(actor, "expire_recall_petition", petition)
        _record(
            petition.organisation,
            "recall_petition_expired",
            {"petition": petition.pk, "signatures": standing_signatures(petition)},
            petition.unit,
        )
        expired += 1
    return expired


@transaction.atomic
def do_resign(actor: Any, mandate: Mandate) -> Mandate | Election:
    """A delegate resigns: the same succession as a recall."""
    mandate = (
        Mandate.objects.select_for_update()
        .select_related("seat__body", "seat__unit", "member")
        .get(pk=mandate.pk)
    )
    if mandate.ended_at is not None:
        raise ActionError("this mandate has already ended", field="mandate")
    return _succeed(actor, mandate, Mandate.EndReason.RESIGNED, "resignation")


def check_resign(actor: Any, mandate_id: int) -> Mandate | Election:
    mandate = Mandate.objects.select_related("seat__unit", "member").filter(pk=mandate_id).first()
    if mandate is None:
        raise NotFoundOrForbidden("mandate")
    own = getattr(actor, "member", None) if getattr(actor, "is_authenticated", False) else None
    if own != mandate.member and not is_officer(
        actor, mandate.seat.unit.organisation, mandate.seat.unit
    ):
        raise NotFoundOrForbidden("mandate")
    return do_resign(actor, mandate)
