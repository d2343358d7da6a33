"""`asamblea session`: a session run from the command line, and a bad tally sheet refused."""

from __future__ import annotations

import pytest
from assembly_builders import build_body

from asamblea.assemblies.models import DelegateVote, Division, Motion, Session
from asamblea.cli import main

pytestmark = pytest.mark.django_db


def run(capsys, *argv):
    code = main(["session", *argv])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_a_session_runs_from_the_command_line(capsys, tmp_path):
    built = build_body(units=[("Norte", 3)], name="Comité")
    code, out, _ = run(
        capsys,
        "schedule",
        "--organisation",
        built.org.slug,
        "--body",
        built.body.code,
        "--title",
        "Sesión",
        "--at",
        "2022-12-28T15:00Z",
        "--agenda",
        "Paro",
    )
    assert code == 0
    session_id = int(out)
    assert run(capsys, "open", str(session_id))[0] == 0
    code, out, _ = run(capsys, "attend", str(session_id), "--all")
    assert out == "3 seat(s) marked present"
    code, out, _ = run(
        capsys,
        "motion",
        str(session_id),
        "--title",
        "Paro",
        "--text",
        "Indefinido",
        "--proposer",
        "Norte",
        "--threshold",
        "qualified",
        "--fraction",
        "2/3",
    )
    motion_id = int(out)
    division_id = int(run(capsys, "divide", str(motion_id))[1])
    sheet = tmp_path / "sheet.csv"
    seats = [s.pk for s in built.seats]
    sheet.write_text(f"seat_id,choice\n{seats[0]},for\n{seats[1]},FOR\n{seats[2]},against\n")
    code, out, _ = run(capsys, "vote", str(division_id), str(sheet))
    assert (code, out) == (0, "3 vote(s) recorded, 0 deviation(s) flagged")
    code, out, _ = run(capsys, "tally", str(division_id))
    assert out.splitlines()[0] == "for\t2\t(2 seats)"
    code, out, _ = run(capsys, "close-division", str(division_id))
    assert out.startswith("adopted")
    assert Motion.objects.get(pk=motion_id).status == "adopted"
    pdf = tmp_path / "minutes.pdf"
    assert run(capsys, "minutes", str(session_id), "--pdf", str(pdf))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert run(capsys, "close", str(session_id))[0] == 0
    assert Session.objects.get(pk=session_id).status == "closed"
    code, out, _ = run(capsys, "show", str(session_id))
    assert "adopted" in out


def test_a_bad_tally_sheet_is_refused_with_its_line_and_nothing_is_recorded(capsys, tmp_path):
    built = build_body(units=[("Norte", 2)])
    code, out, _ = run(
        capsys,
        "schedule",
        "--organisation",
        built.org.slug,
        "--body",
        built.body.code,
        "--title",
        "S",
        "--at",
        "2022-12-28T15:00Z",
    )
    session_id = out
    run(capsys, "open", session_id)
    run(capsys, "attend", session_id, "--all")
    motion_id = run(capsys, "motion", session_id, "--title", "T", "--text", "T", "--proposer", "P")[
        1
    ]
    division_id = run(capsys, "divide", motion_id)[1]
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"{built.seats[0].pk},for\n{built.seats[1].pk},maybe\n")
    code, _, err = run(capsys, "vote", division_id, str(sheet))
    assert code == 1
    assert err == f"{sheet}:2: choice: for, against or abstain, not 'maybe'"
    assert not DelegateVote.objects.exists()
    # A seat nobody sits in refuses the whole sheet.
    sheet.write_text(f"{built.seats[0].pk},for\n999999,for\n")
    code, _, err = run(capsys, "vote", division_id, str(sheet))
    assert code == 1 and "seat 999999" in err
    assert not DelegateVote.objects.exists()
    assert Division.objects.get(pk=division_id).status == "open"
