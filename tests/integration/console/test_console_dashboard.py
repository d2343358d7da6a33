"""The dashboard lists what waits for this officer, by organisation; a petition's signers are
shown to the officers checking it and never to the delegate it targets; a unit's registrar
sees only their own uploaded files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

sys.path.insert(0, str(Path(__file__).resolve().parent))
from console_world import PASSWORD, fresh_organisation, sign_in  # noqa: E402
from test_console_flows import members_csv  # noqa: E402

from asamblea.console.models import ImportJob  # noqa: E402
from asamblea.elections import actions  # noqa: E402
from asamblea.registry import actions as registry  # noqa: E402
from asamblea.registry.models import Member, OfficerRole  # noqa: E402

pytestmark = pytest.mark.django_db


def _officer(org, name: str, role: str, body=None):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(name, password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    OfficerRole.objects.create(user=user, organisation=org, body=body, role=role)
    return user


def _imported(client: Client, fresh, n: int = 10) -> None:  # type: ignore[no-untyped-def]
    client.post(
        f"/console/o/{fresh.org.slug}/imports/new",
        {
            "file": SimpleUploadedFile(
                "socias.csv", members_csv(n).replace(b"base-2", b"base-1"), content_type="text/csv"
            )
        },
    )
    job = ImportJob.objects.latest("pk")
    client.post(f"/console/imports/{job.pk}/apply")
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.errors


def test_the_dashboard_lists_elections_with_what_blocks_them_approvals_and_imports() -> None:
    fresh = fresh_organisation()
    first, second = Client(), Client()
    sign_in(first, fresh.first)
    sign_in(second, fresh.second)
    first.post(
        f"/console/o/{fresh.org.slug}/elections/new",
        {
            "title": "Delegados 2027",
            "unit": "base-1",
            "body": "congreso",
            "seats": "1",
            "method": "plurality",
        },
    )
    first.post(
        f"/console/o/{fresh.org.slug}/imports/new",
        {"file": SimpleUploadedFile("pendiente.csv", members_csv(3), content_type="text/csv")},
    )
    page = first.get("/console/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Delegados 2027" in page and "pendiente.csv" in page
    # The second officer holds no registrar's office: no import is listed for them.
    other = second.get("/console/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Delegados 2027" in other and "pendiente.csv" not in other
    # A draft's next step (nominations) has no blocking issue; once nominations are open,
    # opening is blocked while nobody stands, and the dashboard says so in Spanish.
    election = fresh.org.elections.get()
    first.post(f"/console/elections/{election.pk}/step/open-nominations")
    page = first.get("/console/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "No hay ninguna candidatura" in page


def test_an_approval_waiting_for_a_second_officer_is_on_their_dashboard() -> None:
    fresh = fresh_organisation(units=1)
    first, second = Client(), Client()
    sign_in(first, fresh.first)
    sign_in(second, fresh.second)
    _imported(first, fresh)
    registry.check_freeze_roll(fresh.first, fresh.units[0])
    election = actions.check_create_election(
        fresh.first,
        organisation=fresh.org,
        unit=fresh.units[0],
        body=fresh.assembly,
        title="Delegados",
        seats=1,
        method="plurality",
    )
    first.post(f"/console/elections/{election.pk}/step/open-nominations")
    first.post(f"/console/elections/{election.pk}/nominate", {"member_ref": "S-0001"})
    from fixtures.trustees import make_board

    make_board(fresh.org)
    first.post(f"/console/elections/{election.pk}/step/open")
    first.post(f"/console/elections/{election.pk}/cards")
    page = second.get("/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "waiting for you" in page
    mine = first.get("/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "you proposed it" in mine


def test_signers_are_shown_to_the_officers_checking_a_petition_but_not_to_its_target() -> None:
    fresh = fresh_organisation(units=1)
    client = Client()
    sign_in(client, fresh.first)
    _imported(client, fresh)
    unit = fresh.units[0]
    registry.check_freeze_roll(fresh.first, unit)
    registry.check_apportion(fresh.first, fresh.assembly)
    members = list(Member.objects.order_by("member_ref"))
    seat = fresh.assembly.seats.first()
    mandate = registry.do_start_mandate(None, seat, members[0], source="test")
    petition = actions.do_open_petition(None, mandate, members[1], "No rinde cuentas", "vote")
    # The officer enters a signature gathered on paper.
    client.post(f"/console/recalls/{petition.pk}/sign", {"member_ref": members[2].member_ref})
    page = client.get(f"/console/recalls/{petition.pk}/").content.decode()
    assert members[2].display_name in page
    assert petition.signatures.count() == 1
    # The delegate targeted, even holding an office, never sees who signed.
    target_user = _officer(fresh.org, "delegada-registradora", "registrar")
    Member.objects.filter(pk=members[0].pk).update(user=target_user)
    target = Client()
    sign_in(target, target_user)
    shown = target.get(f"/console/recalls/{petition.pk}/").content.decode()
    assert members[2].display_name not in shown


def test_a_units_registrar_sees_only_their_own_uploaded_files() -> None:
    fresh = fresh_organisation()
    org_wide, local = Client(), Client()
    sign_in(org_wide, fresh.first)
    local_user = _officer(fresh.org, "registradora-base-1", "registrar", fresh.units[0])
    sign_in(local, local_user)
    org_wide.post(
        f"/console/o/{fresh.org.slug}/imports/new",
        {"file": SimpleUploadedFile("todas.csv", members_csv(6), content_type="text/csv")},
    )
    job = ImportJob.objects.get()
    assert local.get(f"/console/imports/{job.pk}/").status_code == 404
    assert "todas.csv" not in local.get(f"/console/o/{fresh.org.slug}/").content.decode()
    assert org_wide.get(f"/console/imports/{job.pk}/").status_code == 200


def test_an_elections_times_are_typed_in_the_organisations_zone_and_stored_in_utc() -> None:
    import datetime as dt

    fresh = fresh_organisation()
    fresh.org.settings = {**fresh.org.settings, "time_zone": "America/Lima"}
    fresh.org.save(update_fields=["settings"])
    client = Client()
    sign_in(client, fresh.first)
    assert "(Lima)" in client.get(f"/console/o/{fresh.org.slug}/elections/").content.decode()
    client.post(
        f"/console/o/{fresh.org.slug}/elections/new",
        {
            "title": "Con horario",
            "unit": "base-1",
            "body": "congreso",
            "seats": "1",
            "method": "plurality",
            "opens_at": "2027-01-10T09:00",
            "closes_at": "2027-01-10T18:00",
        },
    )
    election = fresh.org.elections.get()
    assert election.opens_at == dt.datetime(2027, 1, 10, 14, 0, tzinfo=dt.UTC)
    assert election.closes_at == dt.datetime(2027, 1, 10, 23, 0, tzinfo=dt.UTC)
    page = client.get(f"/console/elections/{election.pk}/").content.decode()
    assert "2027-01-10 09:00 Lima" in page
