"""Sealed votes in a real browser (Debian's chromium) on a 360x740 phone screen.

With JavaScript the ballot is sealed in the page and only the sealed ballot is posted; without
it the server seals. Either way the stored ballot verifies under the election's key and context.
The Benaloh challenge's files pass ``asamblea verify-ballot``. Every cast request of one election
has the same length whatever the choice. Ballot pages stay under 50 KB compressed without
JavaScript and 120 KB with it.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "elections"))
from elections_builders import build_world, decrypt_tally, open_election  # noqa: E402

from asamblea.crypto import ballot as sealed_ballots  # noqa: E402
from asamblea.crypto.group import point_from_text  # noqa: E402
from asamblea.elections import actions, secrecy  # noqa: E402
from asamblea.elections.models import Ballot, Election  # noqa: E402
from asamblea.recordstore.export import export_to_dir  # noqa: E402
from asamblea.rules import ballots as counting  # noqa: E402
from fixtures.chromium import ARGS, CHROMIUM, require_chromium  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
STATIC = Path(__file__).resolve().parents[3] / "src" / "asamblea" / "elections" / "static"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Any:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    secrecy.GUESS_LIMIT.reset()
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are ours.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def new_page(browser: Any, *, javascript: bool) -> Any:
    context = browser.new_context(
        java_script_enabled=javascript,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and "favicon.ico" not in msg.location.get("url", "")
            and page.errors.append(msg.text)
        ),
    )
    page.on("response", lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url}"))
    return page


def cast_posts(page: Any) -> list[dict[str, list[str]]]:
    """Every POST the page sends, parsed (to check what leaves the browser)."""
    posts: list[dict[str, list[str]]] = []
    raw: list[str] = []
    page.raw_posts = raw  # type: ignore[attr-defined]

    def keep(request: Any) -> None:
        if request.method == "POST" and "/vote/" in request.url:
            body = request.post_data or ""
            raw.append(body)
            posts.append(parse_qs(body, keep_blank_values=True))

    page.on("request", keep)
    return posts


def enter_code(page: Any, live_server: Any, election: Election, code: str) -> None:
    page.goto(f"{live_server.url}/elections/{election.pk}/vote/")
    page.fill("#code", secrecy.format_code(code))
    page.click("button[type=submit]")
    page.wait_for_selector("#ballot-form")


def review_in_browser(page: Any) -> str:
    """Click "Review my ballot" and wait for the browser to seal; returns the tracking code."""
    page.wait_for_selector("#ballot-form[data-sealer=ready]", timeout=30_000)
    page.click("#ballot-form button[type=submit]")
    try:
        page.wait_for_selector("#seal-cast:not([disabled])", timeout=30_000)
    except Exception as exc:
        raise AssertionError(
            f"not sealed: {page.errors}, {page.url}\n{page.content()[-3000:]}"  # type: ignore[attr-defined]
        ) from exc
    return str(page.inner_text("#seal-code"))


def stored_ballot(election: Election) -> sealed_ballots.SealedBallot:
    election.refresh_from_db()
    content = Ballot.objects.get(election=election).content
    sealed = sealed_ballots.ballot_from_json(json.loads(content))
    question = counting.sealed_question(
        election.method, [c.key for c in election.candidates.all()], election.rules
    )
    sealed_ballots.verify_ballot(
        point_from_text(election.public_key), election.seal_id, [question], sealed
    )
    return sealed


def _published_ballots(path: Path) -> list[str]:
    """The sealed ballots a record export's file publishes, as canonical JSON."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("type") == "ballots_published":
            out += [
                sealed_ballots.canonical_bytes(sealed_ballots.ballot_from_json(b)).decode()
                for b in entry["ballots"]
            ]
    return out


def test_with_javascript_the_choice_never_leaves_the_browser(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    world = build_world(5)
    election, codes = open_election(world, method="plurality", candidates=3)
    assert election.is_sealed
    chosen = world.members[1]
    page = new_page(browser, javascript=True)
    posts = cast_posts(page)
    enter_code(page, live_server, election, codes[world.members[4].pk])
    page.check(f"input[name=choice][value='{chosen.public_id}']")
    shown = review_in_browser(page)
    assert chosen.display_name in page.inner_text("#seal-choices")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "vote-sealed-review-js.png"), full_page=True)
    page.click("#seal-cast")
    page.wait_for_selector("#tracking-code")
    page.screenshot(path=str(SHOTS / "vote-sealed-receipt-js.png"), full_page=True)
    receipt = page.inner_text("#tracking-code")
    assert page.errors == []  # type: ignore[attr-defined]
    # The code the page showed before casting is the receipt's, and the stored ballot's.
    assert receipt == shown
    sealed = stored_ballot(election)
    assert re.sub(r"\s", "", receipt) == sealed_ballots.tracking_code(sealed)
    # What was posted: the code, then only the sealed ballot; never the candidate's key.
    cast = posts[-1]
    assert set(cast) == {"csrfmiddlewaretoken", "step", "code", "sealed", "key"}
    assert all(chosen.public_id not in body for body in page.raw_posts[1:])  # type: ignore[attr-defined]
    assert "choice=" not in "".join(page.raw_posts)  # type: ignore[attr-defined]
    # On the record: close, the trustees decrypt, count; the export verifies offline, every
    # proof of the browser's ballot checked, and its tracking code is among the published ones.
    actions.do_close_election(world.officers[0], election)
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    election.refresh_from_db()
    assert election.result["winners"] == [chosen.public_id]
    export_to_dir(world.org, tmp_path / "record")
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "asamblea.cli", "verify", str(tmp_path / "record")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    published = [
        ballot
        for line in (tmp_path / "record").rglob("*")
        if line.is_file() and line.suffix in (".jsonl", ".json")
        for ballot in _published_ballots(line)
    ]
    assert sealed_ballots.canonical_bytes(sealed).decode() in published


def test_without_javascript_the_server_seals_and_the_page_says_so(
    browser: Any, live_server: Any
) -> None:
    world = build_world(5)
    election, codes = open_election(
        world, method="approval", candidates=3, rules={"max_choices": 2}
    )
    page = new_page(browser, javascript=False)
    enter_code(page, live_server, election, codes[world.members[3].pk])
    assert "Without JavaScript the server seals your ballot" in page.inner_text("main")
    assert not page.is_visible("#seal-review")
    page.screenshot(path=str(SHOTS / "vote-sealed-ballot-nojs.png"), full_page=True)
    page.check(f"input[name=approve][value='{world.members[0].public_id}']")
    page.check(f"input[name=approve][value='{world.members[2].public_id}']")
    page.click("#ballot-form button[type=submit]")
    page.click("button[name=cast]")
    receipt = page.inner_text("#tracking-code")
    sealed = stored_ballot(election)
    assert re.sub(r"\s", "", receipt) == sealed_ballots.tracking_code(sealed)


def test_the_benaloh_check_gives_files_verify_ballot_accepts_and_seals_anew(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    world = build_world(5)
    election, codes = open_election(world, method="plurality", candidates=3)
    chosen = world.members[2]
    page = new_page(browser, javascript=True)
    posts = cast_posts(page)
    enter_code(page, live_server, election, codes[world.members[4].pk])
    page.check(f"input[name=choice][value='{chosen.public_id}']")
    spoilt_code = review_in_browser(page)
    page.click("#seal-review summary")
    page.click("#seal-check-button")
    page.wait_for_selector("#seal-check:not([hidden])")
    text = page.inner_text("#seal-check")
    assert "proves nothing" in text
    page.screenshot(path=str(SHOTS / "vote-sealed-check-js.png"), full_page=True)
    with page.expect_download() as ballot_download:
        page.click("#seal-ballot-download")
    with page.expect_download() as opening_download:
        page.click("#seal-opening-download")
    ballot_download.value.save_as(tmp_path / "ballot.json")
    opening_download.value.save_as(tmp_path / "opening.json")
    spoilt = page.input_value("#seal-ballot-text")
    assert (tmp_path / "ballot.json").read_text().strip() == spoilt
    election.refresh_from_db()
    done = subprocess.run(  # noqa: S603 - our own command
        [
            sys.executable,
            "-m",
            "asamblea.cli",
            "verify-ballot",
            str(tmp_path / "ballot.json"),
            str(tmp_path / "opening.json"),
            "--public-key",
            election.public_key,
            "--election",
            election.seal_id,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"q1: {chosen.display_name}" in done.stdout
    # The spoilt ballot was never sent (the only post so far is the code's); a new one is
    # sealed, with another tracking code.
    assert len(posts) == 1
    page.click("#seal-again")
    page.wait_for_selector("#seal-cast:not([disabled])", timeout=30_000)
    fresh_code = page.inner_text("#seal-code")
    assert fresh_code != spoilt_code
    page.click("#seal-cast")
    page.wait_for_selector("#tracking-code")
    assert page.inner_text("#tracking-code") == fresh_code
    sealed = stored_ballot(election)
    assert sealed_ballots.canonical_bytes(sealed).decode() != spoilt
    assert Ballot.objects.filter(election=election).count() == 1
    assert sealed_ballots.tracking_code(sealed) == re.sub(r"\s", "", fresh_code)
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_ranked_ballot_is_sealed_in_the_browser_and_its_check_names_the_ranking(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    from asamblea.crypto import ranked

    world = build_world(5)
    election, codes = open_election(world, method="irv", candidates=3)
    first, second = world.members[2], world.members[0]
    page = new_page(browser, javascript=True)
    posts = cast_posts(page)
    enter_code(page, live_server, election, codes[world.members[4].pk])
    page.select_option(f"select[name=rank_{first.public_id}]", "1")
    page.select_option(f"select[name=rank_{second.public_id}]", "2")
    review_in_browser(page)
    review = page.inner_text("#seal-choices")
    assert re.search(rf"1\.\s*{first.display_name}", review)
    assert re.search(rf"2\.\s*{second.display_name}", review)
    page.click("#seal-review summary")
    page.click("#seal-check-button")
    (tmp_path / "ballot.json").write_text(page.input_value("#seal-ballot-text"))
    (tmp_path / "opening.json").write_text(page.input_value("#seal-opening-text"))
    election.refresh_from_db()
    done = subprocess.run(  # noqa: S603 - our own command
        [
            sys.executable,
            "-m",
            "asamblea.cli",
            "verify-ballot",
            str(tmp_path / "ballot.json"),
            str(tmp_path / "opening.json"),
            "--public-key",
            election.public_key,
            "--election",
            election.seal_id,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"q1: 1. {first.display_name}\nq1: 2. {second.display_name}\n" in done.stdout
    page.click("#seal-again")
    page.wait_for_selector("#seal-cast:not([disabled])", timeout=30_000)
    page.click("#seal-cast")
    page.wait_for_selector("#tracking-code")
    assert page.errors == []  # type: ignore[attr-defined]
    assert set(posts[-1]) == {"csrfmiddlewaretoken", "step", "code", "sealed", "key"}
    content = Ballot.objects.get(election=election).content
    stored = ranked.ranking_from_json(json.loads(content))
    question = ranked.RankedQuestion("q1", 3, 3)
    ranked.verify_ranking(point_from_text(election.public_key), election.seal_id, question, stored)
    assert re.sub(r"\s", "", page.inner_text("#tracking-code")) == ranked.tracking_code(stored)


def test_a_recall_vote_sealed_in_browsers_decrypts_to_what_was_marked(
    browser: Any, live_server: Any
) -> None:
    # Yes, no and an abstention, each sealed in a browser: the options are padded to one width
    # in the form (secrecy.OPTION_WIDTH), the sealed ballots all weigh the same, and the
    # decrypted totals are exactly one yes and one no.
    world = build_world(6)
    officer = world.officers[0]
    election = actions.do_create_election(
        officer,
        organisation=world.org,
        unit=world.unit,
        body=world.assembly,
        title="Recall",
        kind="recall",
        method="yesno",
    )
    actions.do_open_nominations(officer, election)
    codes = list(actions.do_open_election(officer, election).printed_codes.values())
    lengths = []
    for code, answer in zip(codes, ("yes", "no", "abstain"), strict=False):
        page = new_page(browser, javascript=True)
        cast_posts(page)
        enter_code(page, live_server, election, code)
        page.check(f"input[name=vote][value^={answer}]")
        review_in_browser(page)
        shown = page.inner_text("#seal-choices") if page.is_visible("#seal-choices") else ""
        if answer == "abstain":
            assert page.is_visible("#seal-blank")
        else:
            assert shown.startswith({"yes": "Yes", "no": "No"}[answer])
        page.click("#seal-cast")
        page.wait_for_selector("#tracking-code")
        assert page.errors == []  # type: ignore[attr-defined]
        lengths.append(len(page.raw_posts[-1]))  # type: ignore[attr-defined]
        page.context.close()
    assert len(set(lengths)) == 1, lengths
    actions.do_close_election(officer, election)
    decrypt_tally(world, election)
    assert election.totals == [{"question": "q1", "totals": [1, 1]}]


@pytest.mark.slow
def test_every_sealed_cast_request_of_an_election_has_the_same_length(
    browser: Any, live_server: Any
) -> None:
    # A blank ballot, one candidate, two candidates: the sealed ballot has one length by
    # construction (every point and scalar is 43 characters), so the cast request does too.
    world = build_world(6)
    election, codes = open_election(
        world, method="approval", candidates=3, rules={"max_choices": 3}
    )
    marks: list[list[int]] = [[], [0], [1, 2], [0, 1, 2]]
    lengths = []
    for member, marked in zip(world.members[2:], marks, strict=True):
        page = new_page(browser, javascript=True)
        cast_posts(page)
        enter_code(page, live_server, election, codes[member.pk])
        for i in marked:
            page.check(f"input[name=approve][value='{world.members[i].public_id}']")
        review_in_browser(page)
        page.click("#seal-cast")
        page.wait_for_selector("#tracking-code")
        lengths.append(len(page.raw_posts[-1]))  # type: ignore[attr-defined]
        page.context.close()
    assert Ballot.objects.filter(election=election).count() == len(marks)
    assert len(set(lengths)) == 1, lengths


def _compressed(page: Any, url: str) -> int:
    body = page.request.get(url).body()
    return len(gzip.compress(body, compresslevel=9))


def _module_closure(entry: Path) -> list[Path]:
    """The ES module files a module imports, transitively (relative imports only)."""
    pattern = re.compile(r"""(?:from|import)\s*["'](\.[^"']+)["']""")
    seen: list[Path] = []
    todo = [entry.resolve()]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        text = path.read_text(encoding="utf-8")
        # Skip the imports written in comments (usage examples in the vendored files).
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("*"))
        todo += [(path.parent / spec).resolve() for spec in pattern.findall(code)]
    return seen


def test_ballot_pages_stay_small_with_and_without_javascript(
    browser: Any, live_server: Any
) -> None:
    world = build_world(5)
    election, codes = open_election(world, method="plurality", candidates=3)
    page = new_page(browser, javascript=True)
    loaded: list[str] = []
    page.on("requestfinished", lambda r: loaded.append(r.url))
    enter_code(page, live_server, election, codes[world.members[4].pk])
    page.wait_for_load_state("networkidle")
    html = len(gzip.compress(page.content().encode(), compresslevel=9))
    others = sorted({u for u in loaded if u.endswith((".css", ".js"))})
    scripts = [u for u in others if u.endswith(".js")]
    styles = [u for u in others if u.endswith(".css")]
    without_js = html + sum(_compressed(page, u) for u in styles)
    with_js = without_js + sum(_compressed(page, u) for u in scripts)
    # The browser loaded exactly the sealer's import graph, nothing fetched from elsewhere.
    expected = {
        p.relative_to(STATIC).as_posix() for p in _module_closure(STATIC / "elections" / "seal.js")
    }
    assert {u.split("/static/", 1)[1] for u in scripts} == expected
    assert all(u.startswith(live_server.url) for u in others)
    print(f"ballot page: {without_js:,} bytes compressed without JavaScript, {with_js:,} with")
    assert without_js < 50_000
    assert with_js < 120_000
