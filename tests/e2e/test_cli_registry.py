"""The registry's verbs of the `asamblea` command: exit statuses, messages, what they write."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from asamblea.cli import main
from asamblea.core.action import System
from asamblea.core.models import AuditEntry
from asamblea.registry import actions
from asamblea.registry.models import ApiToken, Body, Member, OfficerRole, Roll

# Fixtures are built by the platform itself; the tests of who may act go through check_*.
ACTOR = System("test")
HEADER = "unit_code,member_ref,display_name,phone,email,joined_on\n"


@pytest.fixture
def fed(db):
    org = actions.do_create_organisation(ACTOR, slug="fed", name="Federación")
    mine = actions.do_create_body(ACTOR, org, code="mina", name="Mina", kind=Body.Kind.WORKPLACE)
    school = actions.do_create_body(
        ACTOR, org, code="escuela", name="Escuela", kind=Body.Kind.WORKPLACE
    )
    committee = actions.do_create_body(
        ACTOR,
        org,
        code="comite",
        name="Comité",
        kind=Body.Kind.COMMITTEE,
        seat_rule="largest_remainder",
        house_size=5,
    )
    actions.do_link_bodies(ACTOR, mine, committee)
    actions.do_link_bodies(ACTOR, school, committee)
    return org


PASSWORD = "cerro-rico-1545-potosi"
CREDENTIALS = (
    "ASAMBLEA_TOKEN",
    "ASAMBLEA_TOKEN_FILE",
    "ASAMBLEA_USER",
    "ASAMBLEA_PASSWORD",
    "ASAMBLEA_TOTP",
    "ASAMBLEA_SECOND_USER",
    "ASAMBLEA_SECOND_PASSWORD",
    "ASAMBLEA_SECOND_TOTP",
)


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch):
    """Each test starts signed out, whatever the shell running the tests holds."""
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)


def _officer(django_user_model, username, org, role=OfficerRole.Role.REGISTRAR, body=None):
    user = django_user_model.objects.create_user(username, password=PASSWORD)
    if org is not None:
        actions.do_grant_role(ACTOR, user, org, role, body)
    return user


def _sign_in_with_token(monkeypatch, user) -> None:
    token, _row = actions.do_create_api_token(ACTOR, user, label="cli test")
    monkeypatch.setenv("ASAMBLEA_TOKEN", token)


def _totp_code(user) -> str:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="phone", confirmed=True
    )
    device.refresh_from_db()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def _fresh_totp_code(user) -> str:
    """A code the device will accept again: a used code is refused within its time step, and
    the test does not wait 30 seconds for the next one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    return _totp_code(user)


@pytest.fixture
def registrar(fed, django_user_model, monkeypatch):
    """A registrar of the whole organisation, signed in with an API token."""
    user = _officer(django_user_model, "reg", fed)
    _sign_in_with_token(monkeypatch, user)
    return user


def rows(n: int, unit: str = "mina", start: int = 0) -> str:
    return "".join(f"{unit},R{i:05d},Persona {i},,,2021-03-01\n" for i in range(start, start + n))


def test_import_members_reports_counts_and_a_second_run_changes_nothing(
    registrar, tmp_path, capsys
):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(40), encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "fed"]) == 0
    assert "40 created, 0 updated" in capsys.readouterr().out
    assert main(["import-members", str(path), "--organisation", "fed"]) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert Member.objects.count() == 40
    assert AuditEntry.objects.get(action="members.import").actor == registrar


def test_import_members_without_credentials_exits_2_says_why_and_writes_nothing(
    fed, tmp_path, capsys
):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(5), encoding="utf-8")
    audited = AuditEntry.objects.count()
    assert main(["import-members", str(path), "--organisation", "fed"]) == 2
    assert "needs an authenticated user" in capsys.readouterr().err
    assert Member.objects.count() == 0
    assert AuditEntry.objects.count() == audited


def test_import_members_with_a_wrong_password_or_code_writes_nothing(
    fed, tmp_path, capsys, django_user_model, monkeypatch
):
    user = _officer(django_user_model, "reg", fed)
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(5), encoding="utf-8")
    monkeypatch.setenv("ASAMBLEA_USER", user.username)
    monkeypatch.setenv("ASAMBLEA_PASSWORD", "not-the-password")
    monkeypatch.setenv("ASAMBLEA_TOTP", _totp_code(user))
    assert main(["import-members", str(path), "--organisation", "fed"]) == 2
    assert "wrong user, password or TOTP code" in capsys.readouterr().err
    assert Member.objects.count() == 0
    monkeypatch.setenv("ASAMBLEA_PASSWORD", PASSWORD)
    assert main(["import-members", str(path), "--organisation", "fed"]) == 0
    assert Member.objects.count() == 5


def test_a_registrar_of_one_unit_cannot_import_into_another(
    fed, tmp_path, capsys, django_user_model, monkeypatch
):
    mine = Body.objects.get(organisation=fed, code="mina")
    user = _officer(django_user_model, "reg-mina", fed, body=mine)
    _sign_in_with_token(monkeypatch, user)
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(3) + rows(2, "escuela", start=100), encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "fed", "--dry-run"]) == 2
    assert main(["import-members", str(path), "--organisation", "fed"]) == 2
    assert "not of: escuela" in capsys.readouterr().err
    assert Member.objects.count() == 0
    path.write_text(HEADER + rows(3), encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "fed"]) == 0
    assert Member.objects.count() == 3


def test_a_superuser_without_a_role_cannot_import(
    fed, tmp_path, capsys, django_user_model, monkeypatch
):
    admin = django_user_model.objects.create_superuser("root", password=PASSWORD)
    _sign_in_with_token(monkeypatch, admin)
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(3), encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "fed"]) == 2
    assert "registrar" in capsys.readouterr().err
    assert Member.objects.count() == 0


def test_import_of_a_bad_file_exits_1_prints_file_line_field_and_writes_nothing(
    registrar, tmp_path, capsys
):
    text = HEADER + rows(1000)
    text = text.replace("R00700,Persona 700,,,", "R00700,Persona 700,,not-an-email,")
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "fed"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:702: email: 'not-an-email' is not an email address" in err
    assert "nothing written" in err
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.filter(action="members.import").exists()


def test_dry_run_writes_nothing(registrar, tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(5), encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "fed", "--dry-run"]) == 0
    assert "would be 5 created" in capsys.readouterr().out
    assert Member.objects.count() == 0


def test_import_into_an_unknown_organisation_is_a_usage_error(registrar, tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text(HEADER, encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "nope"]) == 2
    assert "no organisation 'nope'" in capsys.readouterr().err


def test_freeze_roll_then_seats_shows_and_applies_the_apportionment(registrar, tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(30) + rows(10, "escuela", start=100), encoding="utf-8")
    main(["import-members", str(path), "--organisation", "fed", "--quiet"])
    capsys.readouterr()
    for unit in ("mina", "escuela"):
        assert main(["freeze-roll", "--organisation", "fed", "--unit", unit]) == 0
    assert "30 members, commitment" in capsys.readouterr().out.splitlines()[0]
    assert main(["seats", "--organisation", "fed", "--body", "comite", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    # 30 and 10 members over 5 seats: quotas 3.75 and 1.25 -> 3 + 1, the last seat to .75.
    assert {a["sender"]: a["seats"] for a in shown["allocations"]} == {"mina": 4, "escuela": 1}
    assert shown["applied"] is False
    assert not Body.objects.get(code="comite").apportionments.exists()
    assert main(["seats", "--organisation", "fed", "--body", "comite", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "applied" in out
    assert Body.objects.get(code="comite").seats.count() == 5
    assert AuditEntry.objects.get(action="seats.apportion").actor == registrar


def test_freeze_roll_without_credentials_exits_2_says_why_and_writes_nothing(fed, capsys):
    audited = AuditEntry.objects.count()
    assert main(["freeze-roll", "--organisation", "fed", "--unit", "mina"]) == 2
    assert "needs an authenticated user" in capsys.readouterr().err
    assert not Roll.objects.exists()
    assert AuditEntry.objects.count() == audited


def test_seats_apply_without_credentials_writes_nothing(fed, capsys):
    assert main(["seats", "--organisation", "fed", "--body", "comite", "--apply"]) == 2
    assert "needs an authenticated user" in capsys.readouterr().err
    assert not Body.objects.get(code="comite").apportionments.exists()


def test_a_registrar_of_another_organisation_cannot_freeze_a_roll(
    fed, capsys, django_user_model, monkeypatch
):
    other = actions.do_create_organisation(ACTOR, slug="otra", name="Otra federación")
    user = _officer(django_user_model, "reg-otra", other)
    _sign_in_with_token(monkeypatch, user)
    assert main(["freeze-roll", "--organisation", "fed", "--unit", "mina"]) == 2
    assert "registrar" in capsys.readouterr().err
    assert not Roll.objects.exists()


def test_seats_without_frozen_rolls_explains_why(fed, capsys):
    assert main(["seats", "--organisation", "fed", "--body", "comite"]) == 2
    assert "no frozen roll" in capsys.readouterr().err
    assert not Roll.objects.exists()


def test_export_members_is_proposed_by_one_officer_and_approved_by_another_in_their_own_sign_in(
    fed, registrar, tmp_path, capsys, django_user_model, monkeypatch
):
    from asamblea.core.models import Approval

    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(3), encoding="utf-8")
    main(["import-members", str(path), "--organisation", "fed", "--quiet"])
    other = _officer(django_user_model, "reg2", None)
    capsys.readouterr()
    # Two officers' credentials in one invocation are two names typed, not two people.
    monkeypatch.setenv("ASAMBLEA_SECOND_USER", other.username)
    monkeypatch.setenv("ASAMBLEA_SECOND_PASSWORD", PASSWORD)
    monkeypatch.setenv("ASAMBLEA_SECOND_TOTP", _totp_code(other))
    actions.do_grant_role(ACTOR, other, fed, OfficerRole.Role.REGISTRAR)
    assert main(["export-members", "--organisation", "fed", "--unit", "mina"]) == 2
    assert "approval" in capsys.readouterr().err
    assert not AuditEntry.objects.filter(action="members.export").exists()
    # The registrar proposes (signed in with a token).
    propose = ["approval", "export-members", "--organisation", "fed", "--unit", "mina"]
    assert main(propose) == 0
    proposal = Approval.objects.get(kind="registry.export_members")
    capsys.readouterr()
    # Nothing to fetch before a second officer approves; the proposer cannot approve.
    assert main(["approval", "result", str(proposal.pk)]) == 1
    monkeypatch.setenv("ASAMBLEA_TOTP", _fresh_totp_code(registrar))
    assert main(["approval", "approve", str(proposal.pk)]) == 1
    assert "cannot approve" in capsys.readouterr().err
    # The second officer signs in as themself, password and a fresh TOTP code, and approves.
    monkeypatch.delenv("ASAMBLEA_TOKEN")
    monkeypatch.setenv("ASAMBLEA_USER", other.username)
    monkeypatch.setenv("ASAMBLEA_PASSWORD", PASSWORD)
    monkeypatch.setenv("ASAMBLEA_TOTP", _fresh_totp_code(other))
    assert main(["approval", "approve", str(proposal.pk)]) == 0
    # Only the proposer fetches the register, once.
    assert main(["approval", "result", str(proposal.pk)]) == 2
    for name in ("ASAMBLEA_USER", "ASAMBLEA_PASSWORD", "ASAMBLEA_TOTP"):
        monkeypatch.delenv(name)
    _sign_in_with_token(monkeypatch, registrar)
    out_file = tmp_path / "out.csv"
    assert main(["approval", "result", str(proposal.pk), "--out", str(out_file)]) == 0
    assert main(["approval", "result", str(proposal.pk)]) == 1
    exported = out_file.read_text(encoding="utf-8")
    assert exported.splitlines()[0] == HEADER.strip()
    assert "mina,R00001,Persona 1,,,2021-03-01" in exported
    entry = AuditEntry.objects.get(action="members.export", actor=other)
    assert entry.detail["second_officer"] == "reg"
    # The export is in the import format: importing it back changes nothing.
    capsys.readouterr()
    assert main(["import-members", str(out_file), "--organisation", "fed"]) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_the_first_token_of_a_fresh_install_is_the_operators_then_owners_manage_theirs(
    db, capsys, django_user_model, monkeypatch
):
    user = django_user_model.objects.create_user("api-user", password="x")
    other = django_user_model.objects.create_user("someone-else", password="x")
    assert main(["token", "create", "api-user", "--label", "script"]) == 0
    token = capsys.readouterr().out.strip()
    row = ApiToken.objects.get()
    assert row.label == "script"
    assert token not in row.token_hash
    entry = AuditEntry.objects.get(action="token.create")
    assert entry.actor is None and entry.actor_label.startswith("operator:")
    # After the first token, no credentials means no new token.
    assert main(["token", "create", "someone-else"]) == 2
    assert "needs an authenticated user" in capsys.readouterr().err
    assert ApiToken.objects.count() == 1
    assert main(["token", "list", "api-user"]) == 0
    assert "active" in capsys.readouterr().out
    # Revoking needs credentials; someone else's token is not theirs to revoke.
    assert main(["token", "revoke", str(row.pk)]) == 2
    _sign_in_with_token(monkeypatch, other)
    assert main(["token", "revoke", str(row.pk)]) == 2
    assert "owner" in capsys.readouterr().err
    monkeypatch.setenv("ASAMBLEA_TOKEN", token)
    assert main(["token", "revoke", str(row.pk)]) == 0
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert AuditEntry.objects.get(action="token.revoke").actor == user
    assert main(["token", "create", "nobody"]) == 2


def test_registry_verbs_explain_themselves_in_help():
    result = subprocess.run(
        [sys.executable, "-m", "asamblea", "import-members", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "unit_code,member_ref,display_name,phone,email,joined_on" in result.stdout
    for verb in ("export-members", "freeze-roll", "seats", "token", "demo"):
        out = subprocess.run(
            [sys.executable, "-m", "asamblea", verb, "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, verb
        assert "not built yet" not in out.stdout


def test_demo_run_again_loads_nothing_and_still_hands_over_to_the_other_loaders(
    db, capsys, monkeypatch
):
    from asamblea.assemblies import demo as assemblies_demo
    from asamblea.elections import demo as elections_demo
    from asamblea.registry import demo_data

    handed = []
    # Fakes of the other apps' loaders: this test is about the registry's part only.
    monkeypatch.setattr(
        elections_demo, "load", lambda org, progress=None: handed.append(("e", org.slug))
    )
    monkeypatch.setattr(
        assemblies_demo, "load", lambda org, progress=None: handed.append(("a", org.slug))
    )
    actions.do_create_organisation(ACTOR, slug=demo_data.DEMO_SLUG, name="ya cargada")
    assert main(["demo", "--quiet"]) == 0
    assert "already loaded" in capsys.readouterr().out
    assert not Body.objects.exists()
    assert handed == [("e", demo_data.DEMO_SLUG), ("a", demo_data.DEMO_SLUG)]
