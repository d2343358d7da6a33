"""Every change of state of elections and recalls.

``do_*`` are trusted (one transaction, audit entry and public record entry together);
``check_*`` validate untrusted input and call ``do_*``; ``access_*_by_*`` fetch with a
permission check and answer "not found" for missing and forbidden alike.

The one exception to "audit and record every change" is casting a ballot (:func:`do_cast`):
it writes no per-ballot audit or record entry, see docs/adr/0002-ballot-secrecy.md.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, BlockingIssues, NotFoundOrForbidden
from asamblea.core.kept import Kept
from asamblea.core.outbox import queue_email
from asamblea.elections import secrecy
from asamblea.elections.models import (
    Ballot,
    Candidate,
    Certification,
    Election,
    IdempotencyRecord,
    Participation,
    RecallPetition,
    Signature,
    TellerEntry,
    TrackingCode,
    VotingCredential,
)
from asamblea.record import recount_elections as counting
from asamblea.recordstore.append import append
from asamblea.registry import actions as registry
from asamblea.registry.models import (
    Body,
    Mandate,
    Member,
    Membership,
    OfficerRole,
    Organisation,
    Roll,
    RollEntry,
    Seat,
)
from asamblea.rules.recall import RecallRules

RECORD_VERSION = 1
State = Election.State


# ---------------------------------------------------------------------------------------------
# Permissions


def is_officer(
    user: Any, organisation: Organisation, body: Body | None = None, *roles: str
) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    roles = roles or (OfficerRole.Role.ELECTION_OFFICER,)
    q = OfficerRole.objects.filter(user=user, organisation=organisation, role__in=roles)
    if body is not None:
        q = q.filter(Q(body__isnull=True) | Q(body=body))
    return q.exists()


def _require_officer(user: Any, organisation: Organisation, body: Body | None, *roles: str) -> None:
    if not is_officer(user, organisation, body, *roles):
        raise ActionError("only an election officer may do this", code="forbidden")


def _record(election_or_org: Any, entry_type: str, payload: dict[str, Any], body: Body | None):  # type: ignore[no-untyped-def]
    org = getattr(election_or_org, "organisation", election_or_org)
    return append(org, entry_type, RECORD_VERSION, payload, body=body)


def _when(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# Rolls and mandates: registry-core's actions


def _open_members(unit: Body) -> list[Member]:
    today = now().date()
    return list(
        Member.objects.filter(
            memberships__unit=unit,
            memberships__left_on__isnull=True,
            memberships__joined_on__lte=today,
        ).order_by("pk")
    )


def freeze_roll(actor: Any, unit: Body, purpose: str) -> Roll:
    """The roll frozen now, inside the caller's transaction.

    A base unit's roll is its members (registry-core). A lower assembly holding an election
    votes by its current delegates: their roll is frozen here in the same form and entry.
    """
    if unit.is_base_unit:
        return registry.do_freeze_roll(actor, unit, purpose=purpose)
    from asamblea.record.commitment import roll_commitment

    member_ids = sorted(set(registry.current_mandates(unit).values_list("member_id", flat=True)))
    members = list(Member.objects.filter(pk__in=member_ids).order_by("pk"))
    at = now()
    salt = secrets.token_hex(32)
    roll = Roll(
        body=unit,
        frozen_at=at,
        purpose=purpose[:200],
        size=len(members),
        salt=salt,
        commitment=roll_commitment(salt, [m.public_id for m in members]),
    )
    roll.save(force_insert=True)
    RollEntry.objects.bulk_create([RollEntry(roll=roll, member=m) for m in members])
    audit(actor, "roll.freeze", roll, unit=unit.code, size=roll.size, purpose=roll.purpose)
    _record(
        unit.organisation,
        "roll_frozen",
        {
            "roll": {
                "id": roll.pk,
                "body": unit.code,
                "frozen_at": registry.timestamp(at),
                "purpose": roll.purpose,
                "size": roll.size,
                "commitment": roll.commitment,
            }
        },
        unit,
    )
    return roll


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


# ---------------------------------------------------------------------------------------------
# Elections: lifecycle


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
                "opens_at": _when(opens_at),
                "closes_at": _when(closes_at),
            },
            body,
        )
    return election


def blocking_issues(election: Election, to_state: str) -> list[str]:
    """Why ``election`` may not move to ``to_state`` now; empty when it may."""
    issues: list[str] = []
    order = [State.DRAFT, State.NOMINATIONS, State.OPEN, State.CLOSED, State.COUNTED]
    allowed_from = {
        State.NOMINATIONS: [State.DRAFT],
        State.OPEN: [State.NOMINATIONS] + ([State.DRAFT] if election.kind == "recall" else []),
        State.CLOSED: [State.OPEN],
        State.COUNTED: [State.CLOSED],
        State.CERTIFIED: [State.COUNTED],
    }
    if election.state not in allowed_from.get(to_state, []):
        issues.append(
            f"the election is {election.state}, not {' or '.join(allowed_from.get(to_state, order))}"
        )
    if to_state == State.OPEN and election.kind != Election.Kind.RECALL:
        standing = election.candidates.filter(withdrawn_at__isnull=True).count()
        if standing < 1:
            issues.append("no candidate is standing")
        from asamblea.counting.methods import METHODS

        if election.method not in METHODS:
            issues.append(f"the counting method {election.method!r} is not available")
    if to_state == State.CERTIFIED and election.certifications.count() < 2:
        issues.append("two different election officers must certify")
    return issues


def _move(election: Election, to_state: str) -> None:
    issues = blocking_issues(election, to_state)
    if issues:
        raise BlockingIssues(issues)


def _locked(election: Election) -> Election:
    return (
        Election.objects.select_for_update()
        .select_related("organisation", "unit", "body")
        .get(pk=election.pk)
    )


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


def _is_member_of(member: Member, unit: Body) -> bool:
    """A member of a base unit; for an assembly, one of its current delegates."""
    if unit.is_base_unit:
        return Membership.objects.filter(member=member, unit=unit, left_on__isnull=True).exists()
    return registry.current_mandates(unit).filter(member=member).exists()


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
            "closes_at": _when(election.closes_at),
        },
        election.body,
    )
    return Opened(election, printed)


def secrets_code() -> str:
    return secrecy.new_credential()


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


def _notify_unit(election_or_unit: Any, subject: str, body: str, roll: Roll | None = None) -> None:
    if roll is not None:
        emails = (
            RollEntry.objects.filter(roll=roll)
            .exclude(member__email="")
            .values_list("member__email", flat=True)
        )
    else:
        emails = [m.email for m in _open_members(election_or_unit) if m.email]
    for email in emails:
        queue_email(email, subject, body)


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


def access_election_by_id(election_id: int) -> Election:
    """Elections are public once created."""
    # get(), not filter().first(): first() orders by the key, and compiling an ORDER BY over the
    # four joined tables' columns cost more CPU than the rest of a cast (Django 5.2).
    try:
        return Election.objects.select_related("organisation", "unit", "body", "roll").get(
            pk=election_id
        )
    except Election.DoesNotExist:
        raise NotFoundOrForbidden("election") from None


# ---------------------------------------------------------------------------------------------
# Casting: no per-ballot audit or record entry, no time, no log (see the secrecy ADR)


@dataclass(frozen=True)
class Receipt:
    tracking_code: str
    replayed: bool = False


INVALID_CODE = "this voting code is not valid for this election"


@dataclass(frozen=True)
class BallotBox:
    """What casting needs of an election (state, ballot rules, roll, standing candidates' keys),
    read with one plain query: the ORM's compilation of the whole election with its
    organisation, bodies and roll cost more CPU than the rest of a cast."""

    pk: int
    state: str
    method: str
    rules: dict[str, Any]
    roll_id: int | None
    candidates: tuple[str, ...]

    @classmethod
    def load(cls, election_id: int) -> BallotBox:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT e.state, e.method, e.rules, e.roll_id, c.key FROM elections_election e"
                " LEFT JOIN elections_candidate c"
                " ON c.election_id = e.id AND c.withdrawn_at IS NULL"
                " WHERE e.id = %s ORDER BY c.position",
                [election_id],
            )
            rows = cur.fetchall()
        if not rows:
            raise NotFoundOrForbidden("election")
        state, method, rules, roll_id, _key = rows[0]
        rules = Election._meta.get_field("rules").from_db_value(rules, None, connection)
        keys = tuple(row[4] for row in rows if row[4] is not None)
        return cls(election_id, state, method, rules, roll_id, keys)

    @classmethod
    def cached(cls, election_id: int) -> BallotBox:
        """:meth:`load`, kept by this process for a few seconds while the election is open.
        Safe because casting checks the state again in the database, and an open election's
        method, rules and candidates do not change."""
        box = BALLOT_BOXES.get(election_id)
        if box is None:
            box = cls.load(election_id)
            if box.state == State.OPEN:
                BALLOT_BOXES.put(election_id, box)
        return box


BALLOT_BOXES: Kept[BallotBox] = Kept(seconds=5.0)


def verify_credential(election: Election | BallotBox, code: str) -> int:
    """The id of the roll entry that ``code`` votes for; one answer for unknown codes of any kind
    (no such code, another election's code, a member no longer on the frozen roll)."""
    row = None
    if election.roll_id is not None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT r.id FROM registry_rollentry r JOIN elections_votingcredential c"
                " ON c.member_id = r.member_id"
                " WHERE c.election_id = %s AND c.code_hmac = %s AND r.roll_id = %s",
                [election.pk, secrecy.credential_hmac(code), election.roll_id],
            )
            row = cur.fetchone()
    if row is None:
        raise ActionError(INVALID_CODE, field="code")
    return int(row[0])


def has_voted(election: Election, roll_entry_id: int) -> bool:
    return Participation.objects.filter(election=election, roll_entry_id=roll_entry_id).exists()


def candidate_keys(election: Election) -> list[str]:
    return list(
        Candidate.objects.filter(election_id=election.pk, withdrawn_at__isnull=True)
        .order_by("position")
        .values_list("key", flat=True)
    )


def check_cast(
    election: Election | BallotBox, code: str, selection: Mapping[str, Any], key: str
) -> Receipt:
    """Validate a voter's cast and cast it. Idempotent on ``key``; refuses, writing nothing,
    an unknown candidate, too many choices, a closed election, a code not on the roll, and a
    code already used (unless the same key and ballot, which returns the same receipt).
    """
    election = election if isinstance(election, BallotBox) else BallotBox.load(election.pk)
    if election.state != State.OPEN:
        raise ActionError("this election is not open for voting", field="election", code="conflict")
    if not key or len(key) < 16 or len(key) > 200:
        raise ActionError("a submission key of 16 to 200 characters is needed", field="key")
    try:
        content = counting.canonical_ballot(
            election.method, selection, list(election.candidates), election.rules
        )
    except counting.BallotError as exc:
        raise ActionError(exc.detail, field=exc.field) from None
    digest = secrecy.ballot_digest(key, content)
    try:
        return do_cast(election, code, content, key, digest)
    except _AlreadyVoted:
        # A retry of a cast that went through (or raced with itself on another connection)
        # finds its code used or its key taken: same key and ballot, same receipt. Looking the
        # key up only then saves every first cast a query.
        replay = _replayed(election, key, digest)
        if replay is not None:
            return replay
        raise ActionError(
            "this voting code has already been used", field="code", code="conflict"
        ) from None


def _replayed(election: BallotBox, key: str, digest: str) -> Receipt | None:
    record = (
        IdempotencyRecord.objects.filter(key_hash=secrecy.key_hash(key))
        .values_list("election_id", "ballot_digest", "tracking_code")
        .first()
    )
    if record is None:
        return None
    election_id, ballot_digest, tracking_code = record
    if election_id != election.pk or ballot_digest != digest:
        raise ActionError(
            "this submission was already cast with a different ballot", field="key", code="conflict"
        )
    return Receipt(tracking_code, replayed=True)


class _AlreadyVoted(Exception):
    pass


def election_state(election_id: int) -> str | None:
    """The election's state (None when there is no such election), by one plain query."""
    with connection.cursor() as cur:
        cur.execute("SELECT state FROM elections_election WHERE id = %s", [election_id])
        row = cur.fetchone()
    return row[0] if row else None


def do_cast(election: BallotBox, code: str, content: str, key: str, digest: str) -> Receipt:
    """Insert Participation (who) and Ballot (what) in one transaction, sharing nothing, if
    ``code`` is a valid voting code of the election and the election is open (checked under a
    share lock that a close waits for). Refuses, writing nothing, otherwise.

    Deliberately no audit entry, no record entry, no log line, no timestamp. The database's
    constraints, not checks in Python, keep one ballot per roll entry and one cast per key.
    """
    code_hmac = secrecy.credential_hmac(code)
    tracking = secrecy.new_tracking_code()
    ids = [_new_pk(model) for model in (Participation, Ballot, TrackingCode, IdempotencyRecord)]
    values = [content, tracking, secrecy.key_hash(key), tracking, digest]
    try:
        if connection.vendor == "postgresql":
            cast = _cast_in_one_statement(election.pk, code_hmac, ids, values)
        else:
            cast = _cast_in_a_transaction(election.pk, code_hmac, ids, values)
    except IntegrityError:
        # The code was used already, or the key raced with itself on another connection.
        raise _AlreadyVoted() from None
    if not cast:
        # Nothing was written: say why (a rare path, worth its extra query).
        if election_state(election.pk) != State.OPEN:
            raise ActionError(
                "this election is not open for voting", field="election", code="conflict"
            )
        raise ActionError(INVALID_CODE, field="code")
    return Receipt(tracking)


def _new_pk(model: type[models.Model]) -> Any:
    return model._meta.pk.get_db_prep_value(uuid.uuid4(), connection)  # type: ignore[union-attr]


# PostgreSQL advisory lock (class, election id) between casting and closing: every cast holds it
# shared for its one transaction, a close takes it exclusively. A share lock on the election row
# did the same, but each one rewrote the row's header (a new MultiXact per concurrent cast), so
# every cast and every read of the election queued on that one row.
CASTING_LOCK_CLASS = 0x43415354  # "CAST"


def _lock_casting(election_id: int, *, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE serialises a close with every cast already
    kind = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cur:
        cur.execute(f"SELECT {kind}(%s, %s)", [CASTING_LOCK_CLASS, election_id])


# The voter's roll entry, when the code is valid and the election open.
_VOTER = (
    "SELECT e.id AS election_id, r.id AS entry_id FROM elections_election e"
    " JOIN elections_votingcredential c ON c.election_id = e.id AND c.code_hmac = %s"
    " JOIN registry_rollentry r ON r.roll_id = e.roll_id AND r.member_id = c.member_id"
    " WHERE e.id = %s AND e.state = %s"
)
_CAST_ROWS = (
    "INSERT INTO elections_participation (id, election_id, roll_entry_id)"
    " SELECT %s, election_id, entry_id FROM v",
    "INSERT INTO elections_ballot (id, election_id, content) SELECT %s, election_id, %s FROM v",
    "INSERT INTO elections_trackingcode (id, election_id, code) SELECT %s, election_id, %s FROM v",
    "INSERT INTO elections_idempotencyrecord"
    " (id, election_id, key_hash, tracking_code, ballot_digest)"
    " SELECT %s, election_id, %s, %s, %s FROM v",
)


def _cast_params(ids: list[Any], values: list[Any]) -> list[list[Any]]:
    content, tracking, key_hash, tracking_again, digest = values
    return [
        [ids[0]],
        [ids[1], content],
        [ids[2], tracking],
        [ids[3], key_hash, tracking_again, digest],
    ]


def _cast_in_one_statement(
    election_id: int, code_hmac: str, ids: list[Any], values: list[Any]
) -> bool:
    """PostgreSQL: the casting lock, then the check and the four inserts as one statement (a
    data-modifying WITH; every sub-statement runs to completion), sent together in one round
    trip instead of nine, which is what bounded casting throughput (docs/operations.md).

    Both go as one simple query (Django's default client-side binding cursor), which PostgreSQL
    runs as one implicit transaction: the lock is held until its end, and the second statement's
    snapshot is taken after the lock is granted, so a close that committed meanwhile is seen."""
    parts = [f"v AS ({_VOTER})"]
    parts += [f"i{n} AS ({sql})" for n, sql in enumerate(_CAST_ROWS[:-1])]
    params: list[Any] = [CASTING_LOCK_CLASS, election_id, code_hmac, election_id, State.OPEN]
    for row in _cast_params(ids, values):
        params += row
    sql = f"SELECT pg_advisory_xact_lock_shared(%s, %s); WITH {', '.join(parts)} {_CAST_ROWS[-1]}"
    # Inside an outer transaction (tests), a savepoint keeps a refused cast from aborting it.
    scope = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with scope, connection.cursor() as cur:
        cur.execute(sql, params)
        cur.nextset()  # the insert's result, after the lock's
        return cur.rowcount == 1


def _cast_in_a_transaction(
    election_id: int, code_hmac: str, ids: list[Any], values: list[Any]
) -> bool:
    """SQLite (no data-modifying WITH): the same four inserts, each from the same check, in one
    transaction; BEGIN IMMEDIATE serialises writers, so the check stands until the commit."""
    voter = [code_hmac, election_id, State.OPEN]
    with transaction.atomic(), connection.cursor() as cur:
        for sql, row in zip(_CAST_ROWS, _cast_params(ids, values), strict=True):
            # The check as a subquery, not a WITH: sqlite3 counts rows only of statements that
            # start with INSERT.
            cur.execute(sql.replace(" FROM v", f" FROM ({_VOTER}) v"), row + voter)
            if cur.rowcount != 1:
                return False  # only the first can find no voter; nothing was written
    return True


# ---------------------------------------------------------------------------------------------
# Recall


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
            "deadline_at": _when(petition.deadline_at),
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


def standing_signatures(petition: RecallPetition) -> int:
    return petition.signatures.filter(withdrawn_at__isnull=True).count()


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


def access_petition_by_id(petition_id: int) -> RecallPetition:
    petition = (
        RecallPetition.objects.select_related(
            "organisation", "unit", "roll", "mandate__seat__body", "mandate__member", "election"
        )
        .filter(pk=petition_id)
        .first()
    )
    if petition is None:
        raise NotFoundOrForbidden("recall petition")
    return petition


def access_signatures_by_user(user: Any, petition: RecallPetition) -> list[Signature]:
    """Officers checking the petition see the signers; never the target, even as an officer."""
    target = petition.mandate.member
    if getattr(user, "is_authenticated", False) and getattr(user, "member", None) == target:
        raise NotFoundOrForbidden("signatures")
    if not is_officer(
        user,
        petition.organisation,
        petition.unit,
        OfficerRole.Role.ELECTION_OFFICER,
        OfficerRole.Role.REGISTRAR,
    ):
        raise NotFoundOrForbidden("signatures")
    return list(petition.signatures.select_related("roll_entry__member").order_by("signed_at"))


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


def recall_rules_of(petition: RecallPetition) -> RecallRules:
    """The rules in force when the petition opened (not today's settings)."""
    return RecallRules.from_settings(
        {"recall": {k: v for k, v in petition.rules.items() if k != "route"}}
    )


@transaction.atomic
def do_reissue_credentials(
    actor: Any, election: Election, members: Sequence[Member] | None = None
) -> dict[int, str]:
    """New codes (to print on cards) for roll members who have not voted; old codes stop working.

    ``members`` None means every roll member without an e-mail address. Returns member pk ->
    code, held in memory only.
    """
    election = _locked(election)
    if election.state != State.OPEN:
        raise ActionError("codes are issued only while the vote is open", field="election")
    entries = RollEntry.objects.filter(roll_id=election.roll_id).select_related("member")
    if members is not None:
        entries = entries.filter(member__in=list(members))
    else:
        entries = entries.filter(member__email="")
    voted = set(
        Participation.objects.filter(election=election).values_list("roll_entry_id", flat=True)
    )
    codes: dict[int, str] = {}
    for entry in entries:
        if entry.pk in voted:
            continue
        code = secrecy.new_credential()
        VotingCredential.objects.filter(election=election, member=entry.member).delete()
        VotingCredential.objects.create(
            election=election,
            member=entry.member,
            code_hmac=secrecy.credential_hmac(code),
            issued_at=now(),
        )
        codes[entry.member.pk] = code
    audit(actor, "reissue_credentials", election, count=len(codes))
    return codes
