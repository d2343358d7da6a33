"""Who may do what, through the API: every mutating operation x every role x own and other
organisation, generated from one table (docs/adr/0007-layout-and-action-context.md).

Each row of ``MATRIX`` names an operation of the OpenAPI schema, the roles that may perform it in
their own organisation, and how to build a request against the world below. A role held in the
*other* organisation never reaches the own organisation's objects. "Allowed" means the permission
check let the request through (the action may still refuse it for a reason of state, a 409 or a
400, but never 401, 403 or 404); "refused" means 403, or 404 for objects the actor may not know
exist. A new mutating operation that is not in the table fails
:func:`test_every_mutating_operation_is_in_the_table`.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from asamblea.api.main import api
from asamblea.core.clock import now
from asamblea.core.credentials import hash_token
from asamblea.registry.models import (
    ApiToken,
    Body,
    Member,
    Membership,
    OfficerRole,
    Organisation,
)
from fixtures.shared_data import rolled_back_after_module

# The world is made once for the module's tests that only read it (each test in a savepoint of
# its own inside it, so each sees it as made: fixtures.shared_data), in one pytest-xdist process.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("permission-matrix")]

ROLES = (
    "none",
    "member",
    "delegate",
    "alternate",
    "registrar",
    "election_officer",
    "teller",
    "chair",
    "trustee",
    "superuser",
)
GRANTED = ("registrar", "election_officer", "teller", "chair", "trustee")


@dataclass
class Org:
    org: Organisation
    unit: Body
    assembly: Body
    members: list[Member]
    users: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    own: Org
    other: Org
    objects: dict[str, Any] = field(default_factory=dict)


def _token(user: Any) -> str:
    token = secrets.token_urlsafe(24)
    ApiToken.objects.create(
        user=user, token_hash=hash_token(token), label="matrix", created_at=now()
    )
    return token


def _build_org(slug: str) -> Org:
    from asamblea.registry import actions as registry

    users = get_user_model()
    org = registry.do_create_organisation(None, slug=slug, name=f"Federación {slug}")
    unit = registry.do_create_body(None, org, code="mina", name="Mina", kind=Body.Kind.WORKPLACE)
    assembly = registry.do_create_body(
        None,
        org,
        code="region",
        name="Asamblea regional",
        kind=Body.Kind.ASSEMBLY,
        seat_rule=Body.SeatRule.FIXED,
    )
    registry.do_link_bodies(None, unit, assembly, fixed_seats=2)
    at = now()
    joined = (at - dt.timedelta(days=60)).date()
    members = [
        Member.objects.create(
            organisation=org, member_ref=f"{slug}-{i}", display_name=f"Socia {i}", created_at=at
        )
        for i in range(8)
    ]
    Membership.objects.bulk_create(
        [Membership(member=m, unit=unit, joined_on=joined) for m in members]
    )
    registry.do_freeze_roll(None, unit, purpose="seats")
    registry.do_apportion(None, assembly)
    built = Org(org=org, unit=unit, assembly=assembly, members=members)
    seats = list(assembly.seats.filter(abolished_at__isnull=True).order_by("number"))
    # member 0: a plain member; 1 and 2: delegates; 3: the first alternate.
    for i, role in ((0, "member"), (1, "delegate"), (3, "alternate")):
        user = users.objects.create_user(f"{slug}-{role}", password=None)
        Member.objects.filter(pk=members[i].pk).update(user=user)
        members[i].user = user
        built.users[role] = user
    registry.do_start_mandate(None, seats[0], members[1], source="test")
    registry.do_start_mandate(None, seats[1], members[2], source="test")
    registry.do_set_alternates(None, assembly, unit, [members[3]], source="test")
    for role in GRANTED:
        user = users.objects.create_user(f"{slug}-{role}", password=None)
        OfficerRole.objects.create(user=user, organisation=org, role=role)
        built.users[role] = user
    built.users["none"] = users.objects.create_user(f"{slug}-none", password=None)
    built.users["superuser"] = users.objects.create_superuser(f"{slug}-superuser", password=None)
    # A second registrar who proposes the two-person steps, so that every role in the table can
    # be asked to approve them (no one approves their own proposal).
    built.users["proposer"] = users.objects.create_user(f"{slug}-proposer", password=None)
    OfficerRole.objects.create(user=built.users["proposer"], organisation=org, role="registrar")
    for user in built.users.values():
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    built.tokens = {role: _token(user) for role, user in built.users.items()}
    return built


def _fresh_code(user: Any) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _org_and_role(world: World, label: str) -> tuple[Org, str]:
    where, role = label.split("-", 1)
    return (world.own if where == "own" else world.other), role


def _build_world() -> World:
    from asamblea.assemblies import actions as assemblies
    from asamblea.elections import actions as elections

    own, other = _build_org("propia"), _build_org("otra")
    objects: dict[str, Any] = {}
    election = elections.do_create_election(
        None,
        organisation=own.org,
        unit=own.unit,
        body=own.assembly,
        title="Delegados a la región",
        seats=1,
        method="plurality",
    )
    objects["election"] = election
    mandate = own.members[1].mandates.get(ended_at__isnull=True)
    objects["mandate"] = mandate
    objects["petition"] = elections.do_open_petition(
        None, mandate, own.members[4], "No informa a las bases", "vote"
    )
    other_mandate = own.members[2].mandates.get(ended_at__isnull=True)
    objects["meeting_petition"] = elections.do_open_petition(
        None, other_mandate, own.members[5], "Asamblea general", "meeting"
    )
    scheduled = assemblies.do_schedule_session(
        None, own.assembly, title="Sesión programada", scheduled_at=now() + dt.timedelta(days=1)
    )
    objects["scheduled_session"] = scheduled
    session = assemblies.do_schedule_session(
        None, own.assembly, title="Sesión abierta", scheduled_at=now()
    )
    assemblies.do_open_session(None, session)
    for seat in own.assembly.seats.filter(abolished_at__isnull=True):
        assemblies.do_record_attendance(None, session, seat)
    objects["session"] = session
    objects["motion"] = assemblies.do_propose_motion(
        None, session, title="Paro regional", text="Convocar al paro", proposer_name="Base"
    )
    # One division at a time: decide "Pliego" first (its resolution), then open "Marcha".
    adopted = assemblies.do_propose_motion(
        None,
        session,
        title="Pliego",
        text="Pliego de reclamos",
        proposer_name="Base",
        resolution_kind="demand",
    )
    decided = assemblies.do_open_division(None, adopted)
    seats = list(own.assembly.seats.filter(abolished_at__isnull=True).order_by("number"))
    assemblies.do_cast_votes(None, decided, [(s.pk, "for") for s in seats])
    assemblies.do_close_division(None, decided)
    divided = assemblies.do_propose_motion(
        None,
        session,
        title="Marcha",
        text="Marcha a la capital",
        proposer_name="Base",
        resolution_kind="march",
    )
    objects["division"] = assemblies.do_open_division(None, divided)
    objects["resolution"] = adopted.resolution
    from asamblea.registry.actions.members import check_propose_export_members

    objects["export_proposal"] = check_propose_export_members(
        own.users["proposer"], own.org, own.unit.code
    )
    # A ready board of two trustees who hold none of the table's roles, and a decryption
    # waiting for it: only those two may post to it (a "trustee" of no board is refused).
    from fixtures.trustees import make_board, make_mix, make_request

    board, _shares = make_board(own.org, k=2, n=2)
    objects["trustee_board"] = board
    objects["decryption_request"] = make_request(board)
    objects["mix_request"] = make_mix(board)
    return World(own=own, other=other, objects=objects)


# method, path, JSON body, and extra headers (a fresh TOTP code for approvals)
Request = (
    tuple[str, str, dict[str, Any] | None] | tuple[str, str, dict[str, Any] | None, dict[str, str]]
)


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    build: Callable[[World, str], Request]
    # Roles whose refusal may be a 404 rather than a 403 (the object is hidden from them).
    note: str = ""


def _roles(*names: str) -> frozenset[str]:
    return frozenset(names)


MATRIX: dict[str, Row] = {
    "asamblea_registry_api_add_member": Row(
        _roles("registrar"),
        lambda w, r: (
            "post",
            f"/api/organisations/{w.own.org.pk}/members",
            {
                "unit_code": "mina",
                "member_ref": f"nuevo-{r}",
                "display_name": "Nueva socia",
                "joined_on": "2022-12-01",
            },
        ),
    ),
    "asamblea_elections_api_create_election": Row(
        _roles("election_officer"),
        lambda w, r: (
            "post",
            "/api/elections",
            {
                "organisation": w.own.org.slug,
                "unit": "mina",
                "body": "region",
                "title": f"Elección {r}",
                "seats": 1,
                "method": "plurality",
            },
        ),
    ),
    "asamblea_elections_api_nominate": Row(
        _roles("election_officer"),
        lambda w, r: (
            "post",
            f"/api/elections/{w.objects['election'].pk}/nominations",
            {"member": w.own.members[6].public_id},
        ),
    ),
    "asamblea_elections_api_move_election": Row(
        _roles("election_officer"),
        lambda w, r: ("post", f"/api/elections/{w.objects['election'].pk}/open-nominations", None),
    ),
    "asamblea_elections_api_open_recall": Row(
        _roles("member", "delegate", "alternate"),
        lambda w, r: (
            "post",
            "/api/recalls",
            {"mandate": w.objects["petition"].mandate_id, "reason": "Otra razón", "route": "vote"},
        ),
    ),
    "asamblea_elections_api_sign_recall": Row(
        _roles("member", "delegate", "alternate"),
        lambda w, r: ("post", f"/api/recalls/{w.objects['petition'].pk}/signature", None),
    ),
    "asamblea_elections_api_withdraw_signature": Row(
        _roles("member", "delegate", "alternate"),
        lambda w, r: ("delete", f"/api/recalls/{w.objects['petition'].pk}/signature", None),
    ),
    "asamblea_elections_api_teller_result": Row(
        _roles("teller"),
        lambda w, r: (
            "post",
            f"/api/recalls/{w.objects['meeting_petition'].pk}/teller-results",
            {"present": 6, "yes": 4, "no": 2, "abstain": 0},
        ),
    ),
    "asamblea_elections_api_resign": Row(
        _roles("delegate"),
        lambda w, r: ("post", f"/api/mandates/{w.objects['mandate'].pk}/resignation", None),
    ),
    "asamblea_assemblies_api_schedule_session": Row(
        _roles("chair"),
        lambda w, r: (
            "post",
            "/api/sessions",
            {
                "body_id": w.own.assembly.pk,
                "title": "Otra sesión",
                "scheduled_at": "2030-01-01T15:00:00Z",
            },
        ),
    ),
    "asamblea_assemblies_api_open_session": Row(
        _roles("chair"),
        lambda w, r: ("post", f"/api/sessions/{w.objects['scheduled_session'].pk}/open", None),
    ),
    "asamblea_assemblies_api_close_session": Row(
        _roles("chair"),
        lambda w, r: ("post", f"/api/sessions/{w.objects['session'].pk}/close", None),
    ),
    "asamblea_assemblies_api_record_attendance": Row(
        _roles("chair"),
        lambda w, r: (
            "post",
            f"/api/sessions/{w.objects['session'].pk}/attendance",
            {"seat_id": w.objects["mandate"].seat_id, "present": False},
        ),
    ),
    "asamblea_assemblies_api_propose_motion": Row(
        _roles("chair"),
        lambda w, r: (
            "post",
            f"/api/sessions/{w.objects['session'].pk}/motions",
            {"title": "Moción", "text": "Texto", "proposer_name": "Base"},
        ),
    ),
    "asamblea_assemblies_api_record_instruction": Row(
        _roles("teller"),
        lambda w, r: (
            "post",
            f"/api/motions/{w.objects['motion'].pk}/instructions",
            {"unit_id": w.own.unit.pk, "counts": {"for": 5, "against": 1, "abstain": 0, "free": 0}},
        ),
    ),
    "asamblea_assemblies_api_open_division": Row(
        _roles("chair"),
        lambda w, r: ("post", f"/api/motions/{w.objects['motion'].pk}/division", None),
    ),
    "asamblea_assemblies_api_cast_votes": Row(
        _roles("chair", "delegate"),
        lambda w, r: (
            "post",
            f"/api/divisions/{w.objects['division'].pk}/votes",
            {"votes": [{"seat_id": w.objects["mandate"].seat_id, "choice": "for"}]},
        ),
    ),
    "asamblea_assemblies_api_close_division": Row(
        _roles("chair"),
        lambda w, r: ("post", f"/api/divisions/{w.objects['division'].pk}/close", None),
    ),
    "asamblea_assemblies_api_set_resolution_status": Row(
        _roles("chair"),
        lambda w, r: (
            "post",
            f"/api/resolutions/{w.objects['resolution'].pk}/status",
            {"status": "partly_met", "note": "avance"},
        ),
    ),
}


def _approve(w: World, label: str) -> Request:
    code = "000000"  # no user: the anonymous attempt
    if "-" in label:
        org, role = _org_and_role(w, label)
        code = _fresh_code(org.users[role])
    path = f"/api/approvals/{w.objects['export_proposal'].pk}/approve"
    return ("post", path, None, {"X-Asamblea-TOTP": code})


MATRIX.update(
    {
        "asamblea_registry_api_propose_export": Row(
            _roles("registrar", "election_officer"),
            lambda w, r: ("post", f"/api/organisations/{w.own.org.pk}/units/mina/export", None),
        ),
        # Any officer who may read the register approves, with a fresh TOTP code of their own.
        "asamblea_core_approvals_api_approve": Row(
            _roles("registrar", "election_officer"), _approve
        ),
        # Only the proposer (not a role of the table) may withdraw a proposal.
        "asamblea_core_approvals_api_withdraw": Row(
            _roles(),
            lambda w, r: (
                "post",
                f"/api/approvals/{w.objects['export_proposal'].pk}/withdraw",
                None,
            ),
        ),
    }
)

MATRIX.update(
    {
        # A registrar proposes a board; members 6 and 7 have no sign-in, so an allowed proposal
        # is then refused as bad input (400), after the permission check.
        "asamblea_trustees_api_propose_board": Row(
            _roles("registrar"),
            lambda w, r: (
                "post",
                "/api/trustees/boards",
                {
                    "organisation": w.own.org.slug,
                    "k": 2,
                    "n": 2,
                    "trustees": [w.own.members[6].public_id, w.own.members[7].public_id],
                },
            ),
        ),
        # Only a trustee of that very board (no role of the table) publishes or decrypts.
        "asamblea_trustees_api_publish": Row(
            _roles(),
            lambda w, r: (
                "post",
                f"/api/trustees/boards/{w.objects['trustee_board'].pk}/certificate",
                {},
            ),
        ),
        "asamblea_trustees_api_post_shuffle": Row(
            _roles(),
            lambda w, r: (
                "post",
                f"/api/trustees/mixes/{w.objects['mix_request'].pk}/shuffle",
                {"round": 1, "ballots": [], "proof": {}},
            ),
        ),
        "asamblea_trustees_api_post_partial": Row(
            _roles(),
            lambda w, r: (
                "post",
                f"/api/trustees/requests/{w.objects['decryption_request'].pk}/partial",
                {"groups": []},
            ),
        ),
    }
)

# Authorised by a voting code, not by a role: every role is treated alike (see the test below).
BY_CREDENTIAL = {"asamblea_elections_api_cast"}


def _mutating_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        op["operationId"]
        for ops in schema["paths"].values()
        for method, op in ops.items()
        if method in {"post", "put", "patch", "delete"}
    }


def test_every_mutating_operation_is_in_the_table() -> None:
    missing = _mutating_operations() - set(MATRIX) - BY_CREDENTIAL
    stale = set(MATRIX) - _mutating_operations()
    assert not missing, f"mutating API operations with no row in the permission matrix: {missing}"
    assert not stale, f"rows for operations the API no longer has: {stale}"


def _call(client: Client, request: Request, token: str | None) -> int:
    method, path, body = request[:3]
    extra = request[3] if len(request) > 3 else {}  # type: ignore[misc]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    headers.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in extra.items()})
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    response = getattr(client, method)(path, **kwargs, **headers)
    return response.status_code


class _Rollback(Exception):
    pass


def _attempt(client: Client, request: Request, token: str | None) -> int:
    """The status of one request, with everything it wrote rolled back."""
    status = 0
    try:
        with transaction.atomic():
            status = _call(client, request, token)
            raise _Rollback
    except _Rollback:
        pass
    return status


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Any:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), rolled_back_after_module():
        yield _build_world()


@pytest.mark.parametrize("operation", sorted(MATRIX))
def test_each_role_is_allowed_or_refused_in_its_own_and_another_organisation(
    operation: str, world: World
) -> None:
    row = MATRIX[operation]
    client = Client()
    wrong: list[str] = []
    assert _attempt(client, row.build(world, "anon"), None) == 401, "no credentials must be 401"
    for role in ROLES:
        for where, org in (("own", world.own), ("other", world.other)):
            status = _attempt(client, row.build(world, f"{where}-{role}"), org.tokens[role])
            allowed = where == "own" and role in row.allowed
            if status >= 500:
                wrong.append(f"{role}@{where}: server error {status}")
            elif allowed and status in (401, 403, 404):
                wrong.append(f"{role}@{where}: expected allowed, got {status}")
            elif not allowed and status not in (403, 404):
                wrong.append(f"{role}@{where}: expected refused (403/404), got {status}")
    assert not wrong, f"{operation}: " + "; ".join(wrong)


def test_casting_is_authorised_by_the_voting_code_alone_whatever_the_bearer(world: World) -> None:
    from asamblea.elections import actions as elections
    from asamblea.elections.models import Election

    # Its own copy of the world's election: opening it must not change the object other tests hold.
    election = Election.objects.get(pk=world.objects["election"].pk)
    # A secret vote opens only under a ready board of trustees (ADR 0013).
    from fixtures.sample import make_sample_board

    make_sample_board(election.organisation, now())
    elections.do_open_nominations(None, election)
    for member in world.own.members[5:7]:
        elections.do_nominate(None, election, member)
    opened = elections.do_open_election(None, election)
    codes = list(opened.printed_codes.values())
    candidate = election.candidates.order_by("key").first().key
    client = Client()
    path = f"/api/elections/{election.pk}/vote"
    # A right code is accepted with no bearer at all.
    body = {"code": codes[0], "ballot": {"choice": candidate}, "key": "matrix-key-right-0123456789"}
    assert _call(client, ("post", path, body), None) in (200, 201)
    # A wrong code is refused whatever office the bearer holds (429 once the guessing budget is
    # spent is a refusal too).
    for role in ROLES:
        body = {
            "code": "AAAA-BBBB-CCCC-DDDD-EEEE",
            "ballot": {"choice": candidate},
            "key": f"matrix-key-{role}-0123456789",
        }
        status = _attempt(client, ("post", path, body), world.own.tokens[role])
        assert status in (400, 403, 429), f"{role}: a wrong code must be refused, got {status}"


# --- The chair's console (console:sessions:*) and the delegates' roll-call form ---------------
# Every page and form of /console/sessions/ has a row here, and the delegate's vote form too; a
# URL of the chair's console with no row fails test_every_chairs_console_url_is_in_the_table.
# Requests are made as a browser would: a session signed in with a verified second factor (the
# officers' sign-in), the CSRF check off (a test below checks it on). "Allowed" and "refused"
# as above; anonymous visitors are sent to a sign-in page. Pages that list what the signed-in
# chair may do (``personal``) answer a chair of another organisation with their own list.


@dataclass(frozen=True)
class WebRow:
    allowed: frozenset[str]
    # (path, POST data, or None for a GET)
    build: Callable[[World], tuple[str, dict[str, Any] | None]]
    personal: bool = False


def _s(w: World, key: str = "session") -> int:
    return w.objects[key].pk


CHAIRS_CONSOLE: dict[str, WebRow] = {
    "index": WebRow(_roles("chair"), lambda w: ("/console/sessions/", None), personal=True),
    "session": WebRow(_roles("chair"), lambda w: (f"/console/sessions/{_s(w)}/", None)),
    "attendance": WebRow(
        _roles("chair"), lambda w: (f"/console/sessions/{_s(w)}/attendance/", None)
    ),
    "schedule": WebRow(
        _roles("chair"),
        lambda w: (
            "/console/sessions/schedule",
            {"body_id": w.own.assembly.pk, "title": "Otra", "scheduled_at": "2030-01-01T10:00"},
        ),
    ),
    "open": WebRow(
        _roles("chair"), lambda w: (f"/console/sessions/{_s(w, 'scheduled_session')}/open", {})
    ),
    "close": WebRow(_roles("chair"), lambda w: (f"/console/sessions/{_s(w)}/close", {})),
    "attend": WebRow(
        _roles("chair"),
        lambda w: (
            f"/console/sessions/{_s(w)}/attendance/mark",
            {"seat_id": w.objects["mandate"].seat_id},
        ),
    ),
    "depart": WebRow(
        _roles("chair"),
        lambda w: (
            f"/console/sessions/{_s(w)}/attendance/depart",
            {"seat_id": w.objects["mandate"].seat_id},
        ),
    ),
    "attend_all": WebRow(
        _roles("chair"), lambda w: (f"/console/sessions/{_s(w)}/attendance/all", {})
    ),
    "propose": WebRow(
        _roles("chair"),
        lambda w: (
            f"/console/sessions/{_s(w)}/motions",
            {"title": "Moción", "text": "Texto", "proposer_name": "Base"},
        ),
    ),
    "withdraw": WebRow(
        _roles("chair"),
        lambda w: (f"/console/sessions/{_s(w)}/motions/{_s(w, 'motion')}/withdraw", {}),
    ),
    "open_division": WebRow(
        _roles("chair"),
        lambda w: (f"/console/sessions/{_s(w)}/motions/{_s(w, 'motion')}/division", {}),
    ),
    "close_division": WebRow(
        _roles("chair"),
        lambda w: (f"/console/sessions/{_s(w)}/divisions/{_s(w, 'division')}/close", {}),
    ),
    # The clerk's form: the chair enters any seat's vote; a delegate sitting in the seat may
    # cast their own through it too (the same check_cast_votes as the API).
    "record_vote": WebRow(
        _roles("chair", "delegate"),
        lambda w: (
            f"/console/sessions/{_s(w)}/divisions/{_s(w, 'division')}/vote",
            {"seat_id": w.objects["mandate"].seat_id, "choice": "for"},
        ),
    ),
    "resolution_status": WebRow(
        _roles("chair"),
        lambda w: (
            f"/console/sessions/{_s(w)}/resolutions/{_s(w, 'resolution')}/status",
            {"status": "partly_met", "note": "avance"},
        ),
    ),
}
# The delegate's own roll-call form (/assemblies/divisions/ID/vote/).
DELEGATE_VOTE = WebRow(
    _roles("chair", "delegate"),
    lambda w: (
        f"/assemblies/divisions/{_s(w, 'division')}/vote/",
        {"seat_id": w.objects["mandate"].seat_id, "choice": "for"},
    ),
)


def _web_client(user: Any, **kwargs: Any) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client(**kwargs)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def _web_attempt(client: Client, path: str, data: dict[str, Any] | None) -> Any:
    response = None
    try:
        with transaction.atomic():
            response = client.post(path, data) if data is not None else client.get(path)
            raise _Rollback
    except _Rollback:
        pass
    return response


def _web_check(row: WebRow, world: World) -> None:
    path, data = row.build(world)
    anon = _web_attempt(Client(), path, data)
    assert anon.status_code == 302 and "login/" in anon["Location"], "anonymous: sign in first"
    wrong: list[str] = []
    for role in ROLES:
        for where, org in (("own", world.own), ("other", world.other)):
            status = _web_attempt(_web_client(org.users[role]), path, data).status_code
            allowed = (where == "own" or row.personal) and role in row.allowed
            if status >= 500:
                wrong.append(f"{role}@{where}: server error {status}")
            elif allowed and status in (401, 403, 404, 405):
                wrong.append(f"{role}@{where}: expected allowed, got {status}")
            elif not allowed and status not in (403, 404):
                wrong.append(f"{role}@{where}: expected refused (403/404), got {status}")
    assert not wrong, f"{path}: " + "; ".join(wrong)


def test_every_chairs_console_url_is_in_the_table() -> None:
    from django.urls import URLPattern

    from asamblea.console.sessions import urls as sessions_urls

    names = {p.name for p in sessions_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names - set(CHAIRS_CONSOLE) == set(), "chair's console URLs with no matrix row"
    assert set(CHAIRS_CONSOLE) - names == set(), "rows for chair's console URLs that are gone"


@pytest.mark.parametrize("name", sorted(CHAIRS_CONSOLE))
def test_each_role_may_use_the_chairs_console_or_not(name: str, world: World) -> None:
    _web_check(CHAIRS_CONSOLE[name], world)


def test_each_role_may_vote_on_the_delegates_roll_call_page_or_not(world: World) -> None:
    _web_check(DELEGATE_VOTE, world)


CHAIRS_CONSOLE_PAGES = {"index", "session", "attendance"}


@pytest.mark.parametrize("name", sorted(set(CHAIRS_CONSOLE) - CHAIRS_CONSOLE_PAGES))
def test_every_chairs_console_form_refuses_a_post_without_its_csrf_token(
    name: str, world: World
) -> None:
    path, data = CHAIRS_CONSOLE[name].build(world)
    client = _web_client(world.own.users["chair"], enforce_csrf_checks=True)
    assert _web_attempt(client, path, data).status_code == 403
