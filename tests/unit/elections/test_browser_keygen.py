"""The trustees' key generation in the browser (trustees/static/trustees/keygen.js) against
Python's (crypto/threshold.py, trustees/steps.py): the same bytes for every message with the same
randomness, a whole 2-of-3 ceremony run in JavaScript that Python assembles and decrypts with,
and a tampered polynomial refused naming its dealer."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pysodium
import pytest

from asamblea.crypto import ballot, group, proofs, threshold
from asamblea.crypto.elgamal import DiscreteLog
from asamblea.crypto.transcript import BoardContext, Context
from asamblea.record.entries.trustees import (
    certificate_from_json,
    certificate_to_json,
    factors_from_json,
    polynomial_from_json,
    polynomial_to_json,
    verification_key_from_json,
    verification_key_to_json,
)
from asamblea.trustees.sharefile import ShareFile, from_paper, paper_backup, partials_for

RUNNER = Path(__file__).resolve().parent / "browser_keygen.mjs"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

BOARD = BoardContext("fed/trustees/9c1e", 2, 3)
BOARD_JSON = {"board": BOARD.board_id, "k": BOARD.threshold, "n": BOARD.size}


def run_js(
    op: str,
    args: dict[str, Any],
    scalars: list[int] | None = None,
    nonces: list[bytes] | None = None,
) -> Any:
    request: dict[str, Any] = {"op": op, "args": args}
    if scalars is not None:
        request["scalars"] = [group.scalar_to_text(s) for s in scalars]
        request["bytes"] = [group.b64encode(b) for b in nonces or []]
    done = subprocess.run(  # noqa: S603 - node and our own script
        [str(NODE), str(RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise AssertionError(done.stderr)
    return json.loads(done.stdout)


def _scalars(n: int, seed: str) -> list[int]:
    return [
        group.scalar_from_hash(hashlib.sha512(f"{seed}{i}".encode()).digest()) for i in range(n)
    ]


@pytest.fixture
def inject(monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(scalars: list[int], nonces: list[bytes] = ()) -> tuple[list[int], list[bytes]]:  # type: ignore[assignment]
        sq, nq = list(scalars), list(nonces)
        monkeypatch.setattr(threshold, "random_scalar", lambda: sq.pop(0))
        monkeypatch.setattr(proofs, "random_scalar", lambda: sq.pop(0))
        monkeypatch.setattr(pysodium, "randombytes", lambda n: nq.pop(0))
        return sq, nq

    return use


def _python_ceremony() -> tuple[list[Any], list[Any], list[Any]]:
    made = [threshold.new_trustee(BOARD, i) for i in range(1, 4)]
    certs = [c for _, c in made]
    polys = [threshold.make_polynomial(BOARD, s, certs) for s, _ in made]
    return [s for s, _ in made], certs, polys


def _secrets_json(s: threshold.TrusteeSecrets) -> dict[str, str]:
    return {
        "signing_key": group.scalar_to_text(s.signing_key),
        "decryption_key": group.scalar_to_text(s.decryption_key),
    }


def test_every_key_generation_message_is_the_same_bytes_with_the_same_randomness(
    inject: Any,
) -> None:
    # Certificate: the signing key, the decryption key, the signature's w.
    scalars = _scalars(3, "cert")
    left, _ = inject(scalars)
    secrets, cert = threshold.new_trustee(BOARD, 2)
    assert left == []
    js = run_js("new_trustee", {"board": BOARD_JSON, "index": 2}, scalars)
    assert js["certificate"] == certificate_to_json(cert)
    assert js["secrets"] == _secrets_json(secrets)


def test_the_polynomial_and_the_verification_key_are_the_same_bytes(inject: Any) -> None:
    all_secrets, certs, polys = _python_ceremony()
    mine = all_secrets[1]
    certs_json = [certificate_to_json(c) for c in certs]
    # k coefficients, k proofs, (r, s, nonce) per recipient, the signature.
    scalars = _scalars(2 + 2 + 3 * 2 + 1, "poly")
    nonces = [hashlib.sha256(f"n{i}".encode()).digest()[:24] for i in range(3)]
    left, left_nonces = inject(scalars, nonces)
    poly = threshold.make_polynomial(BOARD, mine, certs)
    assert left == [] and left_nonces == []
    js = run_js(
        "make_polynomial",
        {"board": BOARD_JSON, "index": 2, "secrets": _secrets_json(mine), "certs": certs_json},
        scalars,
        nonces,
    )
    assert js == polynomial_to_json(poly)
    # The verification key, from the Python polynomials with this one in place.
    polys[1] = poly
    w = _scalars(1, "vk")
    inject(w)
    share, vk = threshold.complete_key(BOARD, mine, certs, polys)
    js = run_js(
        "complete_key",
        {
            "board": BOARD_JSON,
            "index": 2,
            "secrets": _secrets_json(mine),
            "certs": certs_json,
            "polys": [polynomial_to_json(p) for p in polys],
        },
        w,
    )
    assert js["verificationKey"] == verification_key_to_json(vk)
    assert js["share"] == group.scalar_to_text(share.secret)


def test_a_tampered_polynomial_is_refused_naming_its_dealer() -> None:
    all_secrets, certs, polys = _python_ceremony()
    polys_json = [polynomial_to_json(p) for p in polys]
    # Dealer 3 sends trustee 1 a share for someone else: re-encrypting is beyond a test, so swap
    # trustee 1's encrypted share with trustee 2's (the signature then fails first).
    polys_json[2]["shares"][0], polys_json[2]["shares"][1] = (
        polys_json[2]["shares"][1],
        polys_json[2]["shares"][0],
    )
    with pytest.raises(AssertionError, match="trustee 3"):
        run_js(
            "complete_key",
            {
                "board": BOARD_JSON,
                "index": 1,
                "secrets": _secrets_json(all_secrets[0]),
                "certs": [certificate_to_json(c) for c in certs],
                "polys": polys_json,
            },
        )


def test_a_whole_ceremony_in_javascript_assembles_in_python_and_decrypts() -> None:
    board: dict[str, Any] = {
        **BOARD_JSON,
        "state": "keygen",
        "public_key": None,
        "replaces": None,
        "dealings": [],
        "trustees": [
            {"index": i, "certificate": None, "polynomial": None, "verification_key": None}
            for i in range(1, 4)
        ],
    }
    files: dict[int, Any] = {}
    for _round in range(3):
        for i in range(1, 4):
            out = run_js("next_step", {"board": board, "index": i, "file": files.get(i)})
            files[i] = out["file"]
            step = out["next"].get("step")
            assert step, out["next"]
            board["trustees"][i - 1][step] = out["next"]["message"]
    certs = [certificate_from_json(t["certificate"]) for t in board["trustees"]]
    polys = [polynomial_from_json(t["polynomial"]) for t in board["trustees"]]
    vks = [verification_key_from_json(t["verification_key"]) for t in board["trustees"]]
    params = threshold.assemble_board(BOARD, certs, polys, vks)
    board["state"], board["public_key"] = "ready", group.point_to_text(params.public_key)
    shares = []
    for i in (1, 3):
        out = run_js("next_step", {"board": board, "index": i, "file": files[i]})
        assert out["next"] == {"done": True}
        file = ShareFile.from_json(out["file"])
        assert file.secrets is None and file.public_key == params.public_key
        assert file.share is not None
        shares.append(file.share)
    # The files the browser wrote decrypt a tally Python verifies and combines.
    question = ballot.Question.yes_no("q1")
    answers = [
        ballot.seal_ballot(params.public_key, "fed/election/1", [question], [s])[0].answers[0]
        for s in ([1, 0], [1, 0], [0, 1])
    ]
    tally = ballot.encrypted_tally(answers, question)
    context = Context("fed/election/1", "q1", params.public_key)
    groups = [
        {
            "election": "fed/election/1",
            "question": "q1",
            "ciphertexts": [
                [group.point_to_text(c.alpha), group.point_to_text(c.beta)] for c in tally
            ],
        }
    ]
    partials = [
        factors_from_json(partials_for(s, params.public_key, groups)["groups"][0], s.index, "p")
        for s in shares
    ]
    assert threshold.combine(context, params, list(tally), partials, DiscreteLog(3)) == [2, 1]


@pytest.mark.parametrize("with_key", [True, False])
def test_the_paper_backup_is_the_same_text_and_reads_back(with_key: bool) -> None:
    share = threshold.KeyShare(2, _scalars(1, "share")[0])
    key = group.base_mul(_scalars(1, "key")[0]) if with_key else None
    file = ShareFile("sindicato-ñandú/trustees/7f3a", 3, 5, 2, share=share, public_key=key)
    js = run_js("paper_backup", {"file": file.to_json()})
    assert js == paper_backup(file)
    back = from_paper(js)
    assert back.share == share and back.public_key == key


def test_a_new_trustee_of_a_reshared_board_gets_the_same_share_and_the_key_stays(
    inject: Any,
) -> None:
    from asamblea.crypto import reshare
    from asamblea.record.entries.trustees import dealing_to_json

    old_secrets, old_certs, old_polys = _python_ceremony()
    old_done = [threshold.complete_key(BOARD, s, old_certs, old_polys) for s in old_secrets]
    old = threshold.assemble_board(BOARD, old_certs, old_polys, [vk for _, vk in old_done])
    new = BoardContext("fed/trustees/new", 2, 3)
    made = [threshold.new_trustee(new, i) for i in range(1, 4)]
    certs = [c for _, c in made]
    dealings = [reshare.deal(new, BOARD.board_id, old_done[i][0], certs) for i in (0, 2)]
    board = {
        "board": new.board_id,
        "k": 2,
        "n": 3,
        "state": "keygen",
        "public_key": None,
        "replaces": {
            "id": 1,
            "board": BOARD.board_id,
            "k": 2,
            "n": 3,
            "public_key": group.point_to_text(old.public_key),
            "verification_keys": [verification_key_to_json(vk) for _, vk in old_done],
        },
        "dealings": [dealing_to_json(d) for d in dealings],
        "trustees": [
            {
                "index": i,
                "certificate": certificate_to_json(c),
                "polynomial": None,
                "verification_key": None,
            }
            for i, c in enumerate(certs, start=1)
        ],
    }
    secrets = made[1][0]
    file = {
        "format": "asamblea-trustee/v1",
        "board": new.board_id,
        "k": 2,
        "n": 3,
        "index": 2,
        "secrets": _secrets_json(secrets),
        "sent": {"certificate": certificate_to_json(certs[1])},
        "share": None,
        "public_key": None,
    }
    w = _scalars(1, "reshare")
    inject(w + _scalars(2, "others"))  # the others' proofs draw after this trustee's
    old_keys = {vk.index: vk.public for _, vk in old_done}
    share, vk = reshare.complete_reshare(new, secrets, certs, BOARD.board_id, 2, old_keys, dealings)
    js = run_js("next_step", {"board": board, "index": 2, "file": file}, w)
    assert js["next"]["step"] == "verification_key"
    assert js["next"]["message"] == verification_key_to_json(vk)
    assert js["file"]["share"] == group.scalar_to_text(share.secret)
    # With the other new trustees' keys, the new board assembles under the OLD joint key.
    others = [
        reshare.complete_reshare(new, made[i][0], certs, BOARD.board_id, 2, old_keys, dealings)[1]
        for i in (0, 2)
    ]
    params = reshare.assemble_reshared(
        new,
        certs,
        BOARD.board_id,
        2,
        old_keys,
        old.public_key,
        dealings,
        [others[0], verification_key_from_json(js["next"]["message"]), others[1]],
    )
    assert params.public_key == old.public_key
    # Too few dealings: the new trustee waits for the old board.
    board["dealings"] = board["dealings"][:1]
    file["sent"] = {"certificate": certificate_to_json(certs[1])}
    waiting = run_js("next_step", {"board": board, "index": 2, "file": file})
    assert waiting["next"] == {"waiting": [], "waitingStep": "dealing"}
