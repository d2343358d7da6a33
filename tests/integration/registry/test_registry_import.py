"""Importing members: every row checked before anything is written; re-imports change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from asamblea.core.action import System
from asamblea.core.models import AuditEntry
from asamblea.registry import actions
from asamblea.registry.importing import FileRejected, validate_file
from asamblea.registry.models import Body, Member, Membership

# Fixtures are built by the platform itself; the tests of who may act go through check_*.
ACTOR = System("test")
HEADER = "unit_code,member_ref,display_name,phone,email,joined_on\n"


def write(tmp_path: Path, text: str, name: str = "members.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def valid_rows(n: int, unit: str = "mina") -> str:
    return "".join(
        f"{unit},R{i:05d},Persona {i},+51 987 654 {i % 1000:03d},p{i}@demo.example,2020-01-{1 + i % 28:02d}\n"
        for i in range(n)
    )


def run_import(org, path):
    rows = validate_file(path, org)
    plan = actions.plan_import(org, rows)
    if plan.is_empty:
        return plan.summary()
    return actions.do_import_members(ACTOR, org, plan, source=path.name)


def test_a_valid_file_creates_members_with_memberships(org, units, tmp_path):
    summary = run_import(org, write(tmp_path, HEADER + valid_rows(30)))
    assert summary["created"] == 30
    assert Member.objects.filter(organisation=org).count() == 30
    assert Membership.objects.filter(unit=units["mina"], left_on__isnull=True).count() == 30
    member = Member.objects.get(member_ref="R00003")
    assert member.email == "p3@demo.example"
    assert len(member.public_id) == 16
    assert AuditEntry.objects.filter(action="members.import").count() == 1


def test_reimporting_the_same_file_changes_nothing(org, units, tmp_path):
    path = write(tmp_path, HEADER + valid_rows(30))
    run_import(org, path)
    audits = AuditEntry.objects.count()
    plan = actions.plan_import(org, validate_file(path, org))
    assert plan.is_empty
    assert plan.summary() == {
        "created": 0,
        "updated": 0,
        "rejoined": 0,
        "transferred": 0,
        "unchanged": 30,
    }
    assert AuditEntry.objects.count() == audits


def test_a_thousand_rows_with_one_bad_row_writes_nothing_and_names_line_and_field(
    org, units, tmp_path
):
    lines = valid_rows(1000).splitlines(keepends=True)
    lines[499] = lines[499].replace("2020-01-", "2020-13-")  # file line 501 (after the header)
    path = write(tmp_path, HEADER + "".join(lines))
    with pytest.raises(FileRejected) as exc:
        validate_file(path, org)
    assert [(e.line, e.field) for e in exc.value.errors] == [(501, "joined_on")]
    assert exc.value.errors[0].format("members.csv").startswith("members.csv:501: joined_on: ")
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("nada,R1,Ana,,,2020-01-01", "unit_code"),
        ("asamblea-arequipa,R1,Ana,,,2020-01-01", "unit_code"),
        ("mina,,Ana,,,2020-01-01", "member_ref"),
        ("mina,R1,,,,2020-01-01", "display_name"),
        ("mina,R1,Ana,,,", "joined_on"),
        ("mina,R1,Ana,,,01/02/2020", "joined_on"),
        ("mina,R1,Ana,,,2999-01-01", "joined_on"),
        ("mina,R1,Ana,,ana@,2020-01-01", "email"),
        ("mina,R1,Ana,12ab,,2020-01-01", "phone"),
        ("mina,R1,Ana,123,,2020-01-01", "phone"),
    ],
)
def test_each_kind_of_bad_value_is_named_by_its_field(org, units, tmp_path, row, field):
    path = write(tmp_path, HEADER + row + "\n")
    with pytest.raises(FileRejected) as exc:
        validate_file(path, org)
    assert exc.value.errors[0].line == 2
    assert exc.value.errors[0].field == field


def test_duplicate_refs_within_a_file_are_refused_with_both_lines(org, units, tmp_path):
    path = write(
        tmp_path,
        HEADER + "mina,R1,Ana,,,2020-01-01\nmina,R2,Eva,,,2020-01-01\nmina,R1,Ana,,,2020-01-01\n",
    )
    with pytest.raises(FileRejected) as exc:
        validate_file(path, org)
    (error,) = exc.value.errors
    assert (error.line, error.field) == (4, "member_ref")
    assert "line 2" in error.message


def test_every_error_is_reported_not_only_the_first(org, units, tmp_path):
    path = write(tmp_path, HEADER + "nada,R1,Ana,,,2020-01-01\nmina,R2,Eva,,x@,2020-02-30\n")
    with pytest.raises(FileRejected) as exc:
        validate_file(path, org)
    assert [(e.line, e.field) for e in exc.value.errors] == [
        (2, "unit_code"),
        (3, "joined_on"),
        (3, "email"),
    ]


def test_a_wrong_header_is_refused(org, units, tmp_path):
    path = write(tmp_path, "unit,ref,name\nmina,R1,Ana\n")
    with pytest.raises(FileRejected) as exc:
        validate_file(path, org)
    assert exc.value.errors[0].field == "header"
    assert exc.value.errors[0].line == 1


def test_a_changed_unit_is_a_transfer_with_history(org, units, tmp_path):
    run_import(org, write(tmp_path, HEADER + "mina,R1,Ana,,,2020-01-01\n"))
    summary = run_import(
        org, write(tmp_path, HEADER + "escuela,R1,Ana,,,2022-06-01\n", name="second.csv")
    )
    assert summary["transferred"] == 1
    member = Member.objects.get(member_ref="R1")
    old, new = member.memberships.order_by("joined_on")
    assert (old.unit.code, old.left_on, old.end_reason) == (
        "mina",
        dt.date(2022, 6, 1),
        "transferred",
    )
    assert old.transferred_to_id == new.pk
    assert (new.unit.code, new.joined_on, new.left_on) == ("escuela", dt.date(2022, 6, 1), None)
    # The same second file again: nothing changes.
    plan = actions.plan_import(org, validate_file(tmp_path / "second.csv", org))
    assert plan.is_empty


def test_a_changed_name_or_contact_is_an_update(org, units, tmp_path):
    run_import(org, write(tmp_path, HEADER + "mina,R1,Ana,,,2020-01-01\n"))
    summary = run_import(
        org, write(tmp_path, HEADER + "mina,R1,Ana María,,ana@demo.example,2020-01-01\n", "b.csv")
    )
    assert summary["updated"] == 1
    assert Member.objects.get(member_ref="R1").display_name == "Ana María"


def test_xlsx_files_are_read_like_csv(org, units, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["unit_code", "member_ref", "display_name", "phone", "email", "joined_on"])
    sheet.append(["mina", "X1", "Wara Mamani", None, None, dt.date(2021, 5, 3)])
    sheet.append(
        ["mina", 1234, "Inti Quispe", "+51 999 888 777", "inti@demo.example", "2021-05-04"]
    )
    path = tmp_path / "members.xlsx"
    book.save(path)
    rows = validate_file(path, org)
    assert [(r.member_ref, r.joined_on) for r in rows] == [
        ("X1", dt.date(2021, 5, 3)),
        ("1234", dt.date(2021, 5, 4)),
    ]


def test_members_of_other_organisations_are_not_matched(org, units, tmp_path):
    other = actions.do_create_organisation(ACTOR, slug="otra", name="Otra")
    unit = actions.do_create_body(ACTOR, other, code="mina", name="Mina", kind=Body.Kind.WORKPLACE)
    actions.do_add_member(
        ACTOR, other, unit, member_ref="R1", display_name="Ana", joined_on=dt.date(2020, 1, 1)
    )
    summary = run_import(org, write(tmp_path, HEADER + "mina,R1,Ana,,,2020-01-01\n"))
    assert summary["created"] == 1
    assert Member.objects.filter(member_ref="R1").count() == 2
