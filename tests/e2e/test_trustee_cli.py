"""``asamblea trustee`` over real HTTP against a live server: two trustees, each with their own
token and share file, make a board's key and decrypt a total; the share never leaves the file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration" / "trustees"))

from asamblea.cli import main  # noqa: E402
from asamblea.core.action import System  # noqa: E402
from asamblea.core.clock import now  # noqa: E402
from asamblea.registry import actions as registry_actions  # noqa: E402
from asamblea.registry.models import Body, Organisation  # noqa: E402
from asamblea.trustees.actions.boards import do_create_board  # noqa: E402
from asamblea.trustees.models import DecryptionRequest, TrusteeBoard  # noqa: E402
from fixtures.trustees import make_request, make_trustee_user  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_trustees_make_a_key_and_decrypt_over_http(
    live_server: Any, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    import trustees_helpers  # noqa: F401  (registers the "test" completion handler)

    org = Organisation.objects.create(slug="cli-org", name="CLI", created_at=now())
    unit = Body.objects.create(
        organisation=org, code="u", name="U", kind=Body.Kind.WORKPLACE, created_at=now()
    )
    users = [make_trustee_user(org, unit) for _ in range(2)]
    board = do_create_board(System("test"), org, unit=None, k=2, n=2, trustees=users)
    tokens = [str(registry_actions.do_create_api_token(None, u, label="t")[0]) for u in users]
    files = [tmp_path / f"share-{i}.json" for i in range(2)]
    server = ["trustee", "--server", live_server.url]
    for _round in range(3):
        for token, share in zip(tokens, files, strict=True):
            monkeypatch.setenv("ASAMBLEA_TOKEN", token)
            assert main([*server, "step", "--board", str(board.pk), "--share", str(share)]) == 0
    board.refresh_from_db()
    assert board.state == TrusteeBoard.State.READY
    request = make_request(board, subject="test:1:tally", values=[4, 0, 1])
    for token, share in zip(tokens, files, strict=True):
        monkeypatch.setenv("ASAMBLEA_TOKEN", token)
        assert main([*server, "decrypt", "--share", str(share)]) == 0
    request.refresh_from_db()
    assert request.state == DecryptionRequest.State.COMPLETED
    out = capsys.readouterr().out
    assert "decrypted" in out
    # A wrong token is refused by the server, and the CLI says so (exit 2).
    monkeypatch.setenv("ASAMBLEA_TOKEN", "not-a-token")
    assert main([*server, "status"]) == 2
    saved = json.loads(files[0].read_text())
    assert saved["share"] and saved["share"] not in out
