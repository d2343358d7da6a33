"""The officers' cycle on the console in a real browser (Debian's chromium, 360x740), with no
shell and no API call by an officer: a fresh organisation whose first two officers the platform
operator granted; 200 members imported from a CSV with one bad row (refused, nothing
written), fixed and imported; rolls frozen; seats apportioned; an IRV election created, 4
members nominated, opened, cards printed through a second officer's approval, members voting on
the member pages, closed, decrypted by k of the trustees in their own browsers (each signs in
with an e-mailed code, opens /trustees/me/ with JavaScript, picks their share file and posts the
partial decryption through the page), counted, certified with the second officer; the winner's
mandate on the body page. The chair's session half of issue 13's cycle is helper G's test.

It runs twice: with JavaScript off everywhere but the trustees' steps (which need it), and
entirely with JavaScript on (members' ballots then sealed in the browser).

Screenshots of each console page go to ``$ASAMBLEA_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from console_world import PASSWORD, code_ahead, fresh_code, fresh_organisation
from django.core import mail
from django.db import OperationalError

from asamblea.core.models import Approval
from asamblea.elections import secrecy
from asamblea.elections.models import Election, Participation
from asamblea.registry.models import Member, Roll
from fixtures.chromium import ARGS, CHROMIUM, PHONE, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HEADER = "unit_code,member_ref,display_name,phone,email,joined_on\n"


def members_csv(bad: bool) -> bytes:
    """200 members over two units; every twentieth has no e-mail (a printed card)."""
    lines = [HEADER]
    for i in range(1, 201):
        unit = "base-1" if i <= 120 else "base-2"
        email = "" if i % 20 == 0 else f"socia{i}@example.org"
        joined = "2022-13-01" if bad and i == 57 else "2022-03-01"
        lines.append(f"{unit},S-{i:04d},Socia {i} Mamani,,{email},{joined}\n")
    return "".join(lines).encode()


class Shots:
    def __init__(self) -> None:
        folder = os.environ.get("ASAMBLEA_SCREENSHOTS")
        self.folder = Path(folder) if folder else None
        self.n = 0

    def __call__(self, page: Any, name: str) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.n += 1
        page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


def sign_in(page: Any, url: str, user: Any, code: str) -> None:
    page.goto(f"{url}/officer/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_token", code)
    page.click("main button[type=submit]")


def fill_code(page: Any, code: str) -> None:
    """Type a code into the page's ``#code`` field; if there is none, say which page it was."""
    try:
        page.wait_for_selector("#code", timeout=15_000)
    except Exception as exc:
        raise AssertionError(
            f"no code field at {page.url}: {page.inner_text('body')[:800]}"
        ) from exc
    page.fill("#code", code)


def post(page: Any, action: str) -> None:
    """Press the button of the form that posts to ``action``."""
    page.click(f'form[action="{action}"] button[type=submit]')


def _partials(request: Any) -> int | None:
    """The request's partial decryptions as this thread sees them, or None while the live
    server's thread holds the table: the test database is SQLite's shared in-memory one, where a
    reader meets a writer's table lock at once (``database table is locked``), not after a wait."""
    try:
        return int(request.partials.count())
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return None


def trustee_decrypts_in_browser(
    browser: Any, url: str, user: Any, share_path: Path, request: Any, before: int
) -> None:
    """A trustee signs in with an e-mailed code, opens /trustees/me/ with JavaScript, picks the
    share file and posts the partial decryption through the page; the share is never sent."""
    member = Member.objects.get(user=user)
    page = browser.new_context(
        java_script_enabled=True,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="es-PE",
    ).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sent: list[str] = []
    page.on("request", lambda r: r.method == "POST" and sent.append(r.post_data or ""))
    outbox = len(mail.outbox)
    page.goto(f"{url}/login/")
    page.fill("#id_email", member.email)
    page.click("main button[type=submit]")
    page.wait_for_selector("#id_code")
    found = None
    for msg in mail.outbox[outbox:]:
        if msg.to == [member.email]:
            found = re.search(r"\b(\d{6,8})\b", msg.subject + " " + msg.body)
    assert found, [m.subject for m in mail.outbox[outbox:]]
    page.fill("#id_code", found.group(1))
    page.click("main button[type=submit]")
    page.goto(f"{url}/trustees/me/")
    page.wait_for_selector(".trustee-decrypt")
    page.set_input_files(".trustee-share-file", str(share_path))
    page.click(".trustee-decrypt")
    page.wait_for_selector(f".trustee-log li:has-text('{request.pk}')", timeout=60_000)
    deadline = time.monotonic() + 60
    seen = _partials(request)
    while seen != before + 1 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        seen = _partials(request)
    assert seen == before + 1, page.inner_text(".trustee-log")
    assert errors == [], errors
    secret = json.loads(share_path.read_text())["share"]
    assert sent and all(secret not in body for body in sent)
    page.context.close()


@pytest.mark.parametrize(
    "javascript", [False, True], ids=["js-off-but-trustees", "js-on-throughout"]
)
def test_officers_run_the_cycle_to_a_certified_mandate_on_a_phone(
    live_server: Any, monkeypatch: Any, tmp_path: Path, javascript: bool
) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    from asamblea.crypto.group import point_from_text
    from asamblea.trustees.models import DecryptionRequest, Trustee
    from asamblea.trustees.sharefile import ShareFile
    from fixtures.trustees import make_board

    secrecy.GUESS_LIMIT.reset()
    fresh = fresh_organisation(units=2, trustees_unit=True)
    board, shares = make_board(fresh.org)
    share_files = {}
    for share in shares:
        file = ShareFile(
            board.uid,
            board.k,
            board.n,
            share.index,
            share=share,
            public_key=point_from_text(board.public_key),
        )
        share_files[share.index] = tmp_path / f"trustee-{share.index}.json"
        share_files[share.index].write_text(json.dumps(file.to_json()))
        trustee = Trustee.objects.get(board=board, index=share.index)
        Member.objects.filter(user_id=trustee.user_id).update(
            email=f"trustee-{share.index}@example.org"
        )
    slug, url = fresh.org.slug, live_server.url
    shot = Shots()
    bad, good = tmp_path / "socias.csv", tmp_path / "socias-corregido.csv"
    bad.write_bytes(members_csv(bad=True))
    good.write_bytes(members_csv(bad=False))
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        phone = {
            "java_script_enabled": javascript,
            "viewport": PHONE,
            "is_mobile": True,
            "has_touch": True,
            "accept_downloads": True,
            "locale": "es-PE",
        }
        page_errors: list[str] = []

        def new_page() -> Any:
            page = browser.new_context(**phone).new_page()
            page.on("pageerror", lambda exc: page_errors.append(f"{page.url}: {exc}"))
            return page

        first, second = new_page(), new_page()

        # The first officer signs in and lands on the console.
        sign_in(first, url, fresh.first, fresh_code(fresh.first))
        assert first.url == f"{url}/console/"
        shot(first, "dashboard")

        # A file with one bad row is refused whole, with the line, and nothing is written.
        first.goto(f"{url}/console/o/{slug}/")
        first.set_input_files("#id_file", str(bad))
        post(first, f"/console/o/{slug}/imports/new")
        errors = first.inner_text(".errors-list")
        assert "58: joined_on:" in errors  # line 58: the header is line 1
        assert (
            Member.objects.filter(organisation=fresh.org, member_ref__startswith="S-").count() == 0
        )
        shot(first, "import-refused")
        first.goto(f"{url}/console/o/{slug}/")
        first.set_input_files("#id_file", str(good))
        post(first, f"/console/o/{slug}/imports/new")
        assert Member.objects.filter(member_ref__startswith="S-").count() == 0
        shot(first, "import-preview")
        first.click('form[action$="/apply"] button')
        assert Member.objects.filter(member_ref__startswith="S-").count() == 200
        shot(first, "import-done")

        # Rolls frozen, seats apportioned with the lot shown.
        for unit in ("base-1", "base-2"):
            first.goto(f"{url}/console/o/{slug}/u/{unit}/")
            post(first, f"/console/o/{slug}/u/{unit}/freeze")
        assert sorted(
            Roll.objects.filter(body__code__startswith="base-").values_list("size", flat=True)
        ) == [80, 120]
        first.goto(f"{url}/console/o/{slug}/b/congreso/seats/")
        assert "sha256:" in first.content()
        shot(first, "seats-preview")
        post(first, f"/console/o/{slug}/b/congreso/seats/apply")
        assert fresh.assembly.seats.filter(abolished_at__isnull=True).count() == 5

        # An IRV election: created, 4 nominated, opened (codes by e-mail).
        first.goto(f"{url}/console/o/{slug}/elections/")
        first.fill("#id_title", "Delegados de la Base 1 al congreso")
        first.select_option("#id_unit", "base-1")
        first.select_option("#id_body", "congreso")
        first.fill("#id_seats", "1")
        first.select_option("#id_method", "irv")
        post(first, f"/console/o/{slug}/elections/new")
        election = Election.objects.get()
        base = f"/console/elections/{election.pk}"
        post(first, f"{base}/step/open-nominations")
        for ref in ("S-0001", "S-0002", "S-0003", "S-0004"):
            first.fill("#id_member_ref", ref)
            post(first, f"{base}/nominate")
        assert election.candidates.count() == 4
        shot(first, "election-nominations")
        post(first, f"{base}/step/open")
        election.refresh_from_db()
        assert election.state == "open", first.inner_text("main")
        assert election.is_sealed, "the unit's board seals the vote"
        shot(first, "election-open")

        # Printed cards: proposed by the first officer, approved by the second, downloaded once.
        post(first, f"{base}/cards")
        proposal = Approval.objects.get(kind="elections.reissue_credentials")
        sign_in(second, url, fresh.second, fresh_code(fresh.second))
        assert second.url == f"{url}/console/", second.inner_text("main")[:500]
        second.goto(f"{url}/approvals/{proposal.pk}/")
        fill_code(second, code_ahead(fresh.second))
        second.click(f'form[action="/approvals/{proposal.pk}/approve"] button')
        proposal.refresh_from_db()
        assert proposal.state == "approved"
        printed = {int(pk): code for pk, code in proposal.result["cards"].items()}
        first.goto(f"{url}{base}/")
        with first.expect_download() as download:
            post(first, f"{base}/cards/{proposal.pk}")
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        proposal.refresh_from_db()
        assert proposal.result is None, "the codes are handed over once, then erased"

        # Members vote on the member pages (two with e-mailed codes, one with a printed card).
        emailed = {}
        for msg in mail.outbox:
            found = re.search(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})\b", msg.body)
            if found and "Votación abierta" in msg.subject:
                emailed[msg.to[0]] = found.group(1)
        cand = {c.member.member_ref: c.member.public_id for c in election.candidates.all()}
        voter = new_page()
        codes = [emailed["socia1@example.org"], emailed["socia3@example.org"]]
        codes.append(secrecy.format_code(next(iter(printed.values()))))
        for n, code in enumerate(codes):
            voter.goto(f"{url}/elections/{election.pk}/vote/")
            fill_code(voter, code)
            voter.click("button[type=submit]")
            top = "S-0002" if n < 2 else "S-0003"
            voter.select_option(f"select[name=rank_{cand[top]}]", "1")
            voter.select_option(f"select[name=rank_{cand['S-0001']}]", "2")
            if javascript:
                # Sealed in the browser: only the sealed ballot is posted.
                voter.wait_for_selector("#ballot-form[data-sealer=ready]", timeout=30_000)
                voter.click("#ballot-form button[type=submit]")
                voter.wait_for_selector("#seal-cast:not([disabled])", timeout=30_000)
                voter.click("#seal-cast")
            else:
                voter.click("button[type=submit]")
                voter.click("button[name=cast]")
            voter.wait_for_selector("#tracking-code")
            assert voter.inner_text("#tracking-code")
        assert Participation.objects.filter(election=election).count() == 3

        # Closed; the trustees decrypt when the vote is sealed; counted; certified by two.
        first.goto(f"{url}{base}/")
        post(first, f"{base}/step/close")
        election.refresh_from_db()
        assert election.state == "closed"
        shot(first, "election-closed")
        # A sealed IRV vote's rankings are first mixed by k trustees in turn, each shuffle
        # proved, from their command line (`asamblea trustee shuffle`: no shuffle in the
        # browser yet, ADR 0015); then decrypted ballot by ballot: k trustees, each in their own
        # browser, until nothing is pending.
        from asamblea.trustees.models import MixRequest
        from fixtures.trustees import shuffle

        for mix in MixRequest.objects.filter(state=MixRequest.State.PENDING):
            shuffle(mix, [share.index for share in shares[1:]])
        decrypted = []
        while pending := list(
            DecryptionRequest.objects.filter(state=DecryptionRequest.State.PENDING)
        ):
            assert len(decrypted) < 3, decrypted
            request = pending[0]
            assert request.subject.startswith(f"election:{election.pk}:"), request.subject
            for n, share in enumerate(shares[1:]):  # k of n: the board is 2 of 3
                trustee = Trustee.objects.get(board=board, index=share.index)
                trustee_decrypts_in_browser(
                    browser, url, trustee.user, share_files[share.index], request, n
                )
            request.refresh_from_db()
            assert request.state == "completed"
            decrypted.append(request.subject)
        assert decrypted, "the sealed vote needed the trustees"
        election.refresh_from_db()
        first.goto(f"{url}{base}/")
        if election.state == "closed":
            post(first, f"{base}/step/count")
        election.refresh_from_db()
        assert election.state == "counted", first.inner_text("main")
        post(first, f"{base}/step/certify")
        certify = Approval.objects.get(kind="elections.certify")
        second.goto(f"{url}/approvals/{certify.pk}/")
        fill_code(second, code_ahead(fresh.second))
        second.click(f'form[action="/approvals/{certify.pk}/approve"] button')
        election.refresh_from_db()
        assert election.state == "certified"
        first.goto(f"{url}{base}/")
        shot(first, "election-certified")

        # The winner's mandate shows on the body's public page.
        winner = Member.objects.get(public_id=election.result["winners"][0])
        assert winner.member_ref == "S-0002"
        first.goto(f"{url}/o/{slug}/b/congreso/")
        assert winner.display_name in first.inner_text("main")
        shot(first, "body-page")
        assert page_errors == []
        browser.close()
