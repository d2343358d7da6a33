"""The trustee's partial decryption in the browser (trustees/static/trustees/decrypting.js)
against Python's (trustees.sharefile.partials_for, crypto.threshold.partial_decrypt): the same
bytes with the same randomness, and partials Python verifies and combines with fresh randomness.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from asamblea.crypto import ballot, group, proofs, threshold
from asamblea.crypto.elgamal import DiscreteLog
from asamblea.crypto.transcript import BoardContext, Context
from asamblea.record.entries.trustees import factors_from_json
from asamblea.trustees.sharefile import partials_for

RUNNER = Path(__file__).resolve().parent / "browser_decrypter.mjs"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

ELECTION, QUESTION = "fed/election/3", "q1"


def _board(
    k: int = 2, n: int = 3
) -> tuple[threshold.ThresholdParameters, list[threshold.KeyShare]]:
    board = BoardContext("fed/trustees/test", k, n)
    made = [threshold.new_trustee(board, i) for i in range(1, n + 1)]
    certs = [c for _, c in made]
    polys = [threshold.make_polynomial(board, s, certs) for s, _ in made]
    done = [threshold.complete_key(board, s, certs, polys) for s, _ in made]
    params = threshold.assemble_board(board, certs, polys, [vk for _, vk in done])
    return params, [share for share, _ in done]


def _tally(key: group.Point, selections: list[list[int]]) -> list[Any]:
    question = ballot.Question.plurality(QUESTION, 3)
    answers = [ballot.seal_ballot(key, ELECTION, [question], [s])[0].answers[0] for s in selections]
    return list(ballot.encrypted_tally(answers, question))


def _groups(tally: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "election": ELECTION,
            "question": QUESTION,
            "ciphertexts": [
                [group.point_to_text(c.alpha), group.point_to_text(c.beta)] for c in tally
            ],
        }
    ]


def run_js(
    share: threshold.KeyShare, key: group.Point, groups: Any, **extra: Any
) -> dict[str, Any]:
    request = {
        "share": {"index": share.index, "share": group.scalar_to_text(share.secret)},
        "public_key": group.point_to_text(key),
        "groups": groups,
        **extra,
    }
    done = subprocess.run(  # noqa: S603 - node and our own script
        [str(NODE), str(RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_javascript_and_python_decrypt_to_the_same_bytes_with_the_same_randomness(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params, shares = _board()
    tally = _tally(params.public_key, [[1, 0, 0], [0, 0, 1], [1, 0, 0]])
    randomness = [
        group.scalar_from_hash(hashlib.sha512(f"w{i}".encode()).digest()) for i in range(3)
    ]
    queue = list(randomness)
    monkeypatch.setattr(proofs, "random_scalar", lambda: queue.pop(0))
    python = partials_for(shares[1], params.public_key, _groups(tally))
    assert queue == []
    js = run_js(
        shares[1],
        params.public_key,
        _groups(tally),
        randomness=[group.scalar_to_text(r) for r in randomness],
    )
    assert json.dumps(js["body"], sort_keys=True) == json.dumps(python, sort_keys=True)


def test_python_verifies_and_combines_partials_made_in_javascript() -> None:
    params, shares = _board()
    selections = [[1, 0, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0]]
    tally = _tally(params.public_key, selections)
    context = Context(ELECTION, QUESTION, params.public_key)
    partials = []
    for share in (shares[0], shares[2]):
        vk = group.point_to_text(params.verification_key(share.index))
        js = run_js(share, params.public_key, _groups(tally), verification_key=vk)
        assert js["matches"] is True
        partial = factors_from_json(js["body"]["groups"][0], share.index, "js")
        threshold.verify_partial_decryption(context, params, tally, partial)
        partials.append(partial)
    totals = threshold.combine(context, params, tally, partials, DiscreteLog(len(selections)))
    assert totals == [2, 0, 1]
    # A partial made with one trustee's share but posted as another's is refused.
    wrong = factors_from_json(js["body"]["groups"][0], 1, "js")
    with pytest.raises(threshold.InvalidPartialDecryption, match="trustee 1"):
        threshold.verify_partial_decryption(context, params, tally, wrong)


def test_the_share_check_refuses_another_trustees_key() -> None:
    params, shares = _board()
    tally = _tally(params.public_key, [[0, 1, 0]])
    other = group.point_to_text(params.verification_key(1))
    assert (
        run_js(shares[1], params.public_key, _groups(tally), verification_key=other)["matches"]
        is False
    )
