"""`asamblea approval` and `asamblea election cards`, in process: one officer cannot print new
voting cards alone (issue 16: "ballot stuffing by one officer")."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "approvals"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "elections"))
from approval_helpers import fresh_code, token_for, wrong_code  # noqa: E402
from elections_builders import build_world, open_election, record_entries  # noqa: E402

from asamblea.cli import main  # noqa: E402
from asamblea.core.errors import ActionError  # noqa: E402
from asamblea.core.models import Approval  # noqa: E402
from asamblea.elections import actions  # noqa: E402

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _signed_out(monkeypatch):  # type: ignore[no-untyped-def]
    for name in ("ASAMBLEA_TOKEN", "ASAMBLEA_TOKEN_FILE", "ASAMBLEA_USER", "ASAMBLEA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ASAMBLEA_TOTP", raising=False)


def test_one_officer_cannot_reissue_cards_alone_from_the_command_line(
    monkeypatch, capsys, tmp_path
):
    world = build_world(4)
    election, codes = open_election(world)
    first, second = world.officers
    monkeypatch.setenv("ASAMBLEA_TOKEN", token_for(first))
    assert main(["election", "cards", str(election.pk)]) == 0
    proposal = Approval.objects.get(kind="elections.reissue_credentials")
    assert f"approval {proposal.pk}" in capsys.readouterr().out
    assert record_entries(world.org, "credentials_reissued") == []
    # The same officer, a second token, a fresh code: still one person.
    monkeypatch.setenv("ASAMBLEA_TOKEN", token_for(first))
    monkeypatch.setenv("ASAMBLEA_TOTP", fresh_code(first))
    assert main(["approval", "approve", str(proposal.pk)]) == 1
    assert "cannot approve" in capsys.readouterr().err
    # Nothing to print before the approval.
    assert main(["election", "cards", str(election.pk), "--approval", str(proposal.pk)]) == 1
    # The second officer with a wrong code, then a fresh one.
    monkeypatch.setenv("ASAMBLEA_TOKEN", token_for(second))
    monkeypatch.setenv("ASAMBLEA_TOTP", wrong_code(second))
    assert main(["approval", "approve", str(proposal.pk)]) == 1
    assert "TOTP" in capsys.readouterr().err
    assert record_entries(world.org, "credentials_reissued") == []
    monkeypatch.setenv("ASAMBLEA_TOTP", fresh_code(second))
    assert main(["approval", "list"]) == 0
    assert "to approve" in capsys.readouterr().out
    assert main(["approval", "approve", str(proposal.pk)]) == 0
    (entry,) = record_entries(world.org, "credentials_reissued")
    assert entry["count"] == len(codes)
    # The approver does not get the cards; the proposer does, once.
    assert main(["election", "cards", str(election.pk), "--approval", str(proposal.pk)]) == 1
    assert "approval" in capsys.readouterr().err
    monkeypatch.setenv("ASAMBLEA_TOKEN", token_for(first))
    cards = tmp_path / "cards.tsv"
    argv = ["election", "cards", str(election.pk), "--approval", str(proposal.pk)]
    assert main([*argv, "--cards", str(cards)]) == 0
    assert main(argv) == 1
    printed = [line for line in cards.read_text().splitlines() if not line.startswith("#")]
    assert len(printed) == len(codes)
    new_code = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})", printed[0]).group(1)
    member = world.members[0]
    old = codes[member.pk]
    with pytest.raises(ActionError, match="this card was replaced on"):
        actions.check_cast(election, old, {"choice": member.public_id}, "o" * 20)
    receipt = actions.check_cast(election, new_code, {"choice": member.public_id}, "n" * 20)
    assert receipt.tracking_code
