"""The demo federation: southern Peru, December 2022 (see demo_data.py and the shared scenario).

Loaded by ``asamblea demo``. Idempotent: when the demo organisation exists nothing is loaded
again. Everything is built through the registry's actions (bodies, links, rolls, apportionments,
mandates, alternates go on the public record like any real change); members are invented from
fixed name pools with a fixed seed and imported in bulk through the same path as
``import-members``.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from asamblea.core.action import System
from asamblea.registry import actions
from asamblea.registry import demo_data as data
from asamblea.registry.models import (
    Body,
    Mandate,
    Member,
    Membership,
    OfficerRole,
    Organisation,
    Seat,
)
from asamblea.rules.quorum import BODY_QUORUM, MEETING_QUORUM
from asamblea.rules.recall import RecallRules

# The demo loader is the platform acting on the operator's command (`asamblea demo`).
ACTOR = System("demo")
Progress = Callable[[str], None]

OFFICERS = [
    # (username, role, body code or None, is_staff)
    ("registro", OfficerRole.Role.REGISTRAR, None, True),
    ("electoral1", OfficerRole.Role.ELECTION_OFFICER, None, False),
    ("electoral2", OfficerRole.Role.ELECTION_OFFICER, None, False),
    ("escrutador1", OfficerRole.Role.TELLER, None, False),
    ("escrutador2", OfficerRole.Role.TELLER, None, False),
    ("presidencia", OfficerRole.Role.CHAIR, "asamblea-nacional", False),
]


def _quiet(message: str) -> None:
    del message


def access_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-access.txt"


def load(*, progress: Progress | None = None) -> tuple[Organisation, bool]:
    """Load the demo federation; returns (organisation, whether it was loaded now)."""
    say = progress or _quiet
    existing = Organisation.objects.filter(slug=data.DEMO_SLUG).first()
    if existing is not None:
        say(f"demo organisation {data.DEMO_SLUG!r} already present: nothing loaded")
        return existing, False
    # One transaction: a half-loaded demo never stays behind (and SQLite syncs once).
    with transaction.atomic():
        org, access = _load_registry(say)
    _write_access_file(org, access)
    say(f"officer logins and demo sign-in addresses written to {access_file()}")
    return org, True


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def _load_registry(say: Progress) -> tuple[Organisation, dict[str, Any]]:
    rng = random.Random(data.NAME_SEED)
    org = actions.do_create_organisation(
        ACTOR,
        slug=data.DEMO_SLUG,
        name=data.DEMO_NAME,
        settings={
            "recall": RecallRules().as_settings(),
            "quorum": {"body": BODY_QUORUM.as_dict(), "meeting": MEETING_QUORUM.as_dict()},
        },
    )
    # Its members are in Peru: pages show times in Lima's zone (the record keeps UTC).
    actions.do_set_presentation(ACTOR, org, time_zone="America/Lima", language="es")
    say("organisation created")

    units: dict[str, Body] = {}
    for code, name, kind, department, _size in data.UNITS:
        units[code] = actions.do_create_body(
            ACTOR, org, code=code, name=name, kind=kind, region=department
        )
    regional = {
        dep: actions.do_create_body(
            ACTOR,
            org,
            code=f"asamblea-regional-{_ascii(dep)}",
            name=f"Asamblea regional de {dep}",
            kind=Body.Kind.ASSEMBLY,
            level="regional",
            region=dep,
            voting_rule=Body.VotingRule.WEIGHTED,
        )
        for dep in data.DEPARTMENTS
    }
    federations = {
        dep: actions.do_create_body(
            ACTOR,
            org,
            code=f"federacion-universitaria-{_ascii(dep)}",
            name=name,
            kind=Body.Kind.ASSEMBLY,
            level="student_federation",
            region=dep,
        )
        for dep, name in data.STUDENT_FEDERATIONS.items()
    }
    committee = actions.do_create_body(
        ACTOR,
        org,
        code="comite-lucha-sur",
        name="Comité macro regional de lucha del Sur",
        kind=Body.Kind.COMMITTEE,
        level="macro-regional",
        region="Sur",
        seat_rule=Body.SeatRule.LARGEST_REMAINDER,
        house_size=data.COMMITTEE_HOUSE_SIZE,
        voting_rule=Body.VotingRule.WEIGHTED,
    )
    national = actions.do_create_body(
        ACTOR,
        org,
        code="asamblea-nacional",
        name="Asamblea Nacional de Trabajadores y Campesinos",
        kind=Body.Kind.ASSEMBLY,
        level="national",
        region="Perú",
        voting_rule=Body.VotingRule.WEIGHTED,
    )
    for code, _name, kind, department, _size in data.UNITS:
        unit = units[code]
        actions.do_link_bodies(
            ACTOR, unit, regional[department], members_per_seat=data.REGIONAL_MEMBERS_PER_SEAT
        )
        actions.do_link_bodies(
            ACTOR, unit, national, members_per_seat=data.NATIONAL_MEMBERS_PER_SEAT
        )
        if kind == Body.Kind.STUDENT_BODY and department in federations:
            actions.do_link_bodies(
                ACTOR,
                unit,
                federations[department],
                members_per_seat=data.FEDERATION_MEMBERS_PER_SEAT,
            )
    for dep in data.SOUTHERN_DEPARTMENTS:
        actions.do_link_bodies(ACTOR, regional[dep], committee, minimum_seats=1)
    for federation in federations.values():
        actions.do_link_bodies(ACTOR, federation, committee, minimum_seats=1)
    say(
        f"{len(units)} base units, {len(regional)} regional assemblies, "
        f"{len(federations)} student federations, the joint committee and the national assembly"
    )

    _load_members(org, rng, say)
    for unit in units.values():
        actions.do_freeze_roll(ACTOR, unit, purpose="demo: apportionment of seats")
    say(f"{len(units)} rolls frozen")

    # Seats: bodies fed by base units first, then the committee fed by assemblies.
    for body in [*regional.values(), *federations.values(), national]:
        actions.do_apportion(ACTOR, body)
    _fill_mandates(rng, [*regional.values(), *federations.values(), national])
    actions.do_apportion(ACTOR, committee)
    _fill_mandates(rng, [committee])
    seats = Seat.objects.filter(body__organisation=org, abolished_at__isnull=True).count()
    say(f"seats apportioned and filled: {seats} mandates, with alternates")

    return org, {"officers": _create_officers(org), "members": _sample_members(org, national)}


def _load_members(org: Organisation, rng: random.Random, say: Progress) -> None:
    rows: list[actions.MemberRow] = []
    start = dt.date(2008, 1, 1)
    span = (dt.date(2022, 11, 30) - start).days
    n = 0
    for code, _name, _kind, _department, size in data.UNITS:
        for _ in range(size):
            n += 1
            given = rng.choice(data.GIVEN_NAMES)
            first = rng.choice(data.SURNAMES)
            second = rng.choice(data.SURNAMES)
            has_email = rng.random() < 0.6
            has_phone = rng.random() < 0.5
            rows.append(
                actions.MemberRow(
                    line=n,
                    unit_code=code,
                    member_ref=f"D{n:06d}",
                    display_name=f"{given} {first} {second}",
                    phone=f"+51 9{rng.randrange(10**8):08d}" if has_phone else "",
                    email=f"{_ascii(given)}.{_ascii(first)}.{n}@demo.example" if has_email else "",
                    joined_on=start + dt.timedelta(days=rng.randrange(span)),
                )
            )
    plan = actions.plan_import(org, rows)
    actions.do_import_members(ACTOR, org, plan, source="demo", progress=say)
    say(f"{len(rows)} invented members loaded")


def _fill_mandates(rng: random.Random, bodies: list[Body]) -> None:
    """Give every seat of ``bodies`` a holder and each sender two alternates."""
    for body in bodies:
        seats = list(
            Seat.objects.filter(body=body, abolished_at__isnull=True)
            .select_related("unit", "body__organisation")
            .order_by("unit__code", "number")
        )
        by_unit: dict[int, list[Seat]] = {}
        for seat in seats:
            by_unit.setdefault(seat.unit_id, []).append(seat)
        for unit_seats in by_unit.values():
            unit = unit_seats[0].unit
            pool = _candidate_ids(unit)
            rng.shuffle(pool)
            needed = len(unit_seats) + data.ALTERNATES_PER_SENDER
            if unit.is_base_unit:
                # Prefer people who hold no other seat yet, so the demo shows many faces.
                head = pool[: needed * 4]
                busy = set(
                    Mandate.objects.filter(member_id__in=head, ended_at__isnull=True).values_list(
                        "member_id", flat=True
                    )
                )
                pool = sorted(head, key=lambda pk: pk in busy)
            chosen_ids = pool[:needed]
            members = Member.objects.in_bulk(chosen_ids)
            chosen = [members[pk] for pk in chosen_ids]
            for seat, member in zip(unit_seats, chosen, strict=False):
                actions.do_start_mandate(ACTOR, seat, member, source="demo")
            alternates = chosen[len(unit_seats) :]
            if alternates:
                actions.do_set_alternates(ACTOR, body, unit, alternates, source="demo")


def _candidate_ids(unit: Body) -> list[int]:
    if unit.is_base_unit:
        qs = Membership.objects.filter(unit=unit, left_on__isnull=True).values_list(
            "member_id", flat=True
        )
    else:
        qs = actions.current_mandates(unit).values_list("member_id", flat=True)
    return sorted(set(qs))


def _create_officers(org: Organisation) -> list[dict[str, str]]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    users = get_user_model()
    registry_perms = list(Permission.objects.filter(content_type__app_label="registry"))
    out = []
    for username, role, body_code, is_staff in OFFICERS:
        password = secrets.token_urlsafe(12)
        user = users.objects.filter(username=username).first()
        if user is None:
            user = users.objects.create_user(username, password=password, is_staff=is_staff)
        else:
            user.set_password(password)
            user.is_staff = is_staff
            user.save()
        if is_staff:
            user.user_permissions.add(*registry_perms)
        body = Body.objects.get(organisation=org, code=body_code) if body_code else None
        actions.do_grant_role(ACTOR, user, org, role, body)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
        out.append(
            {
                "username": username,
                "password": password,
                "role": role + (f" ({body_code})" if body_code else ""),
                "totp_secret": base64.b32encode(bytes.fromhex(device.key)).decode("ascii"),
                "otpauth": device.config_url,
            }
        )
    return out


def _sample_members(org: Organisation, national: Body) -> list[dict[str, str]]:
    """A few delegates with an email address, to try the member sign-in."""
    out = []
    for mandate in actions.current_mandates(national).filter(member__email__gt="")[:4]:
        out.append(
            {
                "email": mandate.member.email,
                "name": mandate.member.display_name,
                "what": f"delegate of {mandate.seat.unit.code} to {national.code}",
            }
        )
    for member in Member.objects.filter(
        organisation=org, email__gt="", mandates__isnull=True
    ).order_by("pk")[:2]:
        out.append({"email": member.email, "name": member.display_name, "what": "member"})
    return out


def _write_access_file(org: Organisation, access: dict[str, Any]) -> None:
    lines = [
        f"# Asamblea demo access: {org.name} ({org.slug})",
        "# Invented people only. Officers sign in with the password and a TOTP code from an",
        "# authenticator app (scan the otpauth URI or type the base32 secret).",
        "",
        "## Officers",
    ]
    for o in access["officers"]:
        lines += [
            f"username: {o['username']}",
            f"  role:        {o['role']}",
            f"  password:    {o['password']}",
            f"  totp secret: {o['totp_secret']}",
            f"  otpauth uri: {o['otpauth']}",
        ]
    lines += [
        "",
        "## Members (sign in with a one-time code sent to this address; the demo's mail is",
        f"## written to files in {Path(settings.VAR_DIR) / 'mail'})",
    ]
    for m in access["members"]:
        lines.append(f"{m['email']}  {m['name']}  ({m['what']})")
    lines.append("")
    path = access_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)
