"""Issue 15 item 4: the pages and API of a closed vote do not grow with the vote.

The election's page shows a count, a search box and one keyset page of tracking codes; the
ballots API pages by cursor; a large record entry is a summary and one page of items, with its
canonical bytes streamed. Each is asserted at N and 2N ballots: the same number of queries and
fewer than 200 KB. The rows are inserted directly (the point is the size of a page, not casting).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elections"))
from elections_builders import build_world  # noqa: E402

from asamblea.core.clock import now  # noqa: E402
from asamblea.elections import actions, published  # noqa: E402
from asamblea.elections import views as election_views  # noqa: E402
from asamblea.elections.models import Ballot, Election, TrackingCode  # noqa: E402
from asamblea.elections.storage import ensure_partitions  # noqa: E402
from asamblea.recordstore import pages  # noqa: E402
from asamblea.recordstore.append import append  # noqa: E402
from asamblea.recordstore.models import RecordEntry  # noqa: E402

pytestmark = pytest.mark.django_db

N = 5_000
MAX_BYTES = 200_000


def sealed_ballot(answers: int = 3) -> dict:
    """A sealed ballot of the real shape and size (crypto.ballot), with random group elements."""
    pool = iter(
        base64.urlsafe_b64encode(secrets.token_bytes(33 * (6 * answers + 4))).decode()[i : i + 43]
        for i in range(0, 44 * (6 * answers + 4), 44)
    )

    def _point() -> str:
        return next(pool)

    return {
        "v": 1,
        "election": "fed/election/1",
        "answers": [
            {
                "question": "q1",
                "choices": [[_point(), _point()] for _ in range(answers)],
                "choice_proofs": [
                    [[_point(), _point()], [_point(), _point()]] for _ in range(answers)
                ],
                "overall_proof": [[_point(), _point()], [_point(), _point()]],
            }
        ],
    }


def _tracking(content: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(content.encode()).digest()).decode()[:43]


def closed_vote(world, n: int, *, title: str = "Delegados a la región") -> Election:  # type: ignore[no-untyped-def]
    election = actions.do_create_election(
        world.officers[0],
        organisation=world.org,
        unit=world.unit,
        body=world.assembly,
        title=title,
        seats=1,
        method="plurality",
    )
    ensure_partitions(election)  # PostgreSQL: the vote's own partitions, as opening makes them
    # Canonical (RFC 8785: sorted keys, no spaces), as stored: the code is the content's hash.
    contents = [
        json.dumps(sealed_ballot(), sort_keys=True, separators=(",", ":")) for _ in range(n)
    ]
    Ballot.objects.bulk_create(
        [Ballot(election=election, content=c) for c in contents], batch_size=1000
    )
    TrackingCode.objects.bulk_create(
        [TrackingCode(election=election, code=_tracking(c)) for c in contents], batch_size=1000
    )
    Election.objects.filter(pk=election.pk).update(state=Election.State.CLOSED, closed_at=now())
    election.refresh_from_db()
    return election


def measure(client, url: str):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return len(queries), body


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return build_world(4)


def test_the_election_page_shows_one_page_of_codes_in_the_same_queries_at_n_and_2n(client, world):
    small = closed_vote(world, N)
    large = closed_vote(world, 2 * N)
    queries_small, body_small = measure(client, f"/elections/{small.pk}/")
    queries_large, body_large = measure(client, f"/elections/{large.pk}/")
    assert queries_small == queries_large
    assert len(body_large) < MAX_BYTES
    # Bytes do not grow either: the page differs only in the codes it happens to show.
    assert abs(len(body_large) - len(body_small)) < 200
    html = body_large.decode()
    # Spanish by default, with its thousands separator (a thin space: "10 000").
    assert re.search(r"10\W000 códigos de seguimiento de las papeletas contadas", html)
    assert len(re.findall(r"<li><code>", html)) == election_views.CODES_PER_PAGE
    assert 'action="/elections/' in html and "/code/" in html  # the search box


def test_following_the_election_pages_next_and_previous_links_visits_every_code_once(client, world):
    election = closed_vote(world, 2 * election_views.CODES_PER_PAGE + 7)
    url = f"/elections/{election.pk}/"
    seen: list[str] = []
    pages_html = []
    next_link: str | None = ""
    while next_link is not None:
        html = client.get(url + next_link).content.decode()
        pages_html.append(html)
        seen += [c.replace(" ", "") for c in re.findall(r"<li><code>([^<]+)</code>", html)]
        found = re.search(r'href="(\?after=[^"#]+)#codes-list" rel="next"', html)
        next_link = found.group(1) if found else None
    # In the database's order (PostgreSQL's collation may sort "-" and "_" apart from Python).
    expected = list(
        TrackingCode.objects.filter(election=election)
        .order_by("code")
        .values_list("code", flat=True)
    )
    assert seen == expected
    assert len(pages_html) == 3
    previous = re.search(r'href="(\?before=[^"#]+)#codes-list" rel="prev"', pages_html[-1])
    assert previous is not None
    back = client.get(url + previous.group(1).replace("&amp;", "&")).content.decode()
    second = [c.replace(" ", "") for c in re.findall(r"<li><code>([^<]+)</code>", back)]
    assert second == expected[election_views.CODES_PER_PAGE : 2 * election_views.CODES_PER_PAGE]
    # A cursor that is no code shows the first page rather than an error.
    assert client.get(url + "?after=%3Cscript%3E").status_code == 200


def test_reading_the_ballots_api_to_the_end_by_its_next_links_returns_each_ballot_once(
    client, world
):
    election = closed_vote(world, N)
    url: str | None = f"/api/elections/{election.pk}/ballots?limit=1000"
    seen: list[str] = []
    while url:
        page = client.get(url).json()
        assert page["count"] == N
        seen += [json.dumps(b, separators=(",", ":")) for b in page["items"]]
        url = page["next"]
    assert len(seen) == N
    assert sorted(seen) == sorted(
        Ballot.objects.filter(election=election).values_list("content", flat=True)
    )


def _last_page_url(client, election: Election) -> str:  # type: ignore[no-untyped-def]
    """The path of the ballots API's last page at the default limit, found from the ids."""
    ids = list(Ballot.objects.filter(election=election).order_by("id").values_list("id", flat=True))
    default = 100
    cursor = ids[(len(ids) - 1) // default * default - 1]
    return f"/api/elections/{election.pk}/ballots?after={cursor.hex}"


def test_the_last_page_of_the_ballots_api_costs_the_same_queries_and_bytes_at_n_and_2n(
    client, world
):
    small = closed_vote(world, N)
    large = closed_vote(world, 2 * N)
    queries_small, body_small = measure(client, _last_page_url(client, small))
    queries_large, body_large = measure(client, _last_page_url(client, large))
    assert queries_small == queries_large
    # Once the vote's count is kept (the first request counts): the vote, the cache, the page.
    assert measure(client, _last_page_url(client, large))[0] <= 4
    assert len(body_large) < MAX_BYTES
    last = json.loads(body_large)
    assert last["next"] is None and len(last["items"]) == 100 and last["count"] == 2 * N
    # The tracking codes' API pages the same way.
    codes = client.get(f"/api/elections/{large.pk}/tracking-codes?limit=1000").json()
    assert len(codes["items"]) == 1000 and codes["next"].endswith(
        f"after={codes['items'][-1]}&limit=1000"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=10001", "offset"),
        ("offset=5&after=00000000000000000000000000000000", "offset"),
        ("limit=1001", "limit"),
        ("limit=0", "limit"),
        ("after=not-a-cursor", "after"),
    ],
)
def test_the_ballots_api_refuses_a_far_offset_or_a_bad_limit_or_cursor_naming_the_parameter(
    client, world, query, field
):
    election = closed_vote(world, 3)
    response = client.get(f"/api/elections/{election.pk}/ballots?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_a_small_offset_still_pages_the_ballots_api_in_the_same_order(client, world):
    election = closed_vote(world, 30)
    first = client.get(f"/api/elections/{election.pk}/ballots?limit=10").json()
    by_offset = client.get(f"/api/elections/{election.pk}/ballots?limit=10&offset=10").json()
    by_cursor = client.get(first["next"]).json()
    assert by_offset["items"] == by_cursor["items"] and len(by_cursor["items"]) == 10


# --- the record's entries ----------------------------------------------------------------------


def closed_entry(world, n: int) -> RecordEntry:  # type: ignore[no-untyped-def]
    """A plaintext vote's close entry (ElectionClosedV1) of ``n`` ballots and codes."""
    payload = {
        "election": 1,
        "voters": n,
        "roll_size": n,
        "tracking_codes": [secrets.token_hex(6).upper() for _ in range(n)],
        "ballots": [{"choice": "Álvarez"} for _ in range(n)],
    }
    with transaction.atomic():
        return append(world.org, "election_closed", 1, payload, body=world.assembly)


def test_a_large_entrys_page_is_a_summary_and_one_page_of_items_at_n_and_2n(client, world):
    small = closed_entry(world, N)
    large = closed_entry(world, 2 * N)
    queries_small, _body = measure(client, f"/record/fed/{small.index}/")
    queries_large, body = measure(client, f"/record/fed/{large.index}/")
    assert queries_small == queries_large
    assert len(body) < MAX_BYTES
    html = body.decode()
    assert re.search(r"10\W000 elementos", html)
    assert re.search(
        rf"<code>ballots</code>: elementos 1 a {pages.ITEMS_PER_PAGE} de 10\W000", html
    )
    assert html.count('<h4 class="item">') == pages.ITEMS_PER_PAGE
    # The other list, from item 9,951: the last 50 items, and no next link.
    tail = client.get(f"/record/fed/{large.index}/?list=tracking_codes&from=9951").content
    assert re.search(
        r"<code>tracking_codes</code>: elementos 9\W951 a 10\W000 de 10\W000", tail.decode()
    )
    assert tail.count(b'<h4 class="item">') == 50 and b'rel="next"' not in tail


def test_an_entry_too_large_to_parse_shows_its_size_and_beginning_only(client, world, monkeypatch):
    entry = closed_entry(world, N)
    monkeypatch.setattr(pages, "PAGED_MAX_BYTES", 50_000)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(f"/record/fed/{entry.index}/").content.decode()
    # The text itself is never fetched whole: only its size and its first characters.
    assert not any('"canonical"' in q["sql"] and "SUBSTR" not in q["sql"].upper() for q in queries)
    assert "Demasiado larga para resumirla" in html and len(html) < 30_000


def test_the_download_streams_the_canonical_bytes_whose_hash_is_the_leaf_hash(
    client, world, monkeypatch
):
    entry = closed_entry(world, 300)
    monkeypatch.setattr(pages, "SLICE_CHARS", 1_000)  # several slices, one of them partial
    response = client.get(f"/record/fed/{entry.index}/entry.json")
    assert response.status_code == 200 and response.streaming
    data = b"".join(response.streaming_content)
    assert data == entry.canonical.encode("utf-8") and "Á".encode() in data
    assert hashlib.sha256(b"\x00" + data).hexdigest() == entry.leaf_hash
    assert client.get(f"/record/fed/{entry.index + 99}/entry.json").status_code == 404


def test_the_entry_list_never_reads_an_entrys_text(client, world):
    closed_entry(world, 50)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/record/?org=fed")
    assert response.status_code == 200 and b"election_closed" in response.content
    assert not any('"canonical"' in q["sql"] for q in queries)


def test_a_small_entry_is_still_shown_whole(client, world):
    entry = closed_entry(world, 3)
    html = client.get(f"/record/fed/{entry.index}/").content.decode()
    assert "RFC 8785" in html and "Descarga la entrada entera" not in html


def test_published_pages_refuse_a_cursor_that_is_no_key():
    with pytest.raises(Exception) as caught:
        published.code_key("<script>")
    assert getattr(caught.value, "field", None) == "after"


def test_a_closed_votes_counts_are_counted_once_then_kept(client, world):
    election = closed_vote(world, 20)
    client.get(f"/elections/{election.pk}/")
    client.get(f"/api/elections/{election.pk}/ballots")
    with CaptureQueriesContext(connection) as queries:
        html = client.get(f"/elections/{election.pk}/").content.decode()
        api = client.get(f"/api/elections/{election.pk}/ballots").json()
    assert "20 códigos de seguimiento" in html and api["count"] == 20
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counts if re.search(r"ballot|trackingcode|participation", sql)]


def test_the_openapi_schema_describes_the_cursor_and_the_next_link(client):
    schema = client.get("/api/openapi.json").json()
    for path in (
        "/api/elections/{election_id}/ballots",
        "/api/elections/{election_id}/tracking-codes",
    ):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert {"after", "limit", "offset"} <= set(params)
        assert "next link" in params["after"]["description"]
        assert "10,000" in params["offset"]["description"]
    pages = schema["components"]["schemas"]["BallotPage"]["properties"]
    assert "next" in pages and "last page" in pages["next"]["description"]


def test_checking_a_code_in_any_case_reads_a_bounded_range_not_every_code(client, world):
    election = closed_vote(world, 300)
    code = TrackingCode.objects.filter(election=election).values_list("code", flat=True)[7]
    url = f"/elections/{election.pk}/code/?code="
    swapped = code.swapcase()
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url + swapped).content.decode()
    assert "Encontrado" in html or "Found" in html, html[-2000:]
    # Never a comparison of every code regardless of case (iexact: UPPER(code) = ... on
    # PostgreSQL, a LIKE on SQLite): only the case variants of a three-character prefix, each an
    # index range.
    sql = " ".join(q["sql"] for q in queries if "trackingcode" in q["sql"])
    assert "UPPER(" not in sql.upper() and " LIKE " not in sql.upper()
    starts = re.findall(r"\"code\" >= '([^']*)'", sql)
    assert len(starts) == 2 ** sum(c.isalpha() for c in swapped[:3])
    assert {s.upper() for s in starts} == {swapped[:3].upper()}
    missing = client.get(url + "Q" * 43).content.decode()
    assert "No encontrado" in missing or "Not found" in missing


def publish_chunks(world, election: Election, per_chunk: int) -> list[RecordEntry]:  # type: ignore[no-untyped-def]
    """The record of a sealed close as ``sealing.close_sealed`` writes it: the ballots sorted by
    tracking code in ``ballots_published`` chunks, then ``election_closed`` v2."""
    contents = sorted(
        Ballot.objects.filter(election=election).values_list("content", flat=True), key=_tracking
    )
    groups = [contents[i : i + per_chunk] for i in range(0, len(contents), per_chunk)]
    with transaction.atomic():
        entries = [
            append(
                world.org,
                "ballots_published",
                1,
                {
                    "election": election.pk,
                    "chunk": n,
                    "chunks": len(groups),
                    "ballots": [json.loads(c) for c in group],
                    "digest": "ab" * 32,
                },
                body=world.assembly,
            )
            for n, group in enumerate(groups)
        ]
        closed = {"election": election.pk, "voters": len(contents), "roll_size": len(contents)}
        payload = {**closed, "ballots": len(contents), "chunks": len(groups), "chain": "cd" * 32}
        entries.append(append(world.org, "election_closed", 2, payload, body=world.assembly))
    return entries


def test_a_found_code_names_its_published_chunk_from_a_few_entry_heads(client, world):
    other = closed_vote(world, 30)  # another vote of the same body, closed before
    publish_chunks(world, other, 10)
    election = closed_vote(world, 95)
    entries = publish_chunks(world, election, 10)
    codes = sorted(TrackingCode.objects.filter(election=election).values_list("code", flat=True))
    for position in (0, 9, 10, 47, 94):
        code = codes[position]
        chunk = position // 10
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/elections/{election.pk}/code/?code={code}").content.decode()
        assert f"bloque {chunk} de las papeletas" in html, (position, html[-1500:])
        assert f'href="/record/fed/{entries[chunk].index}/"' in html
        assert len(queries) <= 16
    page = client.get(f"/elections/{election.pk}/").content.decode()
    assert f'href="/record/fed/{entries[-1].index}/"' in page
    # A plaintext vote's code (or one not found) names no chunk.
    assert (
        "bloque"
        not in client.get(f"/elections/{election.pk}/code/?code={'A' * 43}").content.decode()
    )
