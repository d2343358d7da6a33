"""``asamblea verify`` checks every shuffle of a mix from the exported record, over worker
processes (which drop the sealed ballots after checking them), and names the step of a forged
shuffle that a dishonest server let onto the record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_mixing import _payload, _request, _user

from asamblea.core.action import System, door
from asamblea.crypto import ranked
from asamblea.crypto import shuffle as S
from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import point_from_text
from asamblea.crypto.transcript import Context
from asamblea.record.entries.ranked import RankedBallotsV1, RankedSealingV1
from asamblea.record.recount_ranked import chunk_digest
from asamblea.trustees.actions import mixing
from asamblea.trustees.models import MixRequest, Trustee, TrusteeBoard
from fixtures.trustees import make_board

pytestmark = pytest.mark.django_db

SEAL = "sindicato/election/9"
QUESTION = ranked.RankedQuestion("q1", candidates=4, ranks=3)


@door("test.publish_ranked")
def _publish(ctx: Any, board: TrusteeBoard, rankings: list[list[int]]) -> None:
    """What the close of a ranked vote publishes before the mix (ADR 0014's entries)."""
    key = point_from_text(board.public_key)
    sealed = sorted(
        (ranked.seal_ranking(key, SEAL, QUESTION, r)[0] for r in rankings),
        key=ranked.tracking_code,
    )
    ctx.record(
        board.organisation,
        RankedSealingV1(
            election=9, board=board.uid, public_key=board.public_key, seal_id=SEAL,
            question="q1", candidates=4, ranks=3,
        ),
    )  # fmt: skip
    ballots = [ranked.ranking_to_json(b) for b in sealed]
    ctx.record(
        board.organisation,
        RankedBallotsV1(
            election=9, chunk=0, chunks=1, ballots=ballots, digest=chunk_digest(ballots)
        ),
    )
    return None


def _mix(board: TrusteeBoard) -> MixRequest:
    import json

    from asamblea.recordstore.models import RecordEntry

    row = RecordEntry.objects.filter(entry_type="election_ranked_ballots").get()
    ballots = json.loads(row.canonical)["ballots"]
    listed = [
        tuple(Ciphertext(point_from_text(a), point_from_text(b)) for a, b in obj["ranks"])
        for obj in ballots
    ]
    return _request(System("test"), board, listed)


def _verify(org: Any, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    from asamblea.recordstore import actions as record_actions
    from asamblea.recordstore.export import export_to_dir

    record_actions.do_sign_checkpoint(org)
    out = tmp_path / "record"
    export_to_dir(org, out)
    vkey = (out / "key.pub").read_text().strip()
    return subprocess.run(
        [sys.executable, "-m", "asamblea", "verify", str(out), "--key", vkey, "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_asamblea_verify_checks_every_shuffle_of_the_mix(org: Any, tmp_path: Path) -> None:
    board, _ = make_board(org, k=2, n=3)
    _publish(System("test"), board, [[1, 2], [3], [], [4, 1, 2], [2, 3]])
    mix = _mix(board)
    mixing.check_post_shuffle(_user(board, 2), mix.pk, _payload(mix))
    mixing.check_post_shuffle(_user(board, 3), mix.pk, _payload(mix))
    done = _verify(org, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    recounted = next(line for line in done.stdout.splitlines() if line.startswith("recounted:"))
    assert "shuffle_proved 2" in recounted


def test_asamblea_verify_names_the_step_of_a_forged_shuffle(org: Any, tmp_path: Path) -> None:
    """A server that skipped the check lets a shuffle under another key onto the record: the
    offline verifier refuses it, naming the round, the trustee and the step."""
    board, _ = make_board(org, k=2, n=3)
    other, _ = make_board(org, k=2, n=3)
    _publish(System("test"), board, [[1, 2], [3], [2, 1, 4]])
    mix = _mix(board)
    current = [
        tuple(Ciphertext(point_from_text(a), point_from_text(b)) for a, b in r) for r in mix.current
    ]
    outs, rho, psi = S.gen_shuffle(point_from_text(other.public_key), current)
    ctx = Context(SEAL, "q1", point_from_text(board.public_key))
    proof = S.proof_to_json(S.gen_shuffle_proof(ctx, current, outs, rho, psi))
    trustee = Trustee.objects.get(board=board, index=1)
    mixing.do_post_shuffle(trustee.user, mix, trustee, 1, S.ballots_to_json(outs), proof)
    done = _verify(org, tmp_path)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "shuffle 1 by trustee 1" in said and "step t4" in said, said
