"""The ceremony and a decryption end to end through the API, driven by ``asamblea trustee``
(each trustee with their own token and share file), and the API's refusals."""

from __future__ import annotations

import argparse
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from trustees_helpers import COMPLETED, request_for

from asamblea.commands import UsageError
from asamblea.commands import trustee as cli
from asamblea.core.action import System
from asamblea.registry import actions as registry_actions
from asamblea.trustees.actions.boards import do_create_board
from asamblea.trustees.models import DecryptionPartial, Trustee, TrusteeBoard
from fixtures.trustees import make_board, make_trustee_user

pytestmark = pytest.mark.django_db


def token_for(user: Any) -> str:
    token, _row = registry_actions.do_create_api_token(None, user, label="test")
    return str(token)


class ClientServer:
    """``cli.Server`` over Django's test client: the real API, in-process."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str) -> Any:
        return self._answer(self.client.get(f"/api{path}", **self.headers))

    def post(self, path: str, body: Any) -> Any:
        response = self.client.post(
            f"/api{path}", json.dumps(body), content_type="application/json", **self.headers
        )
        return self._answer(response)

    def _answer(self, response: Any) -> Any:
        if response.status_code >= 400:
            raise UsageError(f"the server refused ({response.status_code}): {response.json()}")
        return response.json()


def _run(monkeypatch: Any, token: str, *argv: str) -> int:
    monkeypatch.setattr(cli, "make_server", lambda args: ClientServer(token))
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    return cli.run(parser.parse_args(list(argv)))


def test_ceremony_and_decryption_through_the_cli(
    org: Any, unit: Any, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    users = [make_trustee_user(org, unit) for _ in range(3)]
    board = do_create_board(System("test"), org, unit=None, k=2, n=3, trustees=users)
    tokens = [token_for(u) for u in users]
    files = [tmp_path / f"share-{i}.json" for i in range(3)]
    # Three rounds: certificate, polynomial, verification key; each trustee runs `step`.
    for _ in range(3):
        for token, share in zip(tokens, files, strict=True):
            assert (
                _run(monkeypatch, token, "step", "--board", str(board.pk), "--share", str(share))
                == 0
            )
    board.refresh_from_db()
    assert board.state == TrusteeBoard.State.READY
    for share in files:
        assert stat.S_IMODE(os.stat(share).st_mode) == 0o600
        saved = json.loads(share.read_text())
        assert saved["share"] is not None and saved["secrets"] is None
    # Trustee 2 waits before the first round is complete? No: the board is ready, step says so.
    assert (
        _run(monkeypatch, tokens[0], "step", "--board", str(board.pk), "--share", str(files[0]))
        == 0
    )
    assert "the board is ready" in capsys.readouterr().out
    request = request_for(board, ("q1", [3, 9]))
    assert _run(monkeypatch, tokens[2], "decrypt", "--share", str(files[2])) == 0
    assert COMPLETED == []
    # Offline: the request to a file, the partial made from it, then sent.
    req_file, part_file = tmp_path / "request.json", tmp_path / "partial.json"
    assert _run(monkeypatch, tokens[0], "request", str(request.pk), "--out", str(req_file)) == 0
    assert (
        _run(
            monkeypatch,
            tokens[0],
            "decrypt",
            "--share",
            str(files[0]),
            "--request-file",
            str(req_file),
            "--out",
            str(part_file),
        )
        == 0
    )
    assert COMPLETED == []
    assert (
        _run(monkeypatch, tokens[0], "send-partial", "--request", str(request.pk), str(part_file))
        == 0
    )
    assert [(request.pk, [[3, 9]])] == COMPLETED


def test_offline_step_writes_a_message_that_send_delivers(
    org: Any, unit: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    users = [make_trustee_user(org, unit) for _ in range(2)]
    board = do_create_board(System("test"), org, unit=None, k=2, n=2, trustees=users)
    token = token_for(users[1])
    board_file, msg, share = tmp_path / "board.json", tmp_path / "m.json", tmp_path / "s.json"
    assert _run(monkeypatch, token, "board", str(board.pk), "--out", str(board_file)) == 0
    args = ("step", "--board-file", str(board_file), "--share", str(share), "--index", "2")
    assert _run(monkeypatch, token, *args, "--out", str(msg)) == 0
    assert _run(monkeypatch, token, "send", "--board", str(board.pk), str(msg)) == 0
    assert Trustee.objects.get(board=board, index=2).certificate is not None


def test_paper_backup_restores_the_share(
    org: Any, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    from asamblea.trustees import sharefile

    board, shares = make_board(org, k=2, n=3)
    path = tmp_path / "s.json"
    sharefile.save(path, sharefile.ShareFile(board.uid, 2, 3, 1, share=shares[0]))
    assert _run(monkeypatch, "", "backup", "--share", str(path)) == 0
    paper = capsys.readouterr().out
    restored = sharefile.from_paper(paper)
    assert restored.share == shares[0] and restored.board == board.uid
    lines = paper.splitlines()
    typo = lines[1][:6] + ("A" if lines[1][6] != "A" else "B") + lines[1][7:]
    with pytest.raises(sharefile.ShareFileError, match="line 2"):
        sharefile.from_paper("\n".join([lines[0], typo, *lines[2:]]))


def test_api_refusals(org: Any, unit: Any) -> None:
    board, shares = make_board(org, k=2, n=3)
    request = request_for(board, ("q1", [1]))
    body = json.dumps({"groups": []})
    anonymous = Client().post(
        f"/api/trustees/requests/{request.pk}/partial", body, content_type="application/json"
    )
    assert anonymous.status_code == 401
    stranger = token_for(make_trustee_user(org, unit))
    forbidden = Client().post(
        f"/api/trustees/requests/{request.pk}/partial",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {stranger}",
    )
    assert forbidden.status_code == 403
    missing = Client().post(
        f"/api/trustees/requests/{request.pk + 99}/partial",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {stranger}",
    )
    assert missing.status_code == 404
    # A session without the CSRF token is refused even for a real trustee.
    trustee = Trustee.objects.get(board=board, index=1).user
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(trustee)
    no_csrf = browser.post(
        f"/api/trustees/requests/{request.pk}/partial", body, content_type="application/json"
    )
    assert no_csrf.status_code in (401, 403)
    assert DecryptionPartial.objects.count() == 0
    public = Client().get(f"/api/trustees/boards/{board.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert public["state"] == "ready" and len(public["meaning"]) == 4
    assert "Any 2 of the 3 trustees" in public["meaning"][0]
