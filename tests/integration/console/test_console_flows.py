"""The console end to end through HTTP (Django's test client): importing members with a preview
and every error by line, freezing rolls, apportioning with the lot shown, an election from draft
to certified with cards through an approval, tellers who disagree, tokens; each step through the
same ``check_*`` as the API, and what it wrote checked in the database and on the record."""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

sys.path.insert(0, str(Path(__file__).resolve().parent))
from console_world import (
    PASSWORD,
    Fresh,
    code_ahead,
    fresh_code,
    fresh_organisation,
    sign_in,
)  # noqa: E402

from asamblea.console.models import ImportJob  # noqa: E402
from asamblea.core.models import Approval  # noqa: E402
from asamblea.elections.models import Election  # noqa: E402
from asamblea.recordstore.models import RecordEntry  # noqa: E402
from asamblea.registry.models import ApiToken, Apportionment, Member, Roll  # noqa: E402

pytestmark = pytest.mark.django_db

HEADER = "unit_code,member_ref,display_name,phone,email,joined_on\n"


def members_csv(n: int, *, bad_line: int | None = None, start: int = 1) -> bytes:
    """``n`` members over base-1 and base-2; every tenth has no e-mail (a printed card)."""
    lines = [HEADER]
    for i in range(start, start + n):
        unit = "base-1" if i % 2 else "base-2"
        email = "" if i % 10 == 0 else f"socia{i}@example.org"
        line = f"{unit},S-{i:04d},Socia {i},,{email},2022-03-01\n"
        if bad_line is not None and len(lines) + 1 == bad_line:
            line = f"{unit},S-{i:04d},Socia {i},,no-es-correo,2022-03-01\n"
        lines.append(line)
    return "".join(lines).encode()


def upload(client: Client, fresh: Fresh, content: bytes, name: str = "socias.csv") -> Any:
    return client.post(
        f"/console/o/{fresh.org.slug}/imports/new",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
        follow=True,
    )


def entry_types(org: Any) -> list[str]:
    return list(
        RecordEntry.objects.filter(organisation=org)
        .order_by("index")
        .values_list("entry_type", flat=True)
    )


def payloads(entry_type: str) -> list[dict[str, Any]]:
    """The record's entries of one type, as JSON (the payload is nested or flat: both read)."""
    out = []
    for text in RecordEntry.objects.filter(entry_type=entry_type).values_list(
        "canonical", flat=True
    ):
        data = json.loads(text)
        out.append(data.get("payload", data))
    return out


def test_officers_land_on_the_console_after_signing_in(client: Client) -> None:
    fresh = fresh_organisation()
    response = client.post(
        "/officer/login/",
        {"username": fresh.first.username, "password": PASSWORD, "token": fresh_code(fresh.first)},
    )
    assert response.status_code == 302 and response["Location"] == "/console/"
    page = client.get("/console/")
    assert page.status_code == 200
    assert fresh.org.name in page.content.decode()


def test_a_file_with_one_bad_row_is_refused_whole_then_the_fixed_file_is_applied() -> None:
    fresh = fresh_organisation()
    client = Client()
    sign_in(client, fresh.first)
    refused = upload(client, fresh, members_csv(20, bad_line=7))
    text = refused.content.decode()
    assert "7: email: &#x27;no-es-correo&#x27; is not an email address" in text
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REJECTED and job.content is None
    assert Member.objects.filter(organisation=fresh.org).count() == 0
    # No apply button on a refused file, and applying it anyway is refused.
    assert "/apply" not in text
    client.post(f"/console/imports/{job.pk}/apply")
    assert Member.objects.filter(organisation=fresh.org).count() == 0

    checked = upload(client, fresh, members_csv(20))
    job = ImportJob.objects.latest("pk")
    assert job.state == ImportJob.State.READY and job.summary["created"] == 20
    assert Member.objects.filter(organisation=fresh.org).count() == 0, "a preview writes nothing"
    assert f"/console/imports/{job.pk}/apply" in checked.content.decode()
    done = client.post(f"/console/imports/{job.pk}/apply", follow=True)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and job.content is None
    assert job.summary["created"] == 20
    assert Member.objects.filter(organisation=fresh.org).count() == 20
    assert "applied" in done.content.decode() or "aplicado" in done.content.decode()


def test_a_registrar_of_one_unit_cannot_import_into_another() -> None:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from asamblea.registry.models import OfficerRole

    fresh = fresh_organisation()
    local = get_user_model().objects.create_user("registradora-local", password=PASSWORD)
    TOTPDevice.objects.create(user=local, name="phone", confirmed=True)
    OfficerRole.objects.create(
        user=local, organisation=fresh.org, body=fresh.units[0], role="registrar"
    )
    client = Client()
    sign_in(client, local)
    response = upload(client, fresh, members_csv(4))
    assert response.status_code == 403
    assert not ImportJob.objects.exists()
    assert Member.objects.count() == 0


def test_memberships_are_added_edited_transferred_and_ended_on_the_console() -> None:
    fresh = fresh_organisation()
    client = Client()
    sign_in(client, fresh.first)
    slug = fresh.org.slug
    client.post(
        f"/console/o/{slug}/u/base-1/members/new",
        {"member_ref": "N-1", "display_name": "Nueva Socia", "joined_on": "2022-05-01"},
    )
    member = Member.objects.get(member_ref="N-1")
    client.post(
        f"/console/o/{slug}/m/{member.public_id}/edit",
        {"display_name": "Nueva Socia Quispe", "phone": "", "email": "nueva@example.org"},
    )
    member.refresh_from_db()
    assert (member.display_name, member.email) == ("Nueva Socia Quispe", "nueva@example.org")
    client.post(
        f"/console/o/{slug}/m/{member.public_id}/transfer",
        {"to_unit": "base-2", "on": "2022-06-01"},
    )
    assert member.memberships.get(left_on__isnull=True).unit.code == "base-2"
    bad = client.post(
        f"/console/o/{slug}/m/{member.public_id}/transfer",
        {"to_unit": "no-existe", "on": "2022-06-02"},
        follow=True,
    )
    assert "to_unit" in bad.content.decode()
    client.post(
        f"/console/o/{slug}/m/{member.public_id}/end", {"left_on": "2022-07-01", "reason": "left"}
    )
    assert not member.memberships.filter(left_on__isnull=True).exists()


def test_rolls_are_frozen_and_seats_apportioned_with_the_lot_shown() -> None:
    fresh = fresh_organisation()
    client = Client()
    sign_in(client, fresh.first)
    upload(client, fresh, members_csv(10))
    client.post(f"/console/imports/{ImportJob.objects.get().pk}/apply")
    slug = fresh.org.slug
    for unit in ("base-1", "base-2"):
        client.post(f"/console/o/{slug}/u/{unit}/freeze", {"purpose": "asientos"})
    assert sorted(Roll.objects.values_list("size", flat=True)) == [5, 5]
    preview = client.get(f"/console/o/{slug}/b/congreso/seats/").content.decode()
    # 5 seats over two units of 5 members: 2 each and one by lot, its draw shown.
    assert "sha256:" in preview
    assert Apportionment.objects.count() == 0, "a preview writes nothing"
    client.post(f"/console/o/{slug}/b/congreso/seats/apply", {"seed": ""})
    current = Apportionment.objects.get(is_current=True)
    assert current.total_seats == 5 and current.draws
    assert "seats_apportioned" in entry_types(fresh.org)


def _decrypt_pending(shares: list[Any]) -> None:
    from asamblea.trustees.models import DecryptionRequest, MixRequest
    from fixtures.trustees import decrypt, shuffle

    # A sealed ranked vote's rankings are first mixed by k trustees in turn (ADR 0015).
    for mix in MixRequest.objects.filter(state=MixRequest.State.PENDING):
        shuffle(mix, [s.index for s in shares[:2]])
    for request in DecryptionRequest.objects.filter(state=DecryptionRequest.State.PENDING):
        decrypt(request, shares[:2])  # k of n: the board is 2 of 3


def test_an_election_runs_from_draft_to_certified_on_the_console(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from fixtures.trustees import make_board

    fresh = fresh_organisation(units=1)
    _board, shares = make_board(fresh.org)
    first, second = Client(), Client()
    sign_in(first, fresh.first)
    sign_in(second, fresh.second)
    upload(first, fresh, members_csv(20).replace(b"base-2", b"base-1"))
    first.post(f"/console/imports/{ImportJob.objects.get().pk}/apply")
    slug = fresh.org.slug
    created = first.post(
        f"/console/o/{slug}/elections/new",
        {
            "title": "Delegados al congreso",
            "unit": "base-1",
            "body": "congreso",
            "seats": "1",
            "method": "irv",
        },
    )
    election = Election.objects.get()
    assert created["Location"] == f"/console/elections/{election.pk}/"
    page = first.get(f"/console/elections/{election.pk}/").content.decode()
    assert "open-nominations" in page
    # Opening is refused while nobody stands, with the reason in words.
    first.post(f"/console/elections/{election.pk}/step/open-nominations")
    blocked = first.post(f"/console/elections/{election.pk}/step/open", follow=True)
    assert "candidat" in blocked.content.decode().lower()
    assert Election.objects.get().state == "nominations"
    for ref in ("S-0001", "S-0002", "S-0003", "S-0004", "S-0005"):
        first.post(f"/console/elections/{election.pk}/nominate", {"member_ref": ref})
    # One withdraws before the vote opens: the opening lists the four who stand.
    fifth = election.candidates.get(member__member_ref="S-0005")
    first.post(f"/console/elections/{election.pk}/candidates/{fifth.key}/withdraw")
    assert election.candidates.filter(withdrawn_at__isnull=True).count() == 4
    withdrawn = payloads("candidate_withdrawn")
    assert [(p["election"], p["key"]) for p in withdrawn] == [(election.pk, fifth.key)]
    with django_capture_on_commit_callbacks(execute=True):
        first.post(f"/console/elections/{election.pk}/step/open")
    election.refresh_from_db()
    assert election.state == "open"
    opened = payloads("election_opened")[0]
    assert fifth.key not in {c["key"] for c in opened["candidates"]}
    again = first.post(
        f"/console/elections/{election.pk}/candidates/{fifth.key}/withdraw", follow=True
    )
    refusal = again.content.decode()
    assert "before the vote opens" in refusal or "antes de abrir la votación" in refusal
    codes = {}
    for msg in mail.outbox:
        found = re.search(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})\b", msg.body)
        if found:
            codes[msg.to[0]] = found.group(1)
    assert len(codes) == 18  # the two members with no e-mail get printed cards
    # Cards: proposed by one officer, approved by the other, fetched once as a PDF.
    first.post(f"/console/elections/{election.pk}/cards")
    proposal = Approval.objects.get(kind="elections.reissue_credentials")
    refused = first.post(f"/approvals/{proposal.pk}/approve", {"code": fresh_code(fresh.first)})
    assert refused.status_code == 403
    second.post(f"/approvals/{proposal.pk}/approve", {"code": fresh_code(fresh.second)})
    proposal.refresh_from_db()
    card_codes = dict(proposal.result["cards"])
    # The two imported members with no e-mail, and the test board's trustees (members too).
    no_email = election.roll.entries.filter(member__email="").count()
    assert len(card_codes) == no_email >= 2
    pdf = first.post(f"/console/elections/{election.pk}/cards/{proposal.pk}")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    again = first.post(f"/console/elections/{election.pk}/cards/{proposal.pk}", follow=True)
    assert again["Content-Type"].startswith("text/html")
    assert [p["count"] for p in payloads("credentials_reissued")] == [no_email]
    keys = [
        c.key for c in election.candidates.filter(withdrawn_at__isnull=True).order_by("position")
    ]
    api = Client()
    for n, code in enumerate(list(codes.values())[:5] + list(card_codes.values())[:1]):
        ranking = [keys[0], keys[1]] if n % 3 else [keys[1], keys[0]]
        response = api.post(
            f"/api/elections/{election.pk}/vote",
            data=json.dumps({"code": code, "ballot": {"ranking": ranking}, "key": f"k-{n:030d}"}),
            content_type="application/json",
        )
        assert response.status_code in (200, 201), response.content
    # (The close's after-commit compaction needs a real commit: the browser test runs it.)
    first.post(f"/console/elections/{election.pk}/step/close")
    election.refresh_from_db()
    assert election.state == "closed"
    _decrypt_pending(shares)
    first.post(f"/console/elections/{election.pk}/step/count")
    election.refresh_from_db()
    assert election.state == "counted", election.state
    first.post(f"/console/elections/{election.pk}/step/certify")
    certify = Approval.objects.get(kind="elections.certify")
    second.post(f"/approvals/{certify.pk}/approve", {"code": code_ahead(fresh.second)})
    election.refresh_from_db()
    assert election.state == "certified"
    winner = Member.objects.get(public_id=election.result["winners"][0])
    body_page = Client().get(f"/o/{slug}/b/congreso/").content.decode()
    assert winner.display_name in body_page


def test_tellers_who_disagree_see_which_figures_differ_and_nothing_is_decided() -> None:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from asamblea.elections import actions
    from asamblea.registry import actions as registry
    from asamblea.registry.models import OfficerRole

    fresh = fresh_organisation(units=1)
    client = Client()
    sign_in(client, fresh.first)
    upload(client, fresh, members_csv(10).replace(b"base-2", b"base-1"))
    client.post(f"/console/imports/{ImportJob.objects.get().pk}/apply")
    registry.check_freeze_roll(fresh.first, fresh.units[0])
    registry.check_apportion(fresh.first, fresh.assembly)
    members = list(Member.objects.order_by("member_ref"))
    seat = fresh.assembly.seats.first()
    mandate = registry.do_start_mandate(None, seat, members[0], source="test")
    petition = actions.do_open_petition(None, mandate, members[1], "No rinde cuentas", "meeting")
    petition.refresh_from_db()
    tellers = []
    for name in ("escrutadora-1", "escrutadora-2"):
        user = get_user_model().objects.create_user(name, password=PASSWORD)
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        OfficerRole.objects.create(user=user, organisation=fresh.org, role="teller")
        tellers.append(user)
    one, two = Client(), Client()
    sign_in(one, tellers[0])
    sign_in(two, tellers[1])
    path = f"/console/recalls/{petition.pk}/teller"
    # Straight to the meeting: the petition's route is a general meeting.
    petition.state = "meeting"
    petition.save(update_fields=["state"])
    one.post(path, {"present": "8", "yes": "5", "no": "3", "abstain": "0"})
    page = two.post(path, {"present": "8", "yes": "6", "no": "2", "abstain": "0"}, follow=True)
    text = page.content.decode()
    assert "alert" in text
    shown = re.search(r'role="alert">(.*?)</div>', text, re.S)
    assert shown is not None
    assert ("Yes" in shown.group(1) or "Sí" in shown.group(1)) and "8" not in shown.group(1)
    petition.refresh_from_db()
    assert petition.meeting_result is None
    assert petition.teller_entries.count() == 1
    two.post(path, {"present": "8", "yes": "5", "no": "3", "abstain": "0"})
    petition.refresh_from_db()
    assert petition.meeting_result and petition.meeting_result["yes"] == 5


def test_an_officer_creates_and_revokes_an_api_token_with_a_fresh_code() -> None:
    fresh = fresh_organisation()
    client = Client()
    sign_in(client, fresh.first)
    wrong = client.post(
        "/console/tokens/new", {"label": "hoja", "scope": "read", "days": "7", "code": "000000"}
    )
    assert wrong.status_code == 403 and not ApiToken.objects.exists()
    # django_otp backs off after a wrong code; the officer waits it out.
    TOTPDevice.objects.get(user=fresh.first).throttle_reset()
    page = client.post(
        "/console/tokens/new",
        {"label": "hoja", "scope": "read", "days": "7", "code": fresh_code(fresh.first)},
        follow=True,
    )
    row = ApiToken.objects.get()
    assert (row.scope, row.label) == ("read", "hoja")
    assert (row.expires_at - row.created_at).days == 7
    shown = re.search(r'class="token-shown">([^<]+)<', page.content.decode())
    assert shown is not None
    api = Client().get("/api/organisations", HTTP_AUTHORIZATION=f"Bearer {shown.group(1)}")
    assert api.status_code == 200
    # Shown once only.
    assert "token-shown" not in client.get("/console/tokens/").content.decode()
    client.post(f"/console/tokens/{row.pk}/revoke")
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_every_console_page_is_under_fifty_kilobytes_compressed() -> None:
    fresh = fresh_organisation()
    client = Client()
    sign_in(client, fresh.first)
    upload(client, fresh, members_csv(400))
    job = ImportJob.objects.get()
    client.post(f"/console/imports/{job.pk}/apply")
    bad = upload(client, fresh, members_csv(1200, bad_line=3, start=2000).replace(b"@", b""))
    assert bad.status_code == 200
    client.post(
        f"/console/o/{fresh.org.slug}/elections/new",
        {"title": "Delegados", "unit": "base-1", "body": "congreso", "seats": "1", "method": "irv"},
    )
    member = Member.objects.order_by("pk").first()
    assert member is not None
    slug = fresh.org.slug
    pages = [
        "/console/",
        "/console/tokens/",
        f"/console/o/{slug}/",
        f"/console/imports/{job.pk}/",
        f"/console/imports/{ImportJob.objects.latest('pk').pk}/",
        f"/console/o/{slug}/u/base-1/",
        f"/console/o/{slug}/m/{member.public_id}/",
        f"/console/o/{slug}/b/congreso/seats/",
        f"/console/o/{slug}/elections/",
        f"/console/elections/{Election.objects.get().pk}/",
        f"/console/o/{slug}/recalls/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        size = len(gzip.compress(response.content))
        assert size < 50_000, f"{path}: {size} bytes compressed"
