"""Recall: petitions, signatures, the threshold, general meetings' teller results, expiry,
resignation.

Signing and withdrawing a signature are private actions: who signed is for the officers checking
the petition (the Signature table), never for the audit log or the record; the public sees
counts. What a signature sets off (the threshold reached, the recall vote opened) is done by the
platform under the petition's rules (:class:`asamblea.core.action.System`), so no entry of it
names the member whose signature tipped the count either.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from asamblea.core.action import ActionContext, System, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.mail import organisation_language, site_url, translated
from asamblea.core.permissions import Forbidden, Role, is_operator
from asamblea.elections import messages as m
from asamblea.elections.actions._common import (
    freeze_roll,
    holds_office,
    is_member_of,
    notify_unit,
    own_member,
)
from asamblea.elections.actions.lifecycle import (
    decide_recall,
    do_create_election,
    do_open_election,
    succeed,
)
from asamblea.elections.models import Election, RecallPetition, Signature, TellerEntry
from asamblea.elections.queries import recall_rules_of, sealing_issues, standing_signatures
from asamblea.record.entries.elections import (
    RecallMeetingResultV1,
    RecallPetitionExpiredV1,
    RecallPetitionOpenedV1,
    RecallTellerEnteredV1,
    RecallThresholdReachedV1,
    RollSizePart,
)
from asamblea.registry.models import Body, Mandate, Member, Organisation, RollEntry
from asamblea.rules import ballots as counting
from asamblea.rules.recall import RecallRules

SIGNING_IS_PRIVATE = (
    "who signed a recall petition is for the officers checking it, never the audit log or the "
    "record; the public sees counts"
)
UNDER_WAY = (RecallPetition.State.OPEN, RecallPetition.State.VOTING, RecallPetition.State.MEETING)


def recall_rules(organisation: Organisation) -> RecallRules:
    return RecallRules.from_settings(organisation.settings)


def _unit_members_only(member: Member, unit: Body) -> None:
    if not is_member_of(member, unit):
        raise Forbidden("only members of the represented unit may do this", field="member")


def _require_self_or_officer(actor: Any, member: Member, unit: Body) -> None:
    """A member acts for themself; an election officer enters a paper petition's lines."""
    if own_member(actor) == member:
        return
    if not holds_office(actor, unit.organisation, Role.ELECTION_OFFICER, unit):
        raise Forbidden("only the member themself, or an election officer, may do this")


# --- petitions ----------------------------------------------------------------------------------


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
    _require_self_or_officer(actor, member, mandate.seat.unit)
    return do_open_petition(actor, mandate, member, reason, route)


@door("elections.open_petition")
def do_open_petition(
    ctx: ActionContext, mandate: Mandate, opened_by: Member, reason: str, route: str = "vote"
) -> RecallPetition:
    mandate = (
        Mandate.objects.select_for_update()
        .select_related("seat__unit", "seat__body", "member")
        .get(pk=mandate.pk)
    )
    unit = mandate.seat.unit
    if mandate.ended_at is not None:
        raise ActionError("this mandate has ended", field="mandate")
    if RecallPetition.objects.filter(mandate=mandate, state__in=UNDER_WAY).exists():
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
    roll = freeze_roll(ctx, unit, f"recall of mandate {mandate.pk}")
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
    ctx.audit("open_recall_petition", petition, mandate=mandate.pk)
    entry = RecallPetitionOpenedV1(
        petition=petition.pk,
        mandate=mandate.pk,
        member=mandate.member.public_id,
        name=mandate.member.display_name,
        unit=unit.code,
        body=mandate.seat.body.code,
        reason=petition.reason,
        roll=RollSizePart(size=roll.size, commitment=roll.commitment),
        signatures_needed=rules.signatures_needed(roll.size),
        rules=petition.rules,
        deadline_at=petition.deadline_at,
    )
    ctx.record(org, entry, body=mandate.seat.body)
    notify_unit(
        unit,
        m.PETITION_OPENED_SUBJECT,
        m.PETITION_OPENED_BODY,
        roll=roll,
        params={
            "name": mandate.member.display_name,
            "body": mandate.seat.body.name,
            "reason": petition.reason,
            "deadline": f"{petition.deadline_at:%Y-%m-%d}",
            "url": site_url(reverse("elections:recall_detail", args=[petition.pk])),
        },
    )
    return petition


# --- signatures ---------------------------------------------------------------------------------


def _roll_entry(petition: RecallPetition, member: Member) -> RollEntry:
    entry = RollEntry.objects.filter(roll=petition.roll, member=member).first()
    if entry is None:
        raise Forbidden("you are not on the roll frozen when this petition opened", field="member")
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


def check_sign(actor: Any, petition: RecallPetition, member: Member) -> RecallPetition:
    _require_self_or_officer(actor, member, petition.unit)
    return do_sign(actor, petition, member)


@door("elections.sign_petition", private=SIGNING_IS_PRIVATE)
def do_sign(ctx: ActionContext, petition: RecallPetition, member: Member) -> RecallPetition:
    petition = _petition_locked(petition)
    if petition.state != RecallPetition.State.OPEN:
        raise ActionError(
            "the petition is not collecting signatures", field="petition", code="conflict"
        )
    entry = _roll_entry(petition, member)
    if petition.signatures.filter(roll_entry=entry, withdrawn_at__isnull=True).exists():
        raise ActionError("you have already signed", field="member", code="conflict")
    Signature.objects.create(petition=petition, roll_entry=entry, signed_at=now())
    # No audit entry: its actor would name the signer.
    count = standing_signatures(petition)
    reached = recall_rules_of(petition).petition_reached(count, petition.roll.size)
    if reached.passed:
        # The platform acts on the rule, not the member who signed last (nothing names them).
        do_reach_threshold(System("recall threshold reached"), petition, count, reached.as_dict())
    return petition


@door("elections.reach_threshold")
def do_reach_threshold(
    ctx: ActionContext, petition: RecallPetition, count: int, rule: dict[str, Any]
) -> None:
    """The petition reached its threshold: a recall vote opens, or a general meeting is due."""
    petition.threshold_reached_at = now()
    mandate = petition.mandate
    route = petition.rules.get("route", "vote")
    entry = RecallThresholdReachedV1(
        petition=petition.pk,
        signatures=count,
        roll_size=petition.roll.size,
        rule=rule,
        route=route,
    )
    ctx.record(petition.organisation, entry, body=mandate.seat.body)
    ctx.audit("recall_threshold_reached", petition, signatures=count, route=route)
    if route == "meeting":
        petition.state = RecallPetition.State.MEETING
        petition.save(update_fields=["threshold_reached_at", "state"])
    else:
        election = do_create_election(
            ctx,
            organisation=petition.organisation,
            unit=petition.unit,
            body=mandate.seat.body,
            title=translated(
                organisation_language(petition.organisation),
                m.RECALL_TITLE,
                {
                    "name": mandate.member.display_name,
                    "unit": mandate.seat.unit.name,
                    "body": mandate.seat.body.name,
                },
            )[:200],
            seats=1,
            method=counting.YESNO,
            rules={
                "recall": {k: v for k, v in petition.rules.items() if k != "route"},
                "petition": petition.pk,
            },
            kind=Election.Kind.RECALL,
            seat=mandate.seat,
        )
        # The recall vote counts against the roll frozen when the petition opened.
        Election.objects.filter(pk=election.pk).update(roll=petition.roll)
        election.roll = petition.roll
        petition.state = RecallPetition.State.VOTING
        petition.election = election
        petition.save(update_fields=["threshold_reached_at", "state", "election"])
        # Opened now under the standing board of trustees; without a ready one the vote waits
        # in draft, its page saying why, and an officer opens it once trustees are named (the
        # signature that reached the threshold stands either way).
        if not sealing_issues(election, Election.State.OPEN):
            do_open_election(ctx, election)
    notify_unit(
        petition.unit,
        m.THRESHOLD_SUBJECT,
        m.THRESHOLD_VOTE_BODY if route == "vote" else m.THRESHOLD_MEETING_BODY,
        roll=petition.roll,
        params={
            "name": mandate.member.display_name,
            "url": site_url(reverse("elections:recall_detail", args=[petition.pk])),
        },
    )


def check_withdraw_signature(
    actor: Any, petition: RecallPetition, member: Member
) -> RecallPetition:
    _require_self_or_officer(actor, member, petition.unit)
    return do_withdraw_signature(actor, petition, member)


@door("elections.withdraw_signature", private=SIGNING_IS_PRIVATE)
def do_withdraw_signature(
    ctx: ActionContext, petition: RecallPetition, member: Member
) -> RecallPetition:
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
    # No audit entry: its actor would name the member withdrawing.
    return petition


# --- a general meeting's result -----------------------------------------------------------------


def check_enter_teller_result(
    actor: Any, petition: RecallPetition, *, present: int, yes: int, no: int, abstain: int = 0
) -> RecallPetition:
    """Tellers of the organisation (or of the unit) enter what they counted."""
    if not holds_office(actor, petition.organisation, Role.TELLER, petition.unit):
        raise Forbidden("only a teller may enter a meeting's result")
    return do_enter_teller_result(actor, petition, present=present, yes=yes, no=no, abstain=abstain)


@door("elections.enter_teller_result")
def do_enter_teller_result(
    ctx: ActionContext,
    petition: RecallPetition,
    *,
    present: int,
    yes: int,
    no: int,
    abstain: int = 0,
) -> RecallPetition:
    """A teller's count of the general meeting; when two tellers agree, the result stands."""
    teller = ctx.user
    if teller is None:
        raise Forbidden("a teller's count is entered by the signed-in teller")
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
        teller=teller,
        defaults={
            "present": present,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "entered_at": now(),
        },
    )
    entries = list(petition.teller_entries.all())
    body = petition.mandate.seat.body
    ctx.audit("enter_teller_result", petition)
    ctx.record(
        petition.organisation,
        RecallTellerEnteredV1(petition=petition.pk, tellers=len(entries)),
        body=body,
    )
    if len(entries) < 2:
        return petition
    figures = {(e.present, e.yes, e.no, e.abstain) for e in entries}
    if len(figures) != 1:
        # Refused whole (this teller's entry too): each teller re-enters until they agree.
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
    entry = RecallMeetingResultV1(petition=petition.pk, tellers=2, **petition.meeting_result)
    ctx.record(petition.organisation, entry, body=body)
    decide_recall(ctx, petition, passed=decision.passed, how="meeting")
    return petition


# --- expiry and resignation ---------------------------------------------------------------------


def check_expire_petitions(actor: Any) -> int:
    """The platform operator expires every organisation's overdue petitions; an election
    officer, those of the organisations they serve. (The rule itself runs as the system.)"""
    due = RecallPetition.objects.filter(state=RecallPetition.State.OPEN, deadline_at__lt=now())
    organisations = {p.organisation for p in due.select_related("organisation")}
    if not is_operator(actor):
        organisations = {o for o in organisations if holds_office(actor, o, Role.ELECTION_OFFICER)}
    return do_expire_petitions(actor, organisations=sorted(organisations, key=lambda o: o.pk))


@door("elections.expire_petitions")
def do_expire_petitions(ctx: ActionContext, organisations: Any = None) -> int:
    """Close the open petitions whose time has run out (of ``organisations``; None: all)."""
    expired = 0
    due = RecallPetition.objects.select_for_update().filter(
        state=RecallPetition.State.OPEN, deadline_at__lt=now()
    )
    if organisations is not None:
        due = due.filter(organisation__in=list(organisations))
    for petition in due.select_related("organisation", "unit"):
        petition.state = RecallPetition.State.EXPIRED
        petition.decided_at = now()
        petition.save(update_fields=["state", "decided_at"])
        ctx.audit("expire_recall_petition", petition)
        entry = RecallPetitionExpiredV1(
            petition=petition.pk, signatures=standing_signatures(petition)
        )
        ctx.record(petition.organisation, entry, body=petition.unit)
        expired += 1
    if not expired:
        ctx.unchanged()
    return expired


def check_resign(actor: Any, mandate_id: int) -> Mandate | Election:
    """Only the delegate resigns their own mandate. No officer may resign it for them: that
    would unseat a delegate without the members' recall."""
    mandate = Mandate.objects.select_related("seat__unit", "member").filter(pk=mandate_id).first()
    if mandate is None or own_member(actor) != mandate.member:
        raise NotFoundOrForbidden("mandate")
    return do_resign(actor, mandate)


@door("elections.resign")
def do_resign(ctx: ActionContext, mandate: Mandate) -> Mandate | Election:
    """A delegate resigns: the same succession as a recall."""
    mandate = (
        Mandate.objects.select_for_update()
        .select_related("seat__body", "seat__unit", "member")
        .get(pk=mandate.pk)
    )
    if mandate.ended_at is not None:
        raise ActionError("this mandate has already ended", field="mandate")
    ctx.audit("resign", mandate)
    return succeed(ctx, mandate, Mandate.EndReason.RESIGNED)
