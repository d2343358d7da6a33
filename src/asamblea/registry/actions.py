"""Every change of the registry goes through a function here.

``do_*`` functions are trusted mutations: one transaction, an audit entry and (for public state)
a public record entry written in that same transaction. ``check_*`` validate untrusted input and
call ``do_*``; ``access_*_by_*`` are permission-checked fetches that answer the same for "missing"
and "forbidden".

What is public and what is not: organisations, bodies, seat links, frozen rolls (size and
commitment only), apportionments, mandates and alternates go on the public record. Members,
memberships and member lists never do; their changes go to the audit log only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, models, transaction
from django.db.models import QuerySet

from asamblea.core.apischema import hash_token
from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.record.commitment import roll_commitment
from asamblea.recordstore.append import append
from asamblea.registry.models import (
    Allocation,
    Alternate,
    ApiToken,
    Apportionment,
    Body,
    Mandate,
    Member,
    Membership,
    OfficerRole,
    Organisation,
    Roll,
    RollEntry,
    Seat,
    SeatLink,
    new_public_id,
)
from asamblea.rules import apportionment as rules_apportionment

RECORD_VERSION = 1
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
BULK_BATCH = 500
# Parameters per query stay under SQLite's historical limit of 999.
IN_CHUNK = 900


# --- encoding for the public record -------------------------------------------------------------


def timestamp(at: dt.datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, as every record entry writes times."""
    if at is None:
        return None
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def body_payload(body: Body) -> dict[str, Any]:
    return {
        "code": body.code,
        "name": body.name,
        "kind": body.kind,
        "level": body.level,
        "region": body.region,
        "seat_rule": body.seat_rule,
        "house_size": body.house_size,
        "voting_rule": body.voting_rule,
    }


def _record(
    organisation: Organisation, entry_type: str, payload: dict[str, Any], body: Body | None = None
) -> None:
    append(organisation, entry_type, RECORD_VERSION, payload, body=body)


# --- organisations and bodies -------------------------------------------------------------------


@transaction.atomic
def do_create_organisation(
    actor: Any, *, slug: str, name: str, settings: dict[str, Any] | None = None
) -> Organisation:
    if Organisation.objects.filter(slug=slug).exists():
        raise ActionError(f"an organisation {slug!r} already exists", field="slug")
    org = Organisation.objects.create(
        slug=slug, name=name, settings=dict(settings or {}), created_at=now()
    )
    audit(actor, "organisation.create", org, slug=slug, name=name)
    _record(org, "organisation_created", {"organisation": {"slug": slug, "name": name}})
    if org.settings:
        _record(org, "organisation_settings_changed", {"settings": org.settings})
    return org


@transaction.atomic
def do_change_organisation_settings(
    actor: Any, organisation: Organisation, settings: dict[str, Any]
) -> Organisation:
    """Replace the settings in force; the full new settings go on the record."""
    before = organisation.settings
    organisation.settings = dict(settings)
    organisation.save(update_fields=["settings"])
    audit(actor, "organisation.settings", organisation, before=before, after=organisation.settings)
    _record(organisation, "organisation_settings_changed", {"settings": organisation.settings})
    return organisation


def _validate_body_fields(
    kind: str, seat_rule: str, house_size: int | None, voting_rule: str
) -> None:
    if kind not in Body.Kind.values:
        raise ActionError(f"unknown kind {kind!r}", field="kind")
    if seat_rule not in Body.SeatRule.values:
        raise ActionError(f"unknown seat rule {seat_rule!r}", field="seat_rule")
    if voting_rule not in Body.VotingRule.values:
        raise ActionError(f"unknown voting rule {voting_rule!r}", field="voting_rule")
    if seat_rule == Body.SeatRule.LARGEST_REMAINDER and not house_size:
        raise ActionError("largest remainder needs a house size", field="house_size")


@transaction.atomic
def do_create_body(
    actor: Any,
    organisation: Organisation,
    *,
    code: str,
    name: str,
    kind: str,
    level: str = "",
    region: str = "",
    seat_rule: str = Body.SeatRule.PER_N,
    house_size: int | None = None,
    voting_rule: str = Body.VotingRule.ONE_DELEGATE_ONE_VOTE,
) -> Body:
    _validate_body_fields(kind, seat_rule, house_size, voting_rule)
    if not SLUG_RE.match(code) or len(code) > 80:
        raise ActionError("a code has 1 to 80 letters, digits, - or _", field="code")
    if not name.strip() or len(name) > 200:
        raise ActionError("a name has 1 to 200 characters", field="name")
    if Body.objects.filter(organisation=organisation, code=code).exists():
        raise ActionError(f"a body with code {code!r} already exists", field="code")
    body = Body.objects.create(
        organisation=organisation,
        code=code,
        name=name,
        kind=kind,
        level=level,
        region=region,
        seat_rule=seat_rule,
        house_size=house_size,
        voting_rule=voting_rule,
        created_at=now(),
    )
    audit(actor, "body.create", body, code=code, kind=kind)
    _record(organisation, "body_created", {"body": body_payload(body)}, body=body)
    return body


@transaction.atomic
def do_change_body(actor: Any, body: Body, **changes: Any) -> Body:
    """Change a body's name, level, region, seat rule, house size, voting rule or dissolution."""
    allowed = {"name", "level", "region", "seat_rule", "house_size", "voting_rule", "dissolved_at"}
    unknown = set(changes) - allowed
    if unknown:
        raise ActionError(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    for key, value in changes.items():
        setattr(body, key, value)
    _validate_body_fields(body.kind, body.seat_rule, body.house_size, body.voting_rule)
    body.save()
    audit(actor, "body.change", body, **{k: str(v) for k, v in changes.items()})
    payload = {**body_payload(body), "dissolved_at": timestamp(body.dissolved_at)}
    _record(body.organisation, "body_changed", {"body": payload}, body=body)
    return body


@transaction.atomic
def do_dissolve_body(actor: Any, body: Body, *, on: dt.date | None = None) -> Body:
    """Dissolve a body: its mandates end ("unit_dissolved"), the seats it held and the seats it
    had are abolished, its members' open memberships end; history is kept."""
    if body.dissolved_at is not None:
        raise ActionError("the body is already dissolved", field="body")
    at = now()
    day = on or at.date()
    affected = Seat.objects.filter(abolished_at__isnull=True).filter(
        models.Q(unit=body) | models.Q(body=body)
    )
    for mandate in Mandate.objects.filter(seat__in=affected, ended_at__isnull=True).select_related(
        "seat__body__organisation", "seat__unit", "member"
    ):
        _end_mandate(actor, mandate, Mandate.EndReason.UNIT_DISSOLVED, at)
    affected.update(abolished_at=at)
    Alternate.objects.filter(
        models.Q(unit=body) | models.Q(body=body), used_at__isnull=True
    ).update(used_at=at)
    Membership.objects.filter(unit=body, left_on__isnull=True).update(
        left_on=day, end_reason=Membership.EndReason.UNIT_DISSOLVED
    )
    return do_change_body(actor, body, dissolved_at=at)


def _reaches(start: Body, goal: Body) -> bool:
    """Whether ``goal`` is reachable from ``start`` along sender -> receiver links."""
    seen = {start.pk}
    frontier = [start.pk]
    while frontier:
        nxt = list(
            SeatLink.objects.filter(sender_id__in=frontier).values_list("receiver_id", flat=True)
        )
        if goal.pk in nxt:
            return True
        frontier = [pk for pk in nxt if pk not in seen]
        seen.update(frontier)
    return False


@transaction.atomic
def do_link_bodies(
    actor: Any,
    sender: Body,
    receiver: Body,
    *,
    members_per_seat: int | None = None,
    minimum_seats: int = 1,
    fixed_seats: int | None = None,
) -> SeatLink:
    """``sender`` sends delegates to ``receiver``; creates or updates the link's parameters."""
    if sender.organisation_id != receiver.organisation_id:
        raise ActionError("both bodies must belong to one organisation", field="receiver")
    if sender.pk == receiver.pk:
        raise ActionError("a body cannot send seats to itself", field="receiver")
    if receiver.is_base_unit:
        raise ActionError("a base unit receives no seats", field="receiver")
    if receiver.seat_rule == Body.SeatRule.PER_N and not members_per_seat:
        raise ActionError("one seat per N members needs N", field="members_per_seat")
    if receiver.seat_rule == Body.SeatRule.FIXED and fixed_seats is None:
        raise ActionError("a fixed seat rule needs the number of seats", field="fixed_seats")
    if _reaches(receiver, sender):
        raise ActionError("the link would make a cycle of bodies", field="receiver")
    link, _ = SeatLink.objects.update_or_create(
        sender=sender,
        receiver=receiver,
        defaults={
            "members_per_seat": members_per_seat,
            "minimum_seats": minimum_seats,
            "fixed_seats": fixed_seats,
        },
    )
    audit(actor, "body.link", link, sender=sender.code, receiver=receiver.code)
    _record(
        receiver.organisation,
        "seat_link_set",
        {
            "link": {
                "sender": sender.code,
                "receiver": receiver.code,
                "members_per_seat": members_per_seat,
                "minimum_seats": minimum_seats,
                "fixed_seats": fixed_seats,
            }
        },
        body=receiver,
    )
    return link


# --- members and memberships (audit only, never on the public record) ---------------------------


def _require_base_unit(unit: Body, organisation: Organisation | None = None) -> None:
    if not unit.is_base_unit:
        raise ActionError(f"{unit.code} is not a base unit", field="unit_code")
    if unit.dissolved_at is not None:
        raise ActionError(f"{unit.code} is dissolved", field="unit_code")
    if organisation is not None and unit.organisation_id != organisation.pk:
        raise ActionError(f"{unit.code} is not a unit of this organisation", field="unit_code")


@transaction.atomic
def do_add_member(
    actor: Any,
    organisation: Organisation,
    unit: Body,
    *,
    member_ref: str,
    display_name: str,
    joined_on: dt.date,
    phone: str = "",
    email: str = "",
) -> Member:
    _require_base_unit(unit, organisation)
    if Member.objects.filter(organisation=organisation, member_ref=member_ref).exists():
        raise ActionError(f"member_ref {member_ref!r} already exists", field="member_ref")
    member = Member.objects.create(
        organisation=organisation,
        member_ref=member_ref,
        display_name=display_name,
        phone=phone,
        email=email,
        created_at=now(),
    )
    Membership.objects.create(member=member, unit=unit, joined_on=joined_on)
    audit(actor, "member.add", member, unit=unit.code, joined_on=joined_on.isoformat())
    return member


@transaction.atomic
def do_update_member(actor: Any, member: Member, **changes: Any) -> Member:
    allowed = {"display_name", "phone", "email", "user"}
    unknown = set(changes) - allowed
    if unknown:
        raise ActionError(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    for key, value in changes.items():
        setattr(member, key, value)
    member.save(update_fields=list(changes))
    audit(actor, "member.update", member, fields=sorted(changes))
    return member


def open_membership(member: Member) -> Membership | None:
    return member.memberships.filter(left_on__isnull=True).select_related("unit").first()


@transaction.atomic
def do_join(actor: Any, member: Member, unit: Body, *, joined_on: dt.date) -> Membership:
    _require_base_unit(unit, member.organisation)
    if open_membership(member) is not None:
        raise ActionError("the member already belongs to a unit; transfer instead", field="unit")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(member=member, unit=unit, joined_on=joined_on)
    except IntegrityError as exc:
        raise ActionError("the member already belongs to a unit", field="unit") from exc
    audit(actor, "member.join", member, unit=unit.code, joined_on=joined_on.isoformat())
    return membership


@transaction.atomic
def do_leave(
    actor: Any,
    member: Member,
    *,
    left_on: dt.date,
    reason: str = Membership.EndReason.LEFT,
) -> Membership:
    if reason not in Membership.EndReason.values or reason == Membership.EndReason.TRANSFERRED:
        raise ActionError(f"unknown reason {reason!r}", field="reason")
    membership = open_membership(member)
    if membership is None:
        raise ActionError("the member belongs to no unit", field="member")
    if left_on < membership.joined_on:
        raise ActionError("cannot leave before joining", field="left_on")
    membership.left_on = left_on
    membership.end_reason = reason
    membership.save(update_fields=["left_on", "end_reason"])
    audit(actor, "member.leave", member, unit=membership.unit.code, reason=reason)
    return membership


@transaction.atomic
def do_transfer(actor: Any, member: Member, to_unit: Body, *, on: dt.date) -> Membership:
    """Close the open membership on ``on`` and open one in ``to_unit``; history keeps both."""
    _require_base_unit(to_unit, member.organisation)
    old = open_membership(member)
    if old is None:
        raise ActionError("the member belongs to no unit; join instead", field="member")
    if old.unit_id == to_unit.pk:
        raise ActionError("the member already belongs to that unit", field="unit")
    if on < old.joined_on:
        raise ActionError("cannot transfer before joining", field="on")
    _close_for_transfer(old, on)
    new = Membership.objects.create(member=member, unit=to_unit, joined_on=on)
    Membership.objects.filter(pk=old.pk).update(transferred_to=new)
    audit(actor, "member.transfer", member, from_unit=old.unit.code, to_unit=to_unit.code)
    return new


def _close_for_transfer(old: Membership, on: dt.date) -> None:
    Membership.objects.filter(pk=old.pk).update(
        left_on=on, end_reason=Membership.EndReason.TRANSFERRED
    )


# --- bulk import (used by import-members and the demo) ------------------------------------------


@dataclass
class MemberRow:
    """One validated row of a member file."""

    line: int
    unit_code: str
    member_ref: str
    display_name: str
    phone: str
    email: str
    joined_on: dt.date


@dataclass
class ImportPlan:
    """What an import would do. Built by reading only; applied by :func:`do_import_members`."""

    create: list[MemberRow] = field(default_factory=list)
    update: list[tuple[int, MemberRow]] = field(default_factory=list)  # (member pk, row)
    rejoin: list[tuple[int, MemberRow]] = field(default_factory=list)
    transfer: list[tuple[int, int, MemberRow]] = field(default_factory=list)  # (pk, old ms pk, row)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.create or self.update or self.rejoin or self.transfer)

    def summary(self) -> dict[str, int]:
        return {
            "created": len(self.create),
            "updated": len(self.update),
            "rejoined": len(self.rejoin),
            "transferred": len(self.transfer),
            "unchanged": self.unchanged,
        }


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def plan_import(organisation: Organisation, rows: Sequence[MemberRow]) -> ImportPlan:
    """Compare validated rows with the register; ``member_ref`` is the match key.

    ``joined_on`` is used only when a membership is opened (new member, rejoin, transfer); it
    never rewrites an existing membership, so importing the same file twice changes nothing.
    """
    refs = [r.member_ref for r in rows]
    existing: dict[str, tuple[int, str, str, str]] = {}
    for chunk in _chunks(refs):
        for pk, ref, name, phone, email in Member.objects.filter(
            organisation=organisation, member_ref__in=chunk
        ).values_list("pk", "member_ref", "display_name", "phone", "email"):
            existing[ref] = (pk, name, phone, email)
    pks = [v[0] for v in existing.values()]
    open_ms: dict[int, tuple[int, str, dt.date]] = {}
    for chunk in _chunks(pks):
        for ms_pk, member_id, unit_code, joined_on in Membership.objects.filter(
            member_id__in=chunk, left_on__isnull=True
        ).values_list("pk", "member_id", "unit__code", "joined_on"):
            open_ms[member_id] = (ms_pk, unit_code, joined_on)
    plan = ImportPlan()
    for row in rows:
        found = existing.get(row.member_ref)
        if found is None:
            plan.create.append(row)
            continue
        pk, name, phone, email = found
        changed_fields = (name, phone, email) != (row.display_name, row.phone, row.email)
        ms = open_ms.get(pk)
        if ms is None:
            plan.rejoin.append((pk, row))
        elif ms[1] != row.unit_code:
            plan.transfer.append((pk, ms[0], row))
        elif not changed_fields:
            plan.unchanged += 1
        if changed_fields:
            plan.update.append((pk, row))
    return plan


def _insert_rows(model: Any, field_names: list[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT many rows with one prepared statement; values are adapted by the backend's ops.

    Every NOT NULL column without a database default must be given (Django's defaults live in
    Python, not in the schema).
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from models
    params = [
        tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@transaction.atomic
def do_import_members(
    actor: Any,
    organisation: Organisation,
    plan: ImportPlan,
    *,
    source: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Apply an import plan in one transaction, with bulk writes; one audit entry for the file."""
    at = now()
    today = at.date()
    units = dict(Body.objects.filter(organisation=organisation).values_list("code", "pk"))
    # Members created. Rows go in by executemany rather than model instances: building 10,000
    # model objects costs more than the inserts themselves.
    member_rows = [
        (organisation.pk, new_public_id(), r.member_ref, r.display_name, r.phone, r.email, at)
        for r in plan.create
    ]
    done = 0
    for chunk in _chunks(member_rows, BULK_BATCH * 4):
        _insert_rows(
            Member,
            [
                "organisation",
                "public_id",
                "member_ref",
                "display_name",
                "phone",
                "email",
                "created_at",
            ],
            chunk,
        )
        done += len(chunk)
        if progress:
            progress(f"members created: {done}/{len(member_rows)}")
    new_ids: dict[str, int] = {}
    for chunk in _chunks([r.member_ref for r in plan.create]):
        new_ids.update(
            Member.objects.filter(organisation=organisation, member_ref__in=chunk).values_list(
                "member_ref", "pk"
            )
        )
    opened = [(new_ids[r.member_ref], units[r.unit_code], r.joined_on, "") for r in plan.create]
    opened += [(pk, units[r.unit_code], r.joined_on, "") for pk, r in plan.rejoin]
    # Transfers: close the old membership (on the file's joined_on when it is later than the old
    # joining date, else today), then open the new one on that same date.
    transfer_dates: dict[int, dt.date] = {}
    old_joined = (
        dict(
            Membership.objects.filter(pk__in=[ms for _, ms, _ in plan.transfer]).values_list(
                "pk", "joined_on"
            )
        )
        if plan.transfer
        else {}
    )
    for _pk, ms_pk, r in plan.transfer:
        on = r.joined_on if r.joined_on >= old_joined[ms_pk] else max(today, old_joined[ms_pk])
        transfer_dates[ms_pk] = on
        Membership.objects.filter(pk=ms_pk).update(
            left_on=on, end_reason=Membership.EndReason.TRANSFERRED
        )
    transfer_new = [
        Membership(member_id=pk, unit_id=units[r.unit_code], joined_on=transfer_dates[ms_pk])
        for pk, ms_pk, r in plan.transfer
    ]
    for chunk in _chunks(opened, BULK_BATCH * 4):
        _insert_rows(Membership, ["member", "unit", "joined_on", "end_reason"], chunk)
    if progress and opened:
        progress(f"memberships opened: {len(opened)}")
    if transfer_new:
        Membership.objects.bulk_create(transfer_new, batch_size=BULK_BATCH)
        new_by_member = {ms.member_id: ms.pk for ms in transfer_new}
        if any(v is None for v in new_by_member.values()):
            new_by_member = dict(
                Membership.objects.filter(
                    member_id__in=list(new_by_member), left_on__isnull=True
                ).values_list("member_id", "pk")
            )
        for pk, ms_pk, _r in plan.transfer:
            Membership.objects.filter(pk=ms_pk).update(transferred_to_id=new_by_member[pk])
    if plan.update:
        updated = [
            Member(pk=pk, display_name=r.display_name, phone=r.phone, email=r.email)
            for pk, r in plan.update
        ]
        Member.objects.bulk_update(
            updated, ["display_name", "phone", "email"], batch_size=BULK_BATCH
        )
    summary = plan.summary()
    audit(actor, "members.import", organisation, source=source, **summary)
    return summary


# --- rolls --------------------------------------------------------------------------------------


def eligible_member_ids(unit: Body, on: dt.date) -> list[int]:
    """Members with an open membership of ``unit`` that began on or before ``on``."""
    return list(
        Membership.objects.filter(unit=unit, left_on__isnull=True, joined_on__lte=on)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )


@transaction.atomic
def do_freeze_roll(actor: Any, unit: Body, *, purpose: str = "") -> Roll:
    """Freeze the unit's eligible members now: roll, entries and commitment in one transaction."""
    if not unit.is_base_unit:
        raise ActionError("rolls are frozen for base units", field="unit")
    if unit.dissolved_at is not None:
        raise ActionError("the unit is dissolved", field="unit")
    at = now()
    member_ids = eligible_member_ids(unit, at.date())
    public_ids: list[str] = []
    for chunk in _chunks(member_ids):
        public_ids.extend(Member.objects.filter(pk__in=chunk).values_list("public_id", flat=True))
    salt = secrets.token_hex(32)
    roll = Roll(
        body=unit,
        frozen_at=at,
        purpose=purpose[:200],
        size=len(member_ids),
        salt=salt,
        commitment=roll_commitment(salt, public_ids),
    )
    roll.save(force_insert=True)
    for chunk in _chunks(member_ids, BULK_BATCH * 4):
        _insert_rows(RollEntry, ["roll", "member"], [(roll.pk, mid) for mid in chunk])
    audit(actor, "roll.freeze", roll, unit=unit.code, size=roll.size, purpose=roll.purpose)
    _record(
        unit.organisation,
        "roll_frozen",
        {
            "roll": {
                "id": roll.pk,
                "body": unit.code,
                "frozen_at": timestamp(at),
                "purpose": roll.purpose,
                "size": roll.size,
                "commitment": roll.commitment,
            }
        },
        body=unit,
    )
    return roll


def latest_roll(unit: Body) -> Roll | None:
    return unit.rolls.order_by("-frozen_at", "-pk").first()


# --- apportionment ------------------------------------------------------------------------------


@dataclass
class SenderShare:
    sender: Body
    link: SeatLink
    population: int
    roll: Roll | None


@dataclass
class ComputedApportionment:
    body: Body
    shares: list[SenderShare]
    result: rules_apportionment.ApportionmentResult

    def as_dict(self) -> dict[str, Any]:
        return {
            "body": self.body.code,
            "rule": self.result.rule,
            "house_size": self.result.house_size,
            "total_seats": self.result.total_seats,
            "seed": self.result.seed,
            "ties": [t.as_dict() for t in self.result.ties],
            "allocations": [
                {
                    "sender": s.sender.code,
                    "roll_id": s.roll.pk if s.roll else None,
                    "population": s.population,
                    "seats": self.result.seats[s.sender.code],
                }
                for s in self.shares
            ],
        }


def represented_population(body: Body) -> int:
    """Members a sender represents: its latest frozen roll (base unit), or, for an assembly or
    committee, the sum of the populations of its own senders' current allocations."""
    if body.is_base_unit:
        roll = latest_roll(body)
        if roll is None:
            raise ActionError(f"{body.code} has no frozen roll yet", field="sender")
        return roll.size
    current = body.apportionments.filter(is_current=True).first()
    if current is None:
        raise ActionError(f"{body.code} has no seats apportioned yet", field="sender")
    return sum(current.allocations.values_list("population", flat=True))


def compute_apportionment(body: Body, *, seed: str | None = None) -> ComputedApportionment:
    """Read-only: the apportionment the body's rule gives from the senders' latest rolls."""
    links = list(
        SeatLink.objects.filter(receiver=body, sender__dissolved_at__isnull=True)
        .select_related("sender")
        .order_by("sender__code")
    )
    shares: list[SenderShare] = []
    for link in links:
        roll = latest_roll(link.sender) if link.sender.is_base_unit else None
        shares.append(SenderShare(link.sender, link, represented_population(link.sender), roll))
    inputs = {
        s.sender.code: rules_apportionment.Share(
            population=s.population,
            members_per_seat=s.link.members_per_seat,
            minimum_seats=s.link.minimum_seats,
            fixed_seats=s.link.fixed_seats,
        )
        for s in shares
    }
    if seed is None:
        # The seed is published with the apportionment; it is derived from public facts only
        # (the body and its senders' populations), so anyone can check the draw.
        facts = f"{body.organisation.slug}:{body.code}:" + ",".join(
            f"{s.sender.code}={s.population}" for s in shares
        )
        seed = "sha256:" + hashlib.sha256(facts.encode("utf-8")).hexdigest()
    elif not seed or len(seed) > 200:
        raise ActionError("the seed must have 1 to 200 characters", field="seed")
    try:
        result = rules_apportionment.apportion(
            body.seat_rule, inputs, house_size=body.house_size, seed=seed
        )
    except ValueError as exc:
        raise ActionError(str(exc), field="seat_rule") from exc
    return ComputedApportionment(body, shares, result)


def current_apportionment(body: Body) -> Apportionment | None:
    return body.apportionments.filter(is_current=True).prefetch_related("allocations").first()


@transaction.atomic
def do_apportion(actor: Any, body: Body, *, seed: str | None = None) -> Apportionment:
    """Compute the body's seats from the latest rolls and make them current.

    Seats are created or abolished per sender to match; a mandate on an abolished seat ends
    ("seat_abolished"). Seat numbers are stable: a sender's seats are 1..n, the highest go first.
    """
    computed = compute_apportionment(body, seed=seed)
    at = now()
    Apportionment.objects.filter(receiver=body, is_current=True).update(is_current=False)
    appt = Apportionment.objects.create(
        receiver=body,
        computed_at=at,
        rule=computed.result.rule,
        house_size=computed.result.house_size,
        total_seats=computed.result.total_seats,
        is_current=True,
        seed=computed.result.seed or "",
        draws=[t.as_dict() for t in computed.result.ties],
    )
    Allocation.objects.bulk_create(
        [
            Allocation(
                apportionment=appt,
                sender=s.sender,
                roll=s.roll,
                population=s.population,
                seats=computed.result.seats[s.sender.code],
            )
            for s in computed.shares
        ]
    )
    wanted = {s.sender.pk: computed.result.seats[s.sender.code] for s in computed.shares}
    seats = list(Seat.objects.filter(body=body).select_related("unit"))
    by_unit: dict[int, dict[int, Seat]] = {}
    for seat in seats:
        by_unit.setdefault(seat.unit_id, {})[seat.number] = seat
    to_create: list[Seat] = []
    for unit_id in set(wanted) | set(by_unit):
        n = wanted.get(unit_id, 0)
        existing = by_unit.get(unit_id, {})
        for number in range(1, n + 1):
            seat = existing.get(number)
            if seat is None:
                to_create.append(Seat(body=body, unit_id=unit_id, number=number, created_at=at))
            elif seat.abolished_at is not None:
                Seat.objects.filter(pk=seat.pk).update(abolished_at=None)
        for number, seat in existing.items():
            if number > n and seat.abolished_at is None:
                for mandate in seat.mandates.filter(ended_at__isnull=True):
                    _end_mandate(actor, mandate, Mandate.EndReason.SEAT_ABOLISHED, at)
                Seat.objects.filter(pk=seat.pk).update(abolished_at=at)
    Seat.objects.bulk_create(to_create, batch_size=BULK_BATCH)
    summary = computed.as_dict()
    audit(actor, "seats.apportion", appt, body=body.code, total_seats=appt.total_seats)
    _record(
        body.organisation,
        "seats_apportioned",
        {
            "apportionment": {
                "id": appt.pk,
                "body": body.code,
                "rule": appt.rule,
                "house_size": appt.house_size,
                "total_seats": appt.total_seats,
                "seed": appt.seed,
                "ties": appt.draws,
                "allocations": summary["allocations"],
            }
        },
        body=body,
    )
    return appt


# --- mandates, weights, alternates --------------------------------------------------------------


def current_mandates(body: Body) -> QuerySet[Mandate]:
    """Mandates held now in ``body`` (open, on seats that are not abolished)."""
    return (
        Mandate.objects.filter(
            seat__body=body, ended_at__isnull=True, seat__abolished_at__isnull=True
        )
        .select_related("member", "seat", "seat__unit")
        .order_by("seat__unit__code", "seat__number")
    )


def seat_weight(body: Body, unit: Body) -> Fraction:
    """Members represented by each of ``unit``'s seats in ``body`` (current allocation)."""
    allocation = Allocation.objects.filter(
        apportionment__receiver=body, apportionment__is_current=True, sender=unit
    ).first()
    if allocation is None or not allocation.seats:
        return Fraction(0)
    return Fraction(allocation.population, allocation.seats)


def mandate_weight(mandate: Mandate) -> Fraction:
    """The weight of a mandate's vote: 1 in a one-delegate-one-vote body; in a weighted body,
    the sender's population divided by its seats in the current allocation (exact)."""
    seat = mandate.seat
    body = seat.body
    if body.voting_rule != Body.VotingRule.WEIGHTED:
        return Fraction(1)
    return seat_weight(body, seat.unit)


def mandate_payload(mandate: Mandate) -> dict[str, Any]:
    seat = mandate.seat
    return {
        "id": mandate.pk,
        "body": seat.body.code,
        "unit": seat.unit.code,
        "seat_number": seat.number,
        "member": mandate.member.public_id,
    }


def _eligible_for_seat(member: Member, unit: Body) -> bool:
    """A base unit's seat goes to one of its members; an assembly's or committee's seat to one
    of that body's current delegates."""
    if unit.is_base_unit:
        return Membership.objects.filter(member=member, unit=unit, left_on__isnull=True).exists()
    return Mandate.objects.filter(
        member=member, seat__body=unit, ended_at__isnull=True, seat__abolished_at__isnull=True
    ).exists()


@transaction.atomic
def do_start_mandate(
    actor: Any, seat: Seat, member: Member, *, source: str, started_at: dt.datetime | None = None
) -> Mandate:
    if seat.abolished_at is not None:
        raise ActionError("the seat is abolished", field="seat")
    if member.organisation_id != seat.body.organisation_id:
        raise ActionError("the member is not in this organisation", field="member")
    if not _eligible_for_seat(member, seat.unit):
        raise ActionError(f"the member cannot hold a seat of {seat.unit.code}", field="member")
    if Mandate.objects.filter(seat=seat, ended_at__isnull=True).exists():
        raise ActionError("the seat is already held", field="seat")
    at = started_at or now()
    try:
        with transaction.atomic():
            mandate = Mandate.objects.create(seat=seat, member=member, started_at=at, source=source)
    except IntegrityError as exc:
        raise ActionError("the seat is already held", field="seat") from exc
    audit(actor, "mandate.start", mandate, seat=seat.pk, source=source)
    _record(
        seat.body.organisation,
        "mandate_started",
        {
            "mandate": {
                **mandate_payload(mandate),
                "display_name": member.display_name,
                "started_at": timestamp(at),
                "source": source,
            }
        },
        body=seat.body,
    )
    return mandate


def _end_mandate(actor: Any, mandate: Mandate, reason: str, at: dt.datetime) -> Mandate:
    mandate.ended_at = at
    mandate.end_reason = reason
    mandate.save(update_fields=["ended_at", "end_reason"])
    audit(actor, "mandate.end", mandate, reason=reason)
    _record(
        mandate.seat.body.organisation,
        "mandate_ended",
        {
            "mandate": {
                **mandate_payload(mandate),
                "ended_at": timestamp(at),
                "end_reason": reason,
            }
        },
        body=mandate.seat.body,
    )
    return mandate


@transaction.atomic
def do_end_mandate(
    actor: Any, mandate: Mandate, *, reason: str, ended_at: dt.datetime | None = None
) -> Mandate:
    if reason not in Mandate.EndReason.values:
        raise ActionError(f"unknown end reason {reason!r}", field="reason")
    # Lock the row: two officers ending one mandate must not both write an end.
    mandate = (
        Mandate.objects.select_for_update()
        .select_related("seat__body__organisation", "seat__unit", "member")
        .get(pk=mandate.pk)
    )
    if mandate.ended_at is not None:
        raise ActionError("the mandate has already ended", field="mandate")
    at = ended_at or now()
    if at < mandate.started_at:
        raise ActionError("a mandate cannot end before it started", field="ended_at")
    return _end_mandate(actor, mandate, reason, at)


def current_alternates(body: Body, unit: Body) -> QuerySet[Alternate]:
    return (
        Alternate.objects.filter(body=body, unit=unit, used_at__isnull=True)
        .select_related("member")
        .order_by("position")
    )


@transaction.atomic
def do_set_alternates(
    actor: Any, body: Body, unit: Body, members: Sequence[Member], *, source: str
) -> list[Alternate]:
    """Replace ``unit``'s ordered alternates for ``body`` (first in the list is first in line)."""
    if not SeatLink.objects.filter(sender=unit, receiver=body).exists():
        raise ActionError(f"{unit.code} sends no seats to {body.code}", field="unit")
    if len({m.pk for m in members}) != len(members):
        raise ActionError("a member appears twice among the alternates", field="members")
    for m in members:
        if not _eligible_for_seat(m, unit):
            raise ActionError(f"{m.public_id} cannot stand for {unit.code}", field="members")
    at = now()
    Alternate.objects.filter(body=body, unit=unit, used_at__isnull=True).update(used_at=at)
    rows = Alternate.objects.bulk_create(
        [
            Alternate(body=body, unit=unit, member=m, position=i, source=source, created_at=at)
            for i, m in enumerate(members, start=1)
        ]
    )
    audit(actor, "alternates.set", body, unit=unit.code, count=len(rows), source=source)
    _record(
        body.organisation,
        "alternates_set",
        {
            "alternates": {
                "body": body.code,
                "unit": unit.code,
                "source": source,
                "members": [
                    {"member": m.public_id, "display_name": m.display_name, "position": i}
                    for i, m in enumerate(members, start=1)
                ],
            }
        },
        body=body,
    )
    return rows


@transaction.atomic
def do_fill_seat_from_alternates(actor: Any, seat: Seat, *, source: str) -> Mandate | None:
    """Give a vacant seat to the first alternate still eligible; None when none is left
    (a by-election is then needed). Alternates passed over are marked used."""
    at = now()
    for alt in current_alternates(seat.body, seat.unit).select_for_update():
        Alternate.objects.filter(pk=alt.pk).update(used_at=at)
        already_seated = Mandate.objects.filter(
            member=alt.member, seat__body=seat.body, ended_at__isnull=True
        ).exists()
        if not already_seated and _eligible_for_seat(alt.member, seat.unit):
            return do_start_mandate(actor, seat, alt.member, source=source, started_at=at)
    return None


# --- officers, permissions and API tokens --------------------------------------------------------


def has_role(
    user: Any, organisation: Organisation, roles: Iterable[str], body: Body | None = None
) -> bool:
    """Whether ``user`` holds one of ``roles`` for the whole organisation or for ``body``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    qs = OfficerRole.objects.filter(user=user, organisation=organisation, role__in=list(roles))
    if body is None:
        return qs.filter(body__isnull=True).exists()
    return qs.filter(body__isnull=True).exists() or qs.filter(body=body).exists()


REGISTER_ROLES = (OfficerRole.Role.REGISTRAR, OfficerRole.Role.ELECTION_OFFICER)


def access_unit_register_by_officer(user: Any, organisation: Organisation, unit_code: str) -> Body:
    """The unit whose register ``user`` may read (registrar or election officer)."""
    unit = Body.objects.filter(organisation=organisation, code=unit_code).first()
    if (
        unit is None
        or not unit.is_base_unit
        or not has_role(user, organisation, REGISTER_ROLES, unit)
    ):
        raise NotFoundOrForbidden("unit")
    return unit


@transaction.atomic
def do_export_members(actor: Any, unit: Body, *, second_officer: Any) -> list[dict[str, str]]:
    """The unit's current register, as rows of the import format.

    Exporting a register needs two distinct officers (SYSTEM.md): both must be able to read the
    register; the act is logged with both names.
    """
    if second_officer is None or getattr(second_officer, "pk", None) == getattr(actor, "pk", None):
        raise ActionError("exporting a register needs a second, different officer", field="officer")
    access_unit_register_by_officer(second_officer, unit.organisation, unit.code)
    rows = [
        {
            "unit_code": unit.code,
            "member_ref": ref,
            "display_name": name,
            "phone": phone,
            "email": email,
            "joined_on": joined.isoformat(),
        }
        for ref, name, phone, email, joined in Membership.objects.filter(
            unit=unit, left_on__isnull=True
        )
        .order_by("member__member_ref")
        .values_list(
            "member__member_ref",
            "member__display_name",
            "member__phone",
            "member__email",
            "joined_on",
        )
    ]
    audit(
        actor,
        "members.export",
        unit,
        unit=unit.code,
        rows=len(rows),
        second_officer=second_officer.get_username(),
    )
    return rows


@transaction.atomic
def do_grant_role(
    actor: Any, user: Any, organisation: Organisation, role: str, body: Body | None = None
) -> OfficerRole:
    if role not in OfficerRole.Role.values:
        raise ActionError(f"unknown role {role!r}", field="role")
    if body is not None and body.organisation_id != organisation.pk:
        raise ActionError("the body is not in this organisation", field="body")
    office, created = OfficerRole.objects.get_or_create(
        user=user, organisation=organisation, body=body, role=role
    )
    if created:
        audit(actor, "officer.grant", office, user=user.get_username(), role=role)
    return office


@transaction.atomic
def do_revoke_role(
    actor: Any, user: Any, organisation: Organisation, role: str, body: Body | None = None
) -> int:
    deleted, _ = OfficerRole.objects.filter(
        user=user, organisation=organisation, body=body, role=role
    ).delete()
    if deleted:
        audit(actor, "officer.revoke", organisation, user=user.get_username(), role=role)
    return deleted


@transaction.atomic
def do_create_api_token(actor: Any, user: Any, *, label: str = "") -> tuple[str, ApiToken]:
    """A new bearer token; the plain token is returned once and only its SHA-256 is stored."""
    if not user.is_active:
        raise ActionError("the user is not active", field="user")
    token = secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, token_hash=hash_token(token), label=label[:100], created_at=now()
    )
    audit(actor, "token.create", row, user=user.get_username(), label=row.label)
    return token, row


@transaction.atomic
def do_revoke_api_token(actor: Any, row: ApiToken) -> ApiToken:
    if row.revoked_at is not None:
        raise ActionError("the token is already revoked", field="token")
    row.revoked_at = now()
    row.save(update_fields=["revoked_at"])
    audit(actor, "token.revoke", row, user=row.user.get_username())
    return row


def find_user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ActionError(f"no user {username!r}", field="username")
    return user
