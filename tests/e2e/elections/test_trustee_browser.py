"""A trustee decrypts a closed vote's tally in a real browser (Debian's chromium, 360x740): the
share file is picked from the trustee's disk and never sent; two trustees' partial decryptions,
made in their browsers, decrypt the totals and the vote counts."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "elections"))
import test_sealing_browser as sealing_tests  # noqa: E402
from elections_builders import build_world, open_election  # noqa: E402

from asamblea.crypto.group import base_mul, point_from_text, point_to_text  # noqa: E402
from asamblea.elections import actions  # noqa: E402
from asamblea.trustees.models import DecryptionRequest, Trustee  # noqa: E402
from asamblea.trustees.sharefile import ShareFile, paper_backup  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium as the sealing tests start it (Debian's, headless, no downloads).
browser = sealing_tests.browser
new_page, SHOTS = sealing_tests.new_page, sealing_tests.SHOTS


def signed_in_page(browser: Any, live_server: Any, user: Any) -> Any:
    client = Client()
    client.force_login(user)
    page = new_page(browser, javascript=True)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    return page


def test_two_trustees_decrypt_a_tally_in_their_browsers(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    world = build_world(6)
    election, codes = open_election(world, method="plurality", candidates=3)
    keys = actions.candidate_keys(election)
    for code, choice in zip(codes.values(), [keys[1], keys[1], keys[2], None], strict=False):
        actions.check_cast(election, code, {"choice": choice}, secrets.token_urlsafe(24))
    actions.do_close_election(world.officers[0], election)
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:tally")
    board = world.board
    for share in world.shares[1:]:
        trustee = Trustee.objects.get(board=board, index=share.index)
        user = get_user_model().objects.get(pk=trustee.user_id)
        file = ShareFile(
            board.uid,
            board.k,
            board.n,
            share.index,
            share=share,
            public_key=point_from_text(board.public_key),
        )
        path = tmp_path / f"trustee-{share.index}.json"
        path.write_text(json.dumps(file.to_json()))
        page = signed_in_page(browser, live_server, user)
        sent: list[str] = []
        page.on(
            "request", lambda r, sent=sent: r.method == "POST" and sent.append(r.post_data or "")
        )
        page.goto(f"{live_server.url}/trustees/me/")
        page.wait_for_selector(".trustee-decrypt")
        page.set_input_files(".trustee-share-file", str(path))
        page.click(".trustee-decrypt")
        page.wait_for_selector(f".trustee-log li:has-text('{request.pk}')", timeout=60_000)
        page.wait_for_selector(
            ".trustee-log li:has-text('Posted'), .trustee-log li:has-text('It did not work')",
            timeout=60_000,
        )
        log = page.inner_text(".trustee-log")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"trustee-decrypt-{share.index}.png"), full_page=True)
        assert "Posted your partial decryption" in log, log
        assert page.errors == []  # type: ignore[attr-defined]
        if share.index == 3:
            # The paper backup of the same file, shown to print: what `trustee backup` prints.
            page.click(".trustee-backup summary")
            page.set_input_files(".trustee-backup-file", str(path))
            page.click(".trustee-backup-show")
            page.wait_for_selector(".trustee-backup-text:not([hidden])")
            assert page.inner_text(".trustee-backup-text").strip() == paper_backup(file).strip()
            page.screenshot(path=str(SHOTS / "trustee-backup.png"), full_page=True)
        # The share itself was never posted.
        secret_text = file.to_json()["share"]
        assert sent and all(secret_text not in body for body in sent)
        page.context.close()
    request.refresh_from_db()
    election.refresh_from_db()
    assert request.state == "completed"
    assert election.totals == [{"question": "q1", "totals": [0, 2, 1]}]
    actions.do_count_election(world.officers[0], election)
    election.refresh_from_db()
    assert election.result["winners"] == [keys[1]]


@pytest.mark.slow
def test_three_trustees_make_a_board_key_in_their_browsers(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    from asamblea.core.action import System
    from asamblea.core.clock import now
    from asamblea.registry.models import Member
    from asamblea.trustees.actions.boards import do_create_board
    from asamblea.trustees.models import TrusteeBoard

    world = build_world(3)
    users = []
    for i in range(1, 4):
        user = get_user_model().objects.create_user(
            username=f"keygen-trustee-{i}", password=f"pw-keygen-{i}-trustee"
        )
        Member.objects.create(
            organisation=world.org,
            member_ref=f"keygen-{i}",
            display_name=f"Trustee {i}",
            user=user,
            created_at=now(),
        )
        users.append(user)
    board = do_create_board(System("test"), world.org, unit=None, k=2, n=3, trustees=users)
    files = {i: tmp_path / f"trustee-{i}.json" for i in range(1, 4)}
    for step in ("certificate", "polynomial", "verification_key"):
        for i, user in enumerate(users, start=1):
            page = signed_in_page(browser, live_server, user)
            page.goto(f"{live_server.url}/trustees/me/")
            page.wait_for_selector(".trustee-prepare")
            if step != "certificate":
                page.set_input_files(".trustee-share-file", str(files[i]))
            page.click(".trustee-prepare")
            page.wait_for_selector(".trustee-save:not([hidden])", timeout=60_000)
            with page.expect_download() as download:
                page.click(".trustee-download")
            download.value.save_as(files[i])
            page.click(".trustee-send")
            page.wait_for_selector(".trustee-log li:has-text('Sent')", timeout=60_000)
            if step == "polynomial" and i == 1:
                page.screenshot(path=str(SHOTS / "trustee-keygen-step.png"), full_page=True)
            assert page.errors == []  # type: ignore[attr-defined]
            page.context.close()
    board.refresh_from_db()
    assert board.state == TrusteeBoard.State.READY
    key = point_from_text(board.public_key)
    for i in range(1, 4):
        share = ShareFile.from_json(json.loads(files[i].read_text()))
        assert share.share is not None and share.secrets is None
        trustee = Trustee.objects.get(board=board, index=i)
        assert group_text(share.share.secret) == trustee.verification_key["public"]
    assert key


def group_text(secret: int) -> str:
    return point_to_text(base_mul(secret))
