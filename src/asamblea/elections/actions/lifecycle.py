"""An election from draft to certified: create, nominate, open nominations, open, close,
count, certify; and the succession when a mandate ends (recall or resignation)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, BlockingIssues
from asamblea.core.outbox import queue_email
from asamblea.elections import secrecy
from asamblea.elections.access import access_election_by_id
from asamblea.elections.actions._common import (
    State,
    _is_member_of,
    _locked,
    _notify_unit,
    _record,
    _require_officer,
    freeze_roll,
    is_officer,
)
from asamblea.elections.actions.casting import _lock_casting
from asamblea.elections.actions.credentials import secrets_code
from asamblea.elections.models import (
    Ballot,
    Candidate,
    Certification,
    Election,
    IdempotencyRecord,
    Participation,
    RecallPetition,
    TrackingCode,
    VotingCredential,
)
from asamblea.elections.queries import blocking_issues, when
from asamblea.registry import actions as registry
from asamblea.registry.models import (
    Body,
    Mandate,
    Member,
    Organisation,
    RollEntry,
    Seat,
)
from asamblea.rules import ballots as counting


def _succeed(actor: Any, mandate: Mandate, reason: str, source: str) -> Mandate | Election:
    """End ``mandate`` and fill its seat at once: the first alternate, or a by-election."""
    registry.do_end_mandate(actor, mandate, reason=reason)
    seat = mandate.seat
    successor = registry.do_fill_seat_from_alternates(
        actor, seat, source=f"succession:{mandate.pk}"
    )
    if successor is not None:
        return successor
    return do_create_election(
        actor,
        organisation=seat.body.organisation,
        unit=seat.unit,
        body=seat.body,
        title=f"By-election: {seat}",
        seats=1,
        method=counting.PLURALITY,
        kind=Election.Kind.BY_ELECTION,
        seat=seat,
        trusted=True,
    )


def do_create_election(
    actor: Any,
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
    trusted: bool = False,
) -> Election:
    if not trusted:
        _require_officer(actor, organisation, unit)
    if seats < 1:
        raise ActionError("an election fills at least one seat", field="seats")
    if kind != Election.Kind.RECALL and method == counting.YESNO:
        raise ActionError("yes/no is the method of recall votes", field="method")
    from asamblea.counting.methods import METHODS

    if method != counting.YESNO and method not in METHODS:
        raise ActionError(f"unknown counting method {method!r}", field="method")
    with transaction.atomic():
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
        audit(actor, "create_election", election, title=title, method=method, seats=seats)
        _record(
            election,
            "election_created",
            {
                "election": election.pk,
                "kind": str(kind),
                "title": election.title,
                "unit": unit.code,
                "body": body.code,
                "seats": seats,
                "method": method,
                "seat": seat.number if seat else None,
                "opens_at": when(opens_at),
                "closes_at": when(closes_at),
            },
            body,
        )
    return election


def _move(election: Election, to_state: str) -> None:
    issues = blocking_issues(election, to_state)
    if issues:
        raise BlockingIssues(issues)


@transaction.atomic
def do_open_nominations(actor: Any, election: Election) -> Election:
    election = _locked(election)
    _move(election, State.NOMINATIONS)
    election.state = State.NOMINATIONS
    election.nominations_opened_at = now()
    election.save(update_fields=["state", "nominations_opened_at"])
    audit(actor, "open_nominations", election)
    _record(election, "nominations_opened", {"election": election.pk}, election.body)
    return election


def check_open_nominations(actor: Any, election: Election) -> Election:
    _require_officer(actor, election.organisation, election.unit)
    return do_open_nominations(actor, election)


@transaction.atomic
def do_nominate(actor: Any, election: Election, member: Member) -> Candidate:
    election = _locked(election)
    if election.state != State.NOMINATIONS:
        raise ActionError("nominations are not open", field="election")
    if not _is_member_of(member, election.unit):
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
    audit(actor, "nominate", candidate, election=election.pk)
    _record(
        election,
        "candidate_nominated",
        {"election": election.pk, "key": candidate.key, "name": candidate.name},
        election.body,
    )
    return candidate


def check_nominate(actor: Any, election_id: int, member_public_id: str) -> Candidate:
    """An officer nominates any member; a member may nominate themself."""
    election = access_election_by_id(election_id)
    member = Member.objects.filter(
        organisation=election.organisation, public_id=member_public_id
    ).first()
    if member is None:
        raise ActionError("no such member", field="member")
    own = getattr(actor, "member", None) if getattr(actor, "is_authenticated", False) else None
    if not (is_officer(actor, election.organisation, election.unit) or own == member):
        raise ActionError("only an officer, or the member themself, may nominate", code="forbidden")
    return do_nominate(actor, election, member)


@dataclass
class Opened:
    election: Election
    # Codes of members with no e-mail, to print on cards: held in memory only, never stored.
    printed_codes: dict[int, str]


@transaction.atomic
def do_open_election(actor: Any, election: Election) -> Opened:
    """Open the vote: freeze the roll, commit to the lot's seed, issue single-use credentials."""
    election = _locked(election)
    _move(election, State.OPEN)
    if election.roll_id is None:
        election.roll = freeze_roll(actor, election.unit, f"election {election.pk}")
    election.seed = secrets.token_hex(32)
    election.seed_commitment = counting.seed_commitment(election.seed)
    election.state = State.OPEN
    election.opened_at = now()
    election.save(update_fields=["roll", "seed", "seed_commitment", "state", "opened_at"])
    roll = election.roll
    assert roll is not None
    candidates = list(election.candidates.filter(withdrawn_at__isnull=True).order_by("position"))
    printed: dict[int, str] = {}
    entries = RollEntry.objects.filter(roll=roll).select_related("member")
    rows = []
    for entry in entries:
        code = secrets_code()
        rows.append(
            VotingCredential(
                election=election,
                member=entry.member,
                code_hmac=secrecy.credential_hmac(code),
                issued_at=election.opened_at,
            )
        )
        if entry.member.email:
            queue_email(
                entry.member.email,
                f"Vote open: {election.title}",
                f"The vote '{election.title}' is open.\n\nYour single-use voting code:\n\n"
                f"    {secrecy.format_code(code)}\n\nVote at /elections/{election.pk}/vote/ . "
                "Nobody, not even the officers, can see how you vote.",
                is_secret=True,
            )
        else:
            printed[entry.member.pk] = code
    VotingCredential.objects.bulk_create(rows, batch_size=1000)
    audit(actor, "open_election", election, roll_size=roll.size)
    _record(
        election,
        "election_opened",
        {
            "election": election.pk,
            "kind": str(election.kind),
            "title": election.title,
            "unit": election.unit.code,
            "body": election.body.code,
            "seats": election.seats,
            "method": election.method,
            "rules": election.rules,
            "candidates": [{"key": c.key, "name": c.name} for c in candidates],
            "roll": {"size": roll.size, "commitment": roll.commitment},
            "seed_commitment": election.seed_commitment,
            "closes_at": when(election.closes_at),
        },
        election.body,
    )
    return Opened(election, printed)


def check_open_election(actor: Any, election: Election) -> Opened:
    _require_officer(actor, election.organisation, election.unit)
    return do_open_election(actor, election)


def _rewrite_secret_rows(election: Election) -> tuple[list[str], list[str]]:
    """Ballots and tracking codes rewritten in fresh random order with fresh random ids.

    After this, neither the primary key, nor SQLite's rowid, nor PostgreSQL's ctid or xmin keep
    any trace of the order in which ballots were cast. Returns both lists, shuffled apart.
    """
    contents = list(Ballot.objects.filter(election=election).values_list("content", flat=True))
    codes = list(TrackingCode.objects.filter(election=election).values_list("code", flat=True))
    contents = secrecy.shuffled(contents)
    codes = secrecy.shuffled(codes)
    if secrecy.REWRITE_AT_CLOSE:
        secrecy.enable_secure_delete()
        Ballot.objects.filter(election=election).delete()
        TrackingCode.objects.filter(election=election).delete()
        Ballot.objects.bulk_create(
            [Ballot(election=election, content=c) for c in contents], batch_size=1000
        )
        TrackingCode.objects.bulk_create(
            [TrackingCode(election=election, code=c) for c in codes], batch_size=1000
        )
    return contents, secrecy.shuffled(codes)


def _compact_after_commit() -> None:
    if secrecy.REWRITE_AT_CLOSE:
        secrecy.compact_secret_tables()


@transaction.atomic
def do_close_election(actor: Any, election: Election) -> Election:
    # The casting lock, taken exclusively, waits for casts in flight (each holds it shared) and
    # holds new ones until this commits; they then find the election closed.
    _lock_casting(election.pk, exclusive=True)
    election = _locked(election)
    _move(election, State.CLOSED)
    election.state = State.CLOSED
    election.closed_at = now()
    election.save(update_fields=["state", "closed_at"])
    contents, codes = _rewrite_secret_rows(election)
    # The idempotency store and the credentials are of no more use, and each is one more trace.
    IdempotencyRecord.objects.filter(election=election).delete()
    VotingCredential.objects.filter(election=election).delete()
    voters = Participation.objects.filter(election=election).count()
    audit(actor, "close_election", election, voters=voters)
    _record(
        election,
        "election_closed",
        {
            "election": election.pk,
            "voters": voters,
            "roll_size": election.roll.size if election.roll else 0,
            "tracking_codes": codes,
            "ballots": [json.loads(c) for c in contents],
        },
        election.body,
    )
    transaction.on_commit(_compact_after_commit)
    return election


def check_close_election(actor: Any, election: Election) -> Election:
    _require_officer(actor, election.organisation, election.unit)
    return do_close_election(actor, election)


@transaction.atomic
def do_count_election(actor: Any, election: Election) -> Election:
    election = _locked(election)
    _move(election, State.COUNTED)
    ballots = [
        json.loads(c)
        for c in Ballot.objects.filter(election=election).values_list("content", flat=True)
    ]
    keys = list(
        election.candidates.filter(withdrawn_at__isnull=True)
        .order_by("position")
        .values_list("key", flat=True)
    )
    result = counting.count(
        election.method,
        keys,
        ballots,
        seats=election.seats,
        seed=election.seed,
        rules=election.rules,
        roll_size=election.roll.size if election.roll else 0,
    )
    election.result = result
    election.state = State.COUNTED
    election.counted_at = now()
    election.save(update_fields=["result", "state", "counted_at"])
    audit(actor, "count_election", election, winners=result.get("winners"))
    _record(
        election,
        "election_counted",
        {
            "election": election.pk,
            "method": election.method,
            "seats": election.seats,
            "rules": election.rules,
            "seed": election.seed,
            "result": result,
        },
        election.body,
    )
    return election


def check_count_election(actor: Any, election: Election) -> Election:
    _require_officer(actor, election.organisation, election.unit)
    return do_count_election(actor, election)


@transaction.atomic
def do_certify_election(actor: Any, election: Election) -> Election:
    """One officer certifies; the second distinct officer's certification takes effect."""
    election = _locked(election)
    if election.state != State.COUNTED:
        raise BlockingIssues([f"the election is {election.state}, not counted"])
    if election.certifications.filter(officer=actor).exists():
        raise ActionError(
            "you have already certified; a second, different officer must", code="conflict"
        )
    Certification.objects.create(election=election, officer=actor, certified_at=now())
    audit(actor, "certify_election", election, certifications=election.certifications.count())
    if blocking_issues(election, State.CERTIFIED):
        return election
    election.state = State.CERTIFIED
    election.certified_at = now()
    election.save(update_fields=["state", "certified_at"])
    result = election.result or {}
    payload: dict[str, Any] = {
        "election": election.pk,
        "certifications": 2,
        "passed": None,
        "winners": [],
        "alternates": [],
    }
    if election.kind == Election.Kind.RECALL:
        petition = RecallPetition.objects.select_for_update().get(election=election)
        payload["passed"] = bool(result.get("passed"))
        _record(election, "election_certified", payload, election.body)
        _decide_recall(actor, petition, passed=bool(result.get("passed")), how="vote")
    else:
        by_key = {c.key: c.member for c in election.candidates.select_related("member")}
        winners = [by_key[k] for k in result.get("winners", [])]
        alternates = [by_key[k] for k in result.get("alternates", [])]
        payload["winners"] = [m.public_id for m in winners]
        payload["alternates"] = [m.public_id for m in alternates]
        _record(election, "election_certified", payload, election.body)
        _seat_winners(actor, election, winners, alternates)
    _notify_unit(
        election.unit,
        f"Result certified: {election.title}",
        f"The result of '{election.title}' is certified and published on the public record.",
        roll=election.roll,
    )
    return election


def _seat_winners(
    actor: Any, election: Election, winners: list[Member], alternates: list[Member]
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
        registry.do_end_mandate(actor, current, reason=Mandate.EndReason.TERM_ENDED)
    for seat, member in zip(seats, winners, strict=False):
        registry.do_start_mandate(actor, seat, member, source=source)
    # Winners beyond the seats that exist (none should be) head the list of alternates.
    registry.do_set_alternates(
        actor, election.body, election.unit, winners[len(seats) :] + alternates, source=source
    )


def check_certify_election(actor: Any, election: Election) -> Election:
    _require_officer(actor, election.organisation, election.unit)
    return do_certify_election(actor, election)


def _decide_recall(actor: Any, petition: RecallPetition, *, passed: bool, how: str) -> None:
    petition.state = RecallPetition.State.PASSED if passed else RecallPetition.State.FAILED
    petition.decided_at = now()
    petition.save(update_fields=["state", "decided_at"])
    mandate = petition.mandate
    successor = None
    if passed:
        successor = _succeed(actor, mandate, Mandate.EndReason.RECALLED, f"recall:{petition.pk}")
    payload: dict[str, Any] = {
        "petition": petition.pk,
        "mandate": mandate.pk,
        "passed": passed,
        "how": how,
        "successor": None,
        "by_election": None,
    }
    if isinstance(successor, Mandate):
        payload["successor"] = successor.member.public_id
    elif isinstance(successor, Election):
        payload["by_election"] = successor.pk
    _record(petition.organisation, "recall_certified", payload, mandate.seat.body)
    audit(actor, "decide_recall", petition, passed=passed, how=how)
    _notify_unit(
        petition.unit,
        f"Recall of {mandate.member.display_name}: {'passed' if passed else 'failed'}",
        f"The recall of {mandate.member.display_name} {'passed' if passed else 'failed'}.",
        roll=petition.roll,
    )
