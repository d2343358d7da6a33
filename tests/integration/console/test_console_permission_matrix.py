"""Who may do what on the console's pages and forms: every console URL x every role x own and
other organisation, from one table, beside the API's matrix (tests/integration/
test_permission_matrix.py, whose world this reuses).

"Allowed" means the permission check let the request through (the action may still refuse it
for a reason of state, shown as a message after a redirect, but never 403 or 404); "refused"
means 403, or 404 for objects the actor may not know exist. Anonymous visitors are sent to the
officers' sign-in. A console URL that is in neither table fails
:func:`test_every_console_url_is_in_a_table`: a new form cannot go untested. The chair's pages
(``console:sessions:*``) have their own rows in the API matrix's file, kept by their authors.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from test_permission_matrix import (  # noqa: E402
    ROLES,
    World,
    _build_world,
    _fresh_code,
    _org_and_role,
)

from asamblea.console import urls as console_urls  # noqa: E402
from asamblea.console.models import ImportJob  # noqa: E402
from asamblea.core.clock import now  # noqa: E402
from asamblea.core.models import Approval  # noqa: E402
from asamblea.elections.actions.credentials import REISSUE  # noqa: E402
from asamblea.registry.models import ApiToken  # noqa: E402
from fixtures.shared_data import rolled_back_after_module  # noqa: E402

# The world is made once for the module (each test in a savepoint of its own inside it, so each
# sees it as made), in one pytest-xdist process.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("console-permission-matrix")]

OFFICES = ("registrar", "election_officer", "teller", "chair", "trustee")
EVERYONE = frozenset(ROLES)


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    # (path, POST data or None for a GET)
    build: Callable[[World, str], tuple[str, dict[str, Any] | None]]
    # Not scoped to an organisation (the dashboard, one's own tokens): "other" is allowed alike.
    personal: bool = False


def _r(*names: str) -> frozenset[str]:
    return frozenset(names)


def _org(w: World) -> str:
    return w.own.org.slug


def _csv(label: str) -> SimpleUploadedFile:
    text = (
        "unit_code,member_ref,display_name,phone,email,joined_on\n"
        f"mina,csv-{label},Socia del archivo,,,2022-01-10\n"
    )
    return SimpleUploadedFile("socias.csv", text.encode(), content_type="text/csv")


def _member(w: World) -> str:
    return w.own.members[7].public_id


def _election(w: World) -> int:
    return w.objects["election"].pk


def _own_token(w: World, label: str) -> str:
    org, role = _org_and_role(w, label)
    user = org.users[role]
    row = ApiToken.objects.filter(user=user).first()
    assert row is not None
    return f"/console/tokens/{row.pk}/revoke"


PAGES: dict[str, Row] = {
    "dashboard": Row(_r(*OFFICES), lambda w, r: ("/console/", None), personal=True),
    "tokens": Row(EVERYONE, lambda w, r: ("/console/tokens/", None), personal=True),
    "organisation": Row(_r(*OFFICES), lambda w, r: (f"/console/o/{_org(w)}/", None)),
    "import": Row(
        _r("registrar"), lambda w, r: (f"/console/imports/{w.objects['import'].pk}/", None)
    ),
    "unit": Row(
        _r("registrar", "election_officer"), lambda w, r: (f"/console/o/{_org(w)}/u/mina/", None)
    ),
    "member": Row(
        _r("registrar", "election_officer"),
        lambda w, r: (f"/console/o/{_org(w)}/m/{_member(w)}/", None),
    ),
    "seats": Row(_r(*OFFICES), lambda w, r: (f"/console/o/{_org(w)}/b/region/seats/", None)),
    "elections": Row(
        _r("election_officer"), lambda w, r: (f"/console/o/{_org(w)}/elections/", None)
    ),
    "election": Row(
        _r("election_officer"), lambda w, r: (f"/console/elections/{_election(w)}/", None)
    ),
    "recalls": Row(
        _r("election_officer", "registrar", "teller"),
        lambda w, r: (f"/console/o/{_org(w)}/recalls/", None),
    ),
    "recall": Row(
        _r("election_officer", "registrar", "teller"),
        lambda w, r: (f"/console/recalls/{w.objects['petition'].pk}/", None),
    ),
}

FORMS: dict[str, Row] = {
    "token_create": Row(
        EVERYONE,
        lambda w, r: (
            "/console/tokens/new",
            {
                "label": "matrix",
                "scope": "read",
                "days": "5",
                "code": _fresh_code(_org_and_role(w, r)[0].users[_org_and_role(w, r)[1]])
                if "-" in r
                else "000000",
            },
        ),
        personal=True,
    ),
    "token_revoke": Row(
        EVERYONE,
        lambda w, r: (_own_token(w, r) if "-" in r else "/console/tokens/1/revoke", {}),
        personal=True,
    ),
    "import_upload": Row(
        _r("registrar"),
        lambda w, r: (f"/console/o/{_org(w)}/imports/new", {"file": _csv(r)}),
    ),
    "import_apply": Row(
        _r("registrar"), lambda w, r: (f"/console/imports/{w.objects['import'].pk}/apply", {})
    ),
    "import_discard": Row(
        _r("registrar"), lambda w, r: (f"/console/imports/{w.objects['import'].pk}/discard", {})
    ),
    "member_add": Row(
        _r("registrar"),
        lambda w, r: (
            f"/console/o/{_org(w)}/u/mina/members/new",
            {"member_ref": f"web-{r}", "display_name": "Nueva", "joined_on": "2022-12-01"},
        ),
    ),
    "freeze": Row(
        _r("registrar", "election_officer"),
        lambda w, r: (f"/console/o/{_org(w)}/u/mina/freeze", {"purpose": "prueba"}),
    ),
    "member_edit": Row(
        _r("registrar"),
        lambda w, r: (
            f"/console/o/{_org(w)}/m/{_member(w)}/edit",
            {"display_name": "Socia 7", "phone": "", "email": ""},
        ),
    ),
    "member_transfer": Row(
        _r("registrar"),
        lambda w, r: (
            f"/console/o/{_org(w)}/m/{_member(w)}/transfer",
            {"to_unit": "mina", "on": "2022-12-01"},
        ),
    ),
    "member_end": Row(
        _r("registrar"),
        lambda w, r: (
            f"/console/o/{_org(w)}/m/{_member(w)}/end",
            {"left_on": now().date().isoformat(), "reason": "left"},
        ),
    ),
    "apportion": Row(
        _r("registrar"), lambda w, r: (f"/console/o/{_org(w)}/b/region/seats/apply", {})
    ),
    "election_create": Row(
        _r("election_officer"),
        lambda w, r: (
            f"/console/o/{_org(w)}/elections/new",
            {
                "title": f"Elección {r}",
                "unit": "mina",
                "body": "region",
                "seats": "1",
                "method": "plurality",
            },
        ),
    ),
    "nominate": Row(
        _r("election_officer"),
        lambda w, r: (f"/console/elections/{_election(w)}/nominate", {"member_ref": "propia-6"}),
    ),
    # The candidate themself may withdraw too (the candidate is no role of the table).
    "candidate_withdraw": Row(
        _r("election_officer"),
        lambda w, r: (
            f"/console/elections/{_election(w)}/candidates/{w.objects['candidate'].key}/withdraw",
            {},
        ),
    ),
    "election_step": Row(
        _r("election_officer"),
        lambda w, r: (f"/console/elections/{_election(w)}/step/open-nominations", {}),
    ),
    "cards_propose": Row(
        _r("election_officer"), lambda w, r: (f"/console/elections/{_election(w)}/cards", {})
    ),
    # Only the proposer of approved cards fetches them (here the own election officer).
    "cards_take": Row(
        _r("election_officer"),
        lambda w, r: (
            f"/console/elections/{_election(w)}/cards/{w.objects['cards'].pk}",
            {},
        ),
    ),
    "recall_sign": Row(
        _r("election_officer"),
        lambda w, r: (
            f"/console/recalls/{w.objects['petition'].pk}/sign",
            {"member_ref": "propia-7"},
        ),
    ),
    "recall_teller": Row(
        _r("teller"),
        lambda w, r: (
            f"/console/recalls/{w.objects['meeting_petition'].pk}/teller",
            {"present": "6", "yes": "4", "no": "2", "abstain": "0"},
        ),
    ),
}


def _console_names() -> set[str]:
    return {p.name for p in console_urls.urlpatterns if isinstance(p, URLPattern) and p.name}


def test_every_console_url_is_in_a_table() -> None:
    names = _console_names()
    missing = names - set(PAGES) - set(FORMS)
    stale = (set(PAGES) | set(FORMS)) - names
    assert not missing, f"console URLs with no row in the console's permission matrix: {missing}"
    assert not stale, f"rows for console URLs that no longer exist: {stale}"


def _world() -> World:
    world = _build_world()
    own = world.own
    world.objects["import"] = ImportJob.objects.create(
        organisation=own.org,
        uploaded_by=own.users["proposer"],
        filename="socias.csv",
        content=_csv("world").read(),
        state=ImportJob.State.READY,
        summary={"created": 1, "rows": 1},
        created_at=now(),
    )
    from asamblea.elections.models import Candidate

    world.objects["candidate"] = Candidate.objects.create(
        election=world.objects["election"],
        member=own.members[6],
        key=own.members[6].public_id,
        name=own.members[6].display_name,
        position=1,
        nominated_at=now(),
    )
    at = now()
    world.objects["cards"] = Approval.objects.create(
        kind=REISSUE,
        organisation_id=own.org.pk,
        body_id=own.assembly.pk,
        target_id=str(world.objects["election"].pk),
        params={"members": None},
        proposer=own.users["election_officer"],
        proposed_at=at,
        expires_at=at + dt.timedelta(hours=1),
        state=Approval.State.APPROVED,
        approver=own.users["proposer"],
        approved_at=at,
        result={"cards": {str(own.members[7].pk): "ABCDEFGHJKMNPQRSTVWX"}},
        result_until=at + dt.timedelta(minutes=10),
    )
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Any:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), rolled_back_after_module():
        yield _world()


def sign_in(client: Client, user: Any) -> None:
    """A session as the officers' sign-in leaves it: the user, and their verified device."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


class _Rollback(Exception):
    pass


def _attempt(client: Client, path: str, data: dict[str, Any] | None) -> Any:
    """One request, with everything it wrote rolled back."""
    response = None
    try:
        with transaction.atomic():
            response = client.post(path, data) if data is not None else client.get(path)
            raise _Rollback
    except _Rollback:
        pass
    return response


def _check(table: dict[str, Row], name: str, world: World) -> None:
    row = table[name]
    client = Client()
    path, data = row.build(world, "anon")
    response = _attempt(client, path, data)
    assert response.status_code == 302 and "/officer/login/" in response["Location"], (
        f"{name}: anonymous must be sent to sign in, got {response.status_code}"
    )
    wrong: list[str] = []
    for role in ROLES:
        for where, org in (("own", world.own), ("other", world.other)):
            client = Client()
            sign_in(client, org.users[role])
            path, data = row.build(world, f"{where}-{role}")
            status = _attempt(client, path, data).status_code
            allowed = (where == "own" or row.personal) and role in row.allowed
            if status >= 500:
                wrong.append(f"{role}@{where}: server error {status}")
            elif allowed and status in (401, 403, 404, 405):
                wrong.append(f"{role}@{where}: expected allowed, got {status}")
            elif not allowed and status not in (403, 404):
                wrong.append(f"{role}@{where}: expected refused (403/404), got {status}")
    assert not wrong, f"{name}: " + "; ".join(wrong)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_role_may_see_a_console_page_or_not(name: str, world: World) -> None:
    _check(PAGES, name, world)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_each_role_may_use_a_console_form_or_not(name: str, world: World) -> None:
    _check(FORMS, name, world)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_console_form_refuses_a_post_without_its_csrf_token(name: str, world: World) -> None:
    row = FORMS[name]
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.own.users["registrar"])
    path, data = row.build(world, "own-registrar")
    assert _attempt(client, path, data).status_code == 403


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_console_form_answers_only_posts(name: str, world: World) -> None:
    client = Client()
    sign_in(client, world.own.users["registrar"])
    path, _data = FORMS[name].build(world, "own-registrar")
    assert client.get(path).status_code == 405


def test_a_token_of_someone_else_cannot_be_revoked_from_the_console(world: World) -> None:
    victim = ApiToken.objects.filter(user=world.own.users["registrar"]).first()
    assert victim is not None
    client = Client()
    sign_in(client, world.own.users["election_officer"])
    assert client.post(f"/console/tokens/{victim.pk}/revoke").status_code == 404
    victim.refresh_from_db()
    assert victim.revoked_at is None


@pytest.mark.parametrize("name", sorted(set(PAGES) | set(FORMS)))
def test_an_officer_without_a_second_factor_is_sent_to_the_officers_sign_in(
    name: str, world: World
) -> None:
    """A session opened with a member's e-mail code (no TOTP) holds no office on the console;
    only one's own tokens page is open to it (creating a token asks for a fresh code)."""
    row = PAGES.get(name) or FORMS[name]
    client = Client()
    client.force_login(world.own.users["registrar"])
    path, data = row.build(world, "own-registrar")
    response = _attempt(client, path, data)
    if name.startswith("token"):
        assert response.status_code != 302 or "/officer/login/" not in response["Location"]
    else:
        assert response.status_code == 302 and "/officer/login/" in response["Location"]
