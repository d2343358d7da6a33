"""`asamblea session`: a session run from the command line by an authenticated chair, a bad tally
sheet refused, and no state changed without credentials or by another organisation's chair."""

from __future__ import annotations

import pytest
from assembly_builders import build_body, make_chair

from asamblea.assemblies.models import DelegateVote, Division, Motion, Session
from asamblea.cli import main
from asamblea.core.models import AuditEntry
from asamblea.recordstore.models import RecordEntry
from asamblea.registry.actions import do_create_api_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch):
    for name in ("ASAMBLEA_TOKEN", "ASAMBLEA_TOKEN_FILE", "ASAMBLEA_USER", "ASAMBLEA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def sign_in_as_chair(monkeypatch, org):
    chair = make_chair(org)
    token, _ = do_create_api_token(None, chair)
    monkeypatch.setenv("ASAMBLEA_TOKEN", token)
    return chair


def run(capsys, *argv):
    code = main(["session", *argv])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_a_session_runs_from_the_command_line(capsys, tmp_path, monkeypatch):
    built = build_body(units=[("Norte", 3)], name="Comité")
    sign_in_as_chair(monkeypatch, built.org)
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


def test_a_bad_tally_sheet_is_refused_with_its_line_and_nothing_is_recorded(
    capsys, tmp_path, monkeypatch
):
    built = build_body(units=[("Norte", 2)])
    sign_in_as_chair(monkeypatch, built.org)
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


def _schedule(capsys, built):
    return run(
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


def test_session_open_without_credentials_exits_non_zero_with_a_clear_message_and_writes_nothing(
    capsys, monkeypatch
):
    built = build_body(units=[("Norte", 2)])
    sign_in_as_chair(monkeypatch, built.org)
    session_id = _schedule(capsys, built)[1]
    monkeypatch.delenv("ASAMBLEA_TOKEN")
    records, audits = RecordEntry.objects.count(), AuditEntry.objects.count()
    code, _, err = run(capsys, "open", session_id)
    assert code == 2
    assert "needs an authenticated user" in err and "ASAMBLEA_TOKEN" in err
    assert Session.objects.get(pk=session_id).status == "scheduled"
    assert (RecordEntry.objects.count(), AuditEntry.objects.count()) == (records, audits)
    # Reading stays open to anyone: roll calls are public.
    assert run(capsys, "show", session_id)[0] == 0


def test_session_open_with_a_chairs_token_works_and_is_audited_as_that_chair(capsys, monkeypatch):
    built = build_body(units=[("Norte", 2)])
    chair = sign_in_as_chair(monkeypatch, built.org)
    session_id = _schedule(capsys, built)[1]
    assert run(capsys, "open", session_id) == (0, f"session {session_id} open", "")
    entry = AuditEntry.objects.filter(action="open_session").latest("pk")
    assert entry.actor_id == chair.pk


def test_session_open_by_another_organisations_chair_is_refused_and_writes_nothing(
    capsys, monkeypatch
):
    built = build_body(units=[("Norte", 2)])
    sign_in_as_chair(monkeypatch, built.org)
    session_id = _schedule(capsys, built)[1]
    other = build_body(units=[("Sur", 1)])
    sign_in_as_chair(monkeypatch, other.org)
    records = RecordEntry.objects.count()
    code, _, err = run(capsys, "open", session_id)
    assert code == 1
    assert "refused" in err and "chair" in err
    assert Session.objects.get(pk=session_id).status == "scheduled"
    assert RecordEntry.objects.count() == records
