"""`asamblea election` and `asamblea recall` for officers, in process.

Every mutating verb runs as the user its credentials name (ASAMBLEA_TOKEN here); without them it
exits 2 and writes nothing, and an officer of another organisation is refused.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "elections"))
from elections_builders import build_world, decrypt_tally, open_election, record_entries  # noqa: E402

from asamblea.cli import main  # noqa: E402
from asamblea.core.clock import now  # noqa: E402
from asamblea.core.credentials import hash_token  # noqa: E402
from asamblea.core.models import Approval, AuditEntry  # noqa: E402
from asamblea.elections import actions  # noqa: E402
from asamblea.elections.models import Certification, Election  # noqa: E402
from asamblea.registry import actions as registry  # noqa: E402
from asamblea.registry.models import ApiToken, Mandate  # noqa: E402

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch):
    for name in ("ASAMBLEA_TOKEN", "ASAMBLEA_TOKEN_FILE", "ASAMBLEA_USER", "ASAMBLEA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ASAMBLEA_TOTP", raising=False)


def _token(user, n: int = 0) -> str:
    token = f"tok-{user.username}-{n}-0123456789abcdef"
    ApiToken.objects.create(user=user, token_hash=hash_token(token), created_at=now())
    return token


def _user_for(member):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(f"user-{member.member_ref}", password="x-pass-1")
    member.user = user
    member.save(update_fields=["user"])
    return user


def _fresh_code(user) -> str:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="phone", confirmed=True
    )
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _as(monkeypatch, token: str | None) -> None:
    if token is None:
        monkeypatch.delenv("ASAMBLEA_TOKEN", raising=False)
    else:
        monkeypatch.setenv("ASAMBLEA_TOKEN", token)


def _counted(world) -> Election:
    election, codes = open_election(world, candidates=2)
    for i, member in enumerate(world.members[:3]):
        actions.check_cast(
            election, codes[member.pk], {"choice": world.members[1].public_id}, f"key-{i:04d}" * 3
        )
    actions.do_close_election(world.officers[0], election)
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    election.refresh_from_db()
    return election


def _written(world) -> tuple[int, int, int]:
    return AuditEntry.objects.count(), len(record_entries(world.org)), Certification.objects.count()


def test_an_officer_runs_an_election_from_the_command_line(capsys, tmp_path, monkeypatch):
    world = build_world(5, seats=1)
    t1, t2 = (_token(o) for o in world.officers)
    _as(monkeypatch, t1)
    argv = ["election", "create", "--org", "fed", "--unit", "mine", "--body", "region"]
    assert main([*argv, "--title", "Delegate"]) == 0
    election_id = int(capsys.readouterr().out.strip())
    assert main(["election", "open-nominations", str(election_id)]) == 0
    for m in world.members[:2]:
        assert main(["election", "nominate", str(election_id), m.public_id]) == 0
    cards = tmp_path / "cards.tsv"
    assert main(["election", "open", str(election_id), "--cards", str(cards)]) == 0
    lines = [line for line in cards.read_text().splitlines() if not line.startswith("#")]
    assert len(lines) == 5
    election = Election.objects.get(pk=election_id)
    for line in lines[:3]:
        code = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})", line).group(1)
        actions.check_cast(
            election, code, {"choice": world.members[1].public_id}, "k" * 16 + line[:6]
        )
    assert main(["election", "close", str(election_id)]) == 0
    decrypt_tally(world, Election.objects.get(pk=election_id))
    for step in ("count", "certify"):
        assert main(["election", step, str(election_id)]) == 0
    assert Election.objects.get(pk=election_id).state == Election.State.COUNTED
    proposal = Approval.objects.get(kind="elections.certify")
    _as(monkeypatch, t2)
    monkeypatch.setenv("ASAMBLEA_TOTP", _fresh_code(world.officers[1]))
    assert main(["approval", "approve", str(proposal.pk)]) == 0
    capsys.readouterr()
    assert main(["election", "show", str(election_id)]) == 0
    out = capsys.readouterr().out
    assert "[certified]" in out and world.members[1].public_id in out
    assert Mandate.objects.get(ended_at__isnull=True).member == world.members[1]
    officers = set(Certification.objects.values_list("officer__username", flat=True))
    assert officers == {o.username for o in world.officers}


def test_a_refused_step_exits_1_with_the_reason(capsys, monkeypatch):
    world = build_world(3, seats=1)
    _as(monkeypatch, _token(world.officers[0]))
    argv = ["election", "create", "--org", "fed", "--unit", "mine", "--body", "region"]
    main([*argv, "--title", "x"])
    election_id = capsys.readouterr().out.strip()
    assert main(["election", "close", election_id]) == 1
    assert "not open" in capsys.readouterr().err


@pytest.mark.parametrize("step", ["certify", "open", "close"])
def test_a_step_without_credentials_exits_2_with_a_clear_message_and_writes_nothing(capsys, step):
    world = build_world(4, seats=1)
    election = _counted(world)
    if step == "open":
        election = actions.do_create_election(
            world.officers[0],
            organisation=world.org,
            unit=world.unit,
            body=world.assembly,
            title="x",
        )
    state, before = election.state, _written(world)
    capsys.readouterr()
    assert main(["election", step, str(election.pk)]) == 2
    err = capsys.readouterr().err
    assert "authenticated user" in err and "ASAMBLEA_TOKEN" in err
    election.refresh_from_db()
    assert election.state == state
    assert _written(world) == before


def test_the_officer_option_is_gone_and_names_no_one(capsys):
    world = build_world(4, seats=1)
    election = _counted(world)
    before = _written(world)
    argv = ["election", "certify", str(election.pk), "--officer", world.officers[0].username]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert _written(world) == before


def test_an_officer_of_another_organisation_is_refused_and_nothing_is_written(capsys, monkeypatch):
    world = build_world(4, seats=1)
    other = build_world(2, seats=1, slug="other")
    election = _counted(world)
    before = _written(world)
    _as(monkeypatch, _token(other.officers[0]))
    for step in ("certify", "close"):
        assert main(["election", step, str(election.pk)]) == 1
        assert "only an election officer" in capsys.readouterr().err
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    assert _written(world) == before


def test_one_officer_cannot_certify_alone_from_the_command_line(capsys, monkeypatch):
    world = build_world(4, seats=1)
    election = _counted(world)
    officer = world.officers[0]
    _as(monkeypatch, _token(officer))
    assert main(["election", "certify", str(election.pk)]) == 0
    assert main(["election", "certify", str(election.pk)]) == 1
    assert "already proposed" in capsys.readouterr().err
    proposal = Approval.objects.get(kind="elections.certify")
    # Their own approval: refused, even with a second token and a fresh code of their own.
    _as(monkeypatch, _token(officer, 1))
    monkeypatch.setenv("ASAMBLEA_TOTP", _fresh_code(officer))
    assert main(["approval", "approve", str(proposal.pk)]) == 1
    assert "cannot approve" in capsys.readouterr().err
    # Another officer's token without a TOTP code: not a second factor.
    monkeypatch.delenv("ASAMBLEA_TOTP")
    _as(monkeypatch, _token(world.officers[1]))
    assert main(["approval", "approve", str(proposal.pk)]) == 2
    assert "ASAMBLEA_TOTP" in capsys.readouterr().err
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    assert record_entries(world.org, "election_certification_given") == []


def test_recall_verbs_open_sign_and_resign(capsys, monkeypatch):
    world = build_world(10, seats=1)
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="t")
    # An election officer enters a paper petition's lines for the members who signed it.
    _as(monkeypatch, _token(world.officers[0]))
    member = world.members[1].public_id
    argv = ["recall", "open", "--mandate", str(mandate.pk), "--member", member]
    assert main([*argv, "--reason", "absent"]) == 0
    petition_id = capsys.readouterr().out.strip()
    assert main(["recall", "sign", petition_id, "--member", world.members[1].public_id]) == 0
    assert "1 signatures [open]" in capsys.readouterr().out
    assert main(["recall", "sign", petition_id, "--member", world.members[2].public_id]) == 0
    assert "[voting]" in capsys.readouterr().out
    # Only the delegate resigns their own mandate: an officer may not unseat them this way.
    assert main(["recall", "resign", str(mandate.pk)]) == 1
    assert "not found" in capsys.readouterr().err
    _as(monkeypatch, _token(_user_for(world.members[0])))
    assert main(["recall", "resign", str(mandate.pk)]) == 0
    assert "by-election" in capsys.readouterr().out


def test_recall_verbs_without_credentials_exit_2_and_a_teller_must_be_a_teller(capsys, monkeypatch):
    world = build_world(10, seats=1)
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="t")
    petition = actions.do_open_petition(None, mandate, world.members[1], "r", "meeting")
    for m in world.members[1:3]:
        actions.do_sign(None, petition, m)
    argv = ["recall", "teller", str(petition.pk), "--present", "6", "--yes", "4", "--no", "1"]
    assert main(argv) == 2
    _as(monkeypatch, _token(world.officers[0]))
    assert main(argv) == 1
    assert "only a teller" in capsys.readouterr().err
    _as(monkeypatch, _token(world.tellers[0]))
    assert main(argv) == 0
    assert len(record_entries(world.org, "recall_teller_entered")) == 1
