"""The board's public page, the trustee's own page and proposing a board (two officers)."""

from __future__ import annotations

import html
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from asamblea.core import approvals
from asamblea.core.action import System
from asamblea.core.errors import ActionError
from asamblea.registry.models import Member, OfficerRole
from asamblea.trustees.actions.boards import do_create_board
from asamblea.trustees.models import Trustee, TrusteeBoard
from fixtures.trustees import make_board, make_trustee_user

pytestmark = pytest.mark.django_db


def printed_commands(page: str) -> list[list[str]]:
    """The ``asamblea trustee ...`` commands a page prints, split as a shell would."""
    found = re.findall(r'<pre class="canonical">(asamblea trustee [^<]*)</pre>', page)
    return [shlex.split(html.unescape(text)) for text in found]


def run_printed(monkeypatch: Any, token: str, words: list[str]) -> int:
    """Run a printed command exactly as printed, through ``asamblea``'s own parser; the server
    it names is the test server, reached in-process (test_api_and_cli.ClientServer)."""
    from test_api_and_cli import ClientServer

    from asamblea import cli
    from asamblea.commands import trustee

    assert words[:2] == ["asamblea", "trustee"], words
    named: list[str] = []

    def server(args: Any) -> Any:
        named.append(args.server)
        return ClientServer(token)

    monkeypatch.setattr(trustee, "make_server", server)
    code = cli.main(words[1:])
    assert named and set(named) == {"http://testserver"}, named
    return code


def test_board_page_is_public_and_says_what_k_and_n_mean(org: Any) -> None:
    board, _shares = make_board(org, k=3, n=5)
    page = Client().get(f"/trustees/{board.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Any 3 of the 5 trustees together can decrypt a total." in text
    assert "2 or fewer trustees cannot decrypt anything" in text
    assert "3 trustees refusing or unavailable can stop a vote from being decided" in text
    assert "3 days" in text
    assert "<script" not in text.replace('type="application/json"', "")
    es = Client().get(f"/trustees/{board.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cualquier" in es and "Junta de custodios" in es
    assert Client().get("/trustees/").status_code == 200
    assert Client().get("/trustees/99999/").status_code == 404


def test_trustee_page_lists_steps_and_says_it_needs_the_command_line(org: Any, unit: Any) -> None:
    users = [make_trustee_user(org, unit) for _ in range(2)]
    board = do_create_board(System("test"), org, unit=None, k=2, n=2, trustees=users)
    anonymous = Client().get("/trustees/me/")
    assert anonymous.status_code == 302
    client = Client()
    client.force_login(users[0])
    text = client.get("/trustees/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"asamblea trustee --server http://testserver step --board {board.pk}" in text
    assert "publish your certificate" in text
    assert "command line or with JavaScript" in text
    assert f'id="trustee-params-{board.pk}"' in text


def test_the_step_command_the_page_prints_runs_as_printed(
    org: Any, unit: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from test_api_and_cli import token_for

    users = [make_trustee_user(org, unit) for _ in range(2)]
    board = do_create_board(System("test"), org, unit=None, k=2, n=2, trustees=users)
    client = Client()
    client.force_login(users[0])
    [command] = printed_commands(client.get("/trustees/me/").content.decode())
    monkeypatch.chdir(tmp_path)
    assert run_printed(monkeypatch, token_for(users[0]), command) == 0
    mine = Trustee.objects.get(board=board, user=users[0])
    assert mine.certificate, "the printed step published the certificate"
    assert (tmp_path / command[command.index("--share") + 1]).exists()


def test_proposing_a_board_needs_a_registrar_and_a_second_officer(org: Any, unit: Any) -> None:
    from django.contrib.auth import get_user_model

    registrar = get_user_model().objects.create_user("reg", password="x")
    officer = get_user_model().objects.create_user("off", password="x")
    OfficerRole.objects.create(user=registrar, organisation=org, role="registrar")
    OfficerRole.objects.create(user=officer, organisation=org, role="election_officer")
    trustees = [make_trustee_user(org, unit) for _ in range(3)]
    ids = "\n".join(Member.objects.get(user=u).public_id for u in trustees)
    stranger = Client()
    stranger.force_login(trustees[0])
    assert stranger.get("/trustees/new/").status_code == 403
    client = Client()
    client.force_login(registrar)
    preview = client.post(
        "/trustees/new/",
        {"organisation": org.slug, "k": "2", "n": "3", "trustees": ids, "preview": "1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Any 2 of the 3 trustees" in preview.content.decode()
    bad = client.post(
        "/trustees/new/",
        {"organisation": org.slug, "k": "1", "n": "3", "trustees": ids, "propose": "1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400 and "at least 2" in bad.content.decode()
    done = client.post(
        "/trustees/new/",
        {"organisation": org.slug, "k": "2", "n": "3", "trustees": ids, "propose": "1"},
    )
    assert done.status_code == 200
    assert TrusteeBoard.objects.count() == 0
    approval = approvals.pending_for(officer, org.pk)[0]
    with pytest.raises(approvals.Forbidden):
        approvals.check_approve(registrar, approval.pk, fresh_code=None, factor_checked=True)
    with pytest.raises(ActionError):  # a trustee may not approve their own seat (not found)
        approvals.check_approve(trustees[0], approval.pk, fresh_code=None, factor_checked=True)
    approvals.check_approve(officer, approval.pk, fresh_code=None, factor_checked=True)
    board = TrusteeBoard.objects.get()
    assert board.state == "keygen" and (board.k, board.n) == (2, 3)
    assert [t.user for t in Trustee.objects.filter(board=board)] == trustees
    assert OfficerRole.objects.filter(role="trustee", organisation=org).count() == 3


def test_proposing_a_reshare_names_the_board_it_replaces(org: Any, unit: Any) -> None:
    from django.contrib.auth import get_user_model

    old, _shares = make_board(org, k=2, n=3)
    registrar = get_user_model().objects.create_user("reg2", password="x")
    officer = get_user_model().objects.create_user("off2", password="x")
    OfficerRole.objects.create(user=registrar, organisation=org, role="registrar")
    OfficerRole.objects.create(user=officer, organisation=org, role="chair")
    trustees = [make_trustee_user(org, unit) for _ in range(2)]
    ids = "\n".join(Member.objects.get(user=u).public_id for u in trustees)
    client = Client()
    client.force_login(registrar)
    form = {"organisation": org.slug, "k": "2", "n": "2", "trustees": ids, "propose": "1"}
    wrong = client.post("/trustees/new/", {**form, "replaces": "999999"})
    assert wrong.status_code == 400
    done = client.post("/trustees/new/", {**form, "replaces": str(old.pk)})
    assert done.status_code == 200
    approval = approvals.pending_for(officer, org.pk)[0]
    assert "resharing" in approvals.describe(approval)
    approvals.check_approve(officer, approval.pk, fresh_code=None, factor_checked=True)
    new = TrusteeBoard.objects.get(replaces=old)
    assert new.state == "keygen"
    # An old trustee now has a step: deal, once every new certificate is in (not yet).
    from asamblea.trustees import queries

    old_trustee = Trustee.objects.get(board=old, index=1)
    assert queries.pending_steps(old_trustee) == []


def test_an_old_trustee_sees_the_deal_step_and_an_overdue_decryption(org: Any, unit: Any) -> None:
    import datetime as dt

    from asamblea.crypto.threshold import new_trustee
    from asamblea.record.entries.trustees import certificate_to_json
    from asamblea.trustees.actions.keygen import check_publish
    from asamblea.trustees.models import DecryptionRequest
    from asamblea.trustees.queries import board_context
    from fixtures.trustees import make_request

    old, _shares = make_board(org, k=2, n=3)
    users = [make_trustee_user(org, unit) for _ in range(2)]
    new = do_create_board(System("t"), org, unit=None, k=2, n=2, trustees=users, replaces=old)
    for i, u in enumerate(users, start=1):
        check_publish(
            u, new.pk, "certificate", certificate_to_json(new_trustee(board_context(new), i)[1])
        )
    request = make_request(old, subject="test:1:tally")
    DecryptionRequest.objects.filter(pk=request.pk).update(
        deadline_at=request.requested_at - dt.timedelta(hours=1)
    )
    client = Client()
    client.force_login(Trustee.objects.get(board=old, index=1).user)
    text = client.get("/trustees/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"asamblea trustee --server http://testserver deal --board {new.pk}" in text
    assert "overdue" in text and "asamblea trustee --server http://testserver decrypt" in text
    # Both commands parse as printed (--server before the action: argparse's parent option).
    from asamblea.cli import build_parser

    for words in printed_commands(text):
        args = build_parser().parse_args(words[1:])
        assert args.server == "http://testserver" and args.action in {"deal", "decrypt"}
    board_page = Client().get(f"/trustees/{old.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "overdue: until k trustees post" in board_page
