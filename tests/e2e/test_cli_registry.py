"""The registry's verbs of the `asamblea` command: exit statuses, messages, what they write."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from asamblea.cli import main
from asamblea.core.models import AuditEntry
from asamblea.registry import actions
from asamblea.registry.models import ApiToken, Body, Member, OfficerRole, Roll

ACTOR = "test"
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


def rows(n: int, unit: str = "mina", start: int = 0) -> str:
    return "".join(f"{unit},R{i:05d},Persona {i},,,2021-03-01\n" for i in range(start, start + n))


def test_import_members_reports_counts_and_a_second_run_changes_nothing(fed, tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(40), encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "fed"]) == 0
    assert "40 created, 0 updated" in capsys.readouterr().out
    assert main(["import-members", str(path), "--organisation", "fed"]) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert Member.objects.count() == 40


def test_import_of_a_bad_file_exits_1_prints_file_line_field_and_writes_nothing(
    fed, tmp_path, capsys
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


def test_dry_run_writes_nothing(fed, tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(5), encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "fed", "--dry-run"]) == 0
    assert "would be 5 created" in capsys.readouterr().out
    assert Member.objects.count() == 0


def test_import_into_an_unknown_organisation_is_a_usage_error(fed, tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text(HEADER, encoding="utf-8")
    assert main(["import-members", str(path), "--organisation", "nope"]) == 2
    assert "no organisation 'nope'" in capsys.readouterr().err


def test_freeze_roll_then_seats_shows_and_applies_the_apportionment(fed, tmp_path, capsys):
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


def test_seats_without_frozen_rolls_explains_why(fed, capsys):
    assert main(["seats", "--organisation", "fed", "--body", "comite"]) == 2
    assert "no frozen roll" in capsys.readouterr().err
    assert not Roll.objects.exists()


def test_export_members_needs_two_officers_and_is_audited(fed, tmp_path, capsys, django_user_model):
    path = tmp_path / "m.csv"
    path.write_text(HEADER + rows(3), encoding="utf-8")
    main(["import-members", str(path), "--organisation", "fed", "--quiet"])
    user = django_user_model.objects.create_user("reg", password="x")
    other = django_user_model.objects.create_user("reg2", password="x")
    one = ["export-members", "--organisation", "fed", "--unit", "mina", "--officer", "reg"]
    args = [*one, "--officer", "reg2"]
    assert main(args) == 2
    actions.do_grant_role(ACTOR, user, fed, OfficerRole.Role.REGISTRAR)
    actions.do_grant_role(ACTOR, other, fed, OfficerRole.Role.REGISTRAR)
    assert main(one) == 2
    assert "two different officers" in capsys.readouterr().err
    capsys.readouterr()
    out_file = tmp_path / "out.csv"
    assert main([*args, "--out", str(out_file)]) == 0
    exported = out_file.read_text(encoding="utf-8")
    assert exported.splitlines()[0] == HEADER.strip()
    assert "mina,R00001,Persona 1,,,2021-03-01" in exported
    assert AuditEntry.objects.filter(action="members.export", actor=user).count() == 1
    # The export is in the import format: importing it back changes nothing.
    capsys.readouterr()
    assert main(["import-members", str(out_file), "--organisation", "fed"]) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_token_create_prints_a_token_once_and_revoke_revokes_it(db, capsys, django_user_model):
    django_user_model.objects.create_user("api-user", password="x")
    assert main(["token", "create", "api-user", "--label", "script"]) == 0
    token = capsys.readouterr().out.strip()
    row = ApiToken.objects.get()
    assert row.label == "script"
    assert token not in row.token_hash
    assert main(["token", "list", "api-user"]) == 0
    assert "active" in capsys.readouterr().out
    assert main(["token", "revoke", str(row.pk)]) == 0
    row.refresh_from_db()
    assert row.revoked_at is not None
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
