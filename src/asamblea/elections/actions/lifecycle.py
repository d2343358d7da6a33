"""An election from draft to certified: create, open nominations, nominate, open, close, count,
certify; and the succession when a mandate ends (a recall that passed, a resignation).

Each ``check_*`` asks the one permission predicate (an election officer of the organisation, of
the election's unit or of the body it elects to), then calls its ``do_*``; each ``do_*`` goes
through the door: one transaction with its audit entry and its typed record entry. The state
machine's table and its blocking issues are rules (:mod:`asamblea.rules.lifecycle`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asamblea.core import approvals
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, BlockingIssues
from asamblea.core.models import Approval
from asamblea.core.permissions import Forbidden
from asamblea.counting.methods import METHODS
from asamblea.elections import messages as m
from asamblea.elections.access import access_election_by_id
from asamblea.elections.actions import ranked, sealing
from asamblea.elections.actions._common import (
    State,
    freeze_roll,
    holds_office,
    is_member_of,
    locked,
    nested,
    notify_unit,
    own_member,
    require_election_officer,
    require_officer_of,
)
from asamblea.elections.actions.credentials import issue_credentials
from asamblea.elections.models import (
    Candidate,
    Certification,
    Election,
    RecallPetition,
)
from asamblea.elections.queries import (
    blocking_issues,
    standing_candidates,
)
from asamblea.record.entries.elections import (
    CandidateNominatedV1,
    CandidatePart,
    ElectionCertificationGivenV1,
    ElectionCertifiedV1,
    ElectionCreatedV1,
    ElectionOpenedV1,
    NominationsOpenedV1,
    RecallCertifiedV1,
    RollSizePart,
)
from asamblea.registry import actions as registry
from asamblea.registry.models import Body, Mandate, Member, Organisation, Seat
from asamblea.rules import ballots as counting
from asamblea.rules.lifecycle import CERTIFICATIONS_NEEDED

# --- create -------------------------------------------------------------------------------------


def check_create_election(
    actor: Any, *, organisation: Organisation, unit: Body, body: Body, **fields: Any
) -> Election:
    """An election officer of the organisation (or of the unit or the body) creates a draft."""
    require_election_officer(actor, organisation, unit, body)
    if unit.organisation_id != organisation.pk or body.organisation_id != organisation.pk:
        raise ActionError("the unit and the body must belong to the organisation", field="unit")
    return do_create_election(actor, organisation=organisation, unit=unit, body=body, **fields)


@door("elections.create")
def do_create_election(
    ctx: ActionContext,
    *,
    organisation: Organisation,
    unit: Body,
    body: Body,
    title: str,
    seats: int = 1,
    method: str = counting.PLURALITY,
    rules: Mapping[str, Any] | None = None,
    kind: str = Election.Kind.DELEGATES,
    seat: Seat | None = None,
    nominations_open_at: dt.datetime | None = None,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
) -> Election:
    if seats < 1:
        raise ActionError("an election fills at least one seat", field="seats")
    if kind != Election.Kind.RECALL and method == counting.YESNO:
        raise ActionError("yes/no is the method of recall votes", field="method")
    if (kind == Election.Kind.INSTRUCTION) != (method == counting.INSTRUCTION):
        raise ActionError("instruction votes, and only they, use the instruction method", "method")
    if method not in (counting.YESNO, counting.INSTRUCTION) and method not in METHODS:
        raise ActionError(f"unknown counting method {method!r}", field="method")
    election = Election.objects.create(
        organisation=organisation,
        unit=unit,
        body=body,
        title=title[:200],
        seats=seats,
        method=method,
        rules=dict(rules or {}),
        kind=kind,
        seat=seat,
        nominations_open_at=nominations_open_at,
        opens_at=opens_at,
        closes_at=closes_at,
        created_at=now(),
    )
    ctx.audit("create_election", election, title=title, method=method, seats=seats)
    entry = ElectionCreatedV1(
        election=election.pk,
        kind=str(kind),
        title=election.title,
        unit=unit.code,
        body=body.code,
        seats=seats,
        method=method,
        seat=seat.number if seat else None,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    ctx.record(organisation, entry, body=body)
    return election


def _move(election: Election, to_state: str) -> None:
    issues = blocking_issues(election, to_state)
    if issues:
        raise BlockingIssues(issues)


# --- nominations --------------------------------------------------------------------------------


def check_open_nominations(actor: Any, election: Election) -> Election:
    require_officer_of(actor, election)
    return do_open_nominations(actor, election)


@door("elections.open_nominations")
def do_open_nominations(ctx: ActionContext, election: Election) -> Election:
    election = locked(election)
    _move(election, State.NOMINATIONS)
    election.state = State.NOMINATIONS
    election.nominations_opened_at = now()
    election.save(update_fields=["state", "nominations_opened_at"])
    ctx.audit("open_nominations", election)
    ctx.record(election.organisation, NominationsOpenedV1(election=election.pk), body=election.body)
    return election


def check_nominate(actor: Any, election_id: int, member_public_id: str) -> Candidate:
    """An officer nominates any member; a member may nominate themself."""
    election = access_election_by_id(election_id)
    member = Member.objects.filter(
        organisation=election.organisation, public_id=member_public_id
    ).first()
    if member is None:
        raise ActionError("no such member", field="member")
    officer = holds_office(
        actor, election.organisation, "election_officer", election.unit, election.body
    )
    if not officer and own_member(actor) != member:
        raise Forbidden("only an officer, or the member themself, may nominate")
    return do_nominate(actor, election, member)


@door("elections.nominate")
def do_nominate(ctx: ActionContext, election: Election, member: Member) -> Candidate:
    election = locked(election)
    if election.state != State.NOMINATIONS:
        raise ActionError("nominations are not open", field="election")
    if not is_member_of(member, election.unit):
        raise ActionError("the candidate must be a member of the unit", field="member")
    if election.candidates.filter(member=member).exists():
        raise ActionError("already nominated", field="member")
    position = election.candidates.count() + 1
    candidate = Candidate.objects.create(
        election=election,
        member=member,
        key=member.public_id,
        name=member.display_name,
        position=position,
        nominated_at=now(),
    )
    ctx.audit("nominate", candidate, election=election.pk)
    entry = CandidateNominatedV1(election=election.pk, key=candidate.key, name=candidate.name)
    ctx.record(election.organisation, entry, body=election.body)
    return candidate


# --- open, close, count -------------------------------------------------------------------------


@dataclass
class Opened:
    election: Election
    # Codes of members with no e-mail, to print on cards: held in memory only, never stored.
    printed_codes: dict[int, str]


def check_open_election(actor: Any, election: Election) -> Opened:
    require_officer_of(actor, election)
    return do_open_election(actor, election)


@door("elections.open")
def do_open_election(ctx: ActionContext, election: Election) -> Opened:
    """Open the vote: freeze the roll, commit to the lot's seed, issue single-use credentials."""
    election = locked(election)
    _move(election, State.OPEN)
    if election.roll_id is None:
        election.roll = freeze_roll(ctx, election.unit, f"election {election.pk}")
    election.seed = secrets.token_hex(32)
    election.seed_commitment = counting.seed_commitment(election.seed)
    # Every secret vote is sealed under the ready board's key (ADR 0013); a vote opened before
    # sealing existed has none and finishes on the plaintext path.
    sealing.bind_board(election)
    election.state = State.OPEN
    election.opened_at = now()
    sealed = ["board", "public_key", "seal_id"]
    election.save(update_fields=["roll", "seed", "seed_commitment", "state", "opened_at", *sealed])
    roll = election.roll
    assert roll is not None
    candidates = standing_candidates(election)
    printed = issue_credentials(election, roll)
    ctx.audit("open_election", election, roll_size=roll.size)
    entry = ElectionOpenedV1(
        election=election.pk,
        kind=str(election.kind),
        title=election.title,
        unit=election.unit.code,
        body=election.body.code,
        seats=election.seats,
        method=election.method,
        rules=election.rules,
        candidates=[CandidatePart(key=c.key, name=c.name) for c in candidates],
        roll=RollSizePart(size=roll.size, commitment=roll.commitment),
        seed_commitment=election.seed_commitment,
        closes_at=election.closes_at,
    )
    ctx.record(election.organisation, entry, body=election.body)
    if sealing.sealable(election):
        sealing.record_sealing(ctx, election, [c.key for c in candidates])
    elif election.is_sealed and ranked.is_ranked(election.method):
        ranked.record_sealing(ctx, election, [c.key for c in candidates])
    return Opened(election, printed)


# --- certify ------------------------------------------------------------------------------------


CERTIFY = "elections.certify"


def check_certify_election(actor: Any, election: Election) -> Election:
    """An election officer proposes to certify the count; a different officer approves it in
    their own session with a fresh second factor (:mod:`asamblea.core.approvals`). Returns the
    election, still counted until the approval."""
    require_officer_of(actor, election)
    if election.state != State.COUNTED:
        raise BlockingIssues([f"the election is {election.state}, not counted"])
    approvals.do_propose(
        actor,
        CERTIFY,
        organisation_id=election.organisation_id,
        body_id=election.body_id,
        target_id=election.pk,
    )
    return election


def _may_approve_certification(user: Any, approval: Approval) -> None:
    require_officer_of(user, Election.objects.get(pk=int(approval.target_id)))


def _run_certification(ctx: ActionContext, approval: Approval) -> None:
    election = Election.objects.get(pk=int(approval.target_id))
    nested(ctx, do_certify_election, election, approval=approval)


approvals.register_kind(
    approvals.ApprovalKind(
        CERTIFY,
        may_approve=_may_approve_certification,
        run=_run_certification,
        describe=lambda a: f"certify the result of election {a.target_id}",
    )
)


@door(CERTIFY)
def do_certify_election(
    ctx: ActionContext, election: Election, *, approval: Approval | None = None
) -> Election:
    """Certify: with ``approval``, the proposer's and the approver's certifications are given
    together (one ``election_certification_given`` entry counting both) and the result takes
    effect. Without it (the demo loader only; every page, API call and verb proposes instead),
    each call is one signed-in officer's certification and the second distinct one completes it.
    """
    officer = ctx.user
    if officer is None:
        raise Forbidden("a certification is given by a signed-in election officer")
    election = locked(election)
    if election.state != State.COUNTED:
        raise BlockingIssues([f"the election is {election.state}, not counted"])
    officers = [officer] if approval is None else [approval.proposer, officer]
    for each in officers:
        if election.certifications.filter(officer=each).exists():
            raise ActionError(
                "you have already certified; a second, different officer must", code="conflict"
            )
        Certification.objects.create(election=election, officer=each, certified_at=now())
    given = election.certifications.count()
    detail = {} if approval is None else {"proposed_by": approval.proposer.get_username()}
    ctx.audit("certify_election", election, certifications=given, **detail)
    ctx.record(
        election.organisation,
        ElectionCertificationGivenV1(election=election.pk, certifications=given),
        body=election.body,
    )
    if blocking_issues(election, State.CERTIFIED):
        return election
    election.state = State.CERTIFIED
    election.certified_at = now()
    election.save(update_fields=["state", "certified_at"])
    result = election.result or {}
    if election.kind == Election.Kind.RECALL:
        petition = RecallPetition.objects.select_for_update().get(election=election)
        passed = bool(result.get("passed"))
        _record_certified(ctx, election, passed=passed, winners=[], alternates=[])
        decide_recall(ctx, petition, passed=passed, how="vote")
    else:
        by_key = {c.key: c.member for c in election.candidates.select_related("member")}
        winners = [by_key[k] for k in result.get("winners", [])]
        alternates = [by_key[k] for k in result.get("alternates", [])]
        _record_certified(ctx, election, passed=None, winners=winners, alternates=alternates)
        _seat_winners(ctx, election, winners, alternates)
    notify_unit(
        election.unit,
        m.CERTIFIED_SUBJECT,
        m.CERTIFIED_BODY,
        roll=election.roll,
        params=m.election_params(election),
    )
    return election


def _record_certified(
    ctx: ActionContext,
    election: Election,
    *,
    passed: bool | None,
    winners: list[Member],
    alternates: list[Member],
) -> None:
    entry = ElectionCertifiedV1(
        election=election.pk,
        certifications=CERTIFICATIONS_NEEDED,
        passed=passed,
        winners=[m.public_id for m in winners],
        alternates=[m.public_id for m in alternates],
    )
    ctx.record(election.organisation, entry, body=election.body)


def _seat_winners(
    ctx: ActionContext, election: Election, winners: list[Member], alternates: list[Member]
) -> None:
    source = f"election:{election.pk}"
    if election.seat_id is not None:
        seats = [election.seat]
    else:
        seats = list(
            Seat.objects.filter(
                body=election.body, unit=election.unit, abolished_at__isnull=True
            ).order_by("number")[: election.seats]
        )
    # End every term first: a winner may hold one of these seats now and move to another.
    for current in Mandate.objects.filter(seat__in=seats, ended_at__isnull=True):
        nested(ctx, registry.do_end_mandate, current, reason=Mandate.EndReason.TERM_ENDED)
    for seat, member in zip(seats, winners, strict=False):
        nested(ctx, registry.do_start_mandate, seat, member, source=source)
    # Winners beyond the seats that exist (none should be) head the list of alternates.
    nested(
        ctx,
        registry.do_set_alternates,
        election.body,
        election.unit,
        winners[len(seats) :] + alternates,
        source=source,
    )


# --- succession ---------------------------------------------------------------------------------


def succeed(ctx: ActionContext, mandate: Mandate, reason: str) -> Mandate | Election:
    """End ``mandate`` and fill its seat at once: the first alternate, or a by-election."""
    nested(ctx, registry.do_end_mandate, mandate, reason=reason)
    seat = mandate.seat
    successor = nested(
        ctx, registry.do_fill_seat_from_alternates, seat, source=f"succession:{mandate.pk}"
    )
    if successor is not None:
        return successor
    return do_create_election(
        ctx,
        organisation=seat.body.organisation,
        unit=seat.unit,
        body=seat.body,
        title=m.by_election_title(seat),
        seats=1,
        method=counting.PLURALITY,
        kind=Election.Kind.BY_ELECTION,
        seat=seat,
    )


def decide_recall(ctx: ActionContext, petition: RecallPetition, *, passed: bool, how: str) -> None:
    """A recall decided (by secret vote or a general meeting): if it passed, the mandate ends
    now and the seat is filled at once."""
    petition.state = RecallPetition.State.PASSED if passed else RecallPetition.State.FAILED
    petition.decided_at = now()
    petition.save(update_fields=["state", "decided_at"])
    mandate = petition.mandate
    successor = succeed(ctx, mandate, Mandate.EndReason.RECALLED) if passed else None
    entry = RecallCertifiedV1(
        petition=petition.pk,
        mandate=mandate.pk,
        passed=passed,
        how=how,
        successor=successor.member.public_id if isinstance(successor, Mandate) else None,
        by_election=successor.pk if isinstance(successor, Election) else None,
    )
    ctx.record(petition.organisation, entry, body=mandate.seat.body)
    ctx.audit("decide_recall", petition, passed=passed, how=how)
    notify_unit(
        petition.unit,
        m.RECALL_PASSED_SUBJECT if passed else m.RECALL_FAILED_SUBJECT,
        m.RECALL_PASSED_BODY if passed else m.RECALL_FAILED_BODY,
        roll=petition.roll,
        params=m.recall_params(petition),
    )
