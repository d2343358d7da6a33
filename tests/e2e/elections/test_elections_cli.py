"""`asamblea election` and `asamblea recall` for officers, in process."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "elections"))
from elections_builders import build_world  # noqa: E402

from asamblea.cli import main  # noqa: E402
from asamblea.elections import actions  # noqa: E402
from asamblea.elections.models import Election  # noqa: E402
from asamblea.registry import actions as registry  # noqa: E402
from asamblea.registry.models import Mandate  # noqa: E402

pytestmark = pytest.mark.django_db


def test_an_officer_runs_an_election_from_the_command_line(capsys, tmp_path):
    world = build_world(5, seats=1)
    o1, o2 = (o.username for o in world.officers)
    assert (
        main(
            [
                "election",
                "create",
                "--org",
                "fed",
                "--unit",
                "mine",
                "--body",
                "region",
                "--title",
                "Delegate",
                "--officer",
                o1,
            ]
        )
        == 0
    )
    election_id = int(capsys.readouterr().out.strip())
    assert main(["election", "open-nominations", str(election_id), "--officer", o1]) == 0
    for m in world.members[:2]:
        assert main(["election", "nominate", str(election_id), m.public_id, "--officer", o1]) == 0
    cards = tmp_path / "cards.tsv"
    assert main(["election", "open", str(election_id), "--officer", o1, "--cards", str(cards)]) == 0
    lines = [line for line in cards.read_text().splitlines() if not line.startswith("#")]
    assert len(lines) == 5
    election = Election.objects.get(pk=election_id)
    for line in lines[:3]:
        code = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})", line).group(1)
        actions.check_cast(
            election, code, {"choice": world.members[1].public_id}, "k" * 16 + line[:6]
        )
    for step, who in [("close", o1), ("count", o1), ("certify", o1), ("certify", o2)]:
        assert main(["election", step, str(election_id), "--officer", who]) == 0
    capsys.readouterr()
    assert main(["election", "show", str(election_id)]) == 0
    out = capsys.readouterr().out
    assert "[certified]" in out and world.members[1].public_id in out
    assert Mandate.objects.get(ended_at__isnull=True).member == world.members[1]


def test_a_refused_step_exits_1_with_the_reason(capsys):
    world = build_world(3, seats=1)
    officer = world.officers[0].username
    main(
        [
            "election",
            "create",
            "--org",
            "fed",
            "--unit",
            "mine",
            "--body",
            "region",
            "--title",
            "x",
            "--officer",
            officer,
        ]
    )
    election_id = capsys.readouterr().out.strip()
    assert main(["election", "close", election_id, "--officer", officer]) == 1
    assert "not open" in capsys.readouterr().err


def test_recall_verbs_open_sign_and_resign(capsys):
    world = build_world(10, seats=1)
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="t")
    assert (
        main(
            [
                "recall",
                "open",
                "--mandate",
                str(mandate.pk),
                "--member",
                world.members[1].public_id,
                "--reason",
                "absent",
            ]
        )
        == 0
    )
    petition_id = capsys.readouterr().out.strip()
    assert main(["recall", "sign", petition_id, "--member", world.members[1].public_id]) == 0
    assert "1 signatures [open]" in capsys.readouterr().out
    assert main(["recall", "sign", petition_id, "--member", world.members[2].public_id]) == 0
    assert "[voting]" in capsys.readouterr().out
    assert main(["recall", "resign", str(mandate.pk), "--officer", world.officers[0].username]) == 0
    assert "by-election" in capsys.readouterr().out
