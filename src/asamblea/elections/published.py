"""A closed vote's published ballots and tracking codes, read one bounded page at a time.

Shared by the election's page, the API and the CLI. Pages are keyset pages: a page starts after
the last key of the one before (``after``) or ends before the first key of the one after
(``before``), so the thousandth page of a million ballots costs what the first one costs, where an
``OFFSET`` would read and throw away every row before it. The keys:

- ballots by their id, a random UUID given when the close rewrites them (never a cast order), in
  the order of the primary key;
- tracking codes by the code itself, unique per election (its unique index serves the order).

A cursor is only a key, so a cursor typed by hand shows where that key would be and nothing more.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from asamblea.core.errors import ActionError
from asamblea.elections.models import Ballot, Election, Participation, TrackingCode

# As queries.PUBLISHED (which imports this module): what is public once the vote closed.
PUBLISHED_STATES = (Election.State.CLOSED, Election.State.COUNTED, Election.State.CERTIFIED)

# The most rows one page of the API holds; the pages of the site hold fewer.
PAGE_MAX = 1000
# ``offset`` is still read, for the first pages only: past this many rows it would grow with the
# election (a 400 names the parameter and says to follow ``next``).
OFFSET_MAX = 10_000
_CODE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,43}$")


@dataclass(frozen=True)
class Page:
    """One page of keys in order, and whether pages exist on either side of it."""

    items: list[Any]
    first: str | None
    last: str | None
    has_previous: bool
    has_next: bool


def check_limit(limit: int, *, most: int = PAGE_MAX) -> int:
    if not 1 <= limit <= most:
        raise ActionError(f"limit must be between 1 and {most:,}", field="limit")
    return limit


def check_offset(offset: int | None, after: str | None) -> int:
    if offset is None or offset == 0:
        return 0
    if after:
        raise ActionError("give either after or offset, not both", field="offset")
    if not 0 <= offset <= OFFSET_MAX:
        raise ActionError(
            f"offset may be at most {OFFSET_MAX:,}: follow the page's next link (after=) "
            "to read further",
            field="offset",
        )
    return offset


def ballot_key(text: str | None, field: str = "after") -> uuid.UUID | None:
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ActionError(
            "not a ballot cursor: copy it from a page's next link", field=field
        ) from None


def code_key(text: str | None, field: str = "after") -> str | None:
    if not text:
        return None
    if not _CODE_KEY.match(text):
        raise ActionError(
            "not a tracking-code cursor: copy it from a page's next link", field=field
        )
    return text


def ballots(election: Election, *, after: str | None, limit: int, offset: int = 0) -> Page:
    """Ballot contents (canonical JSON text) in id order, ``limit`` of them after ``after``."""
    key = ballot_key(after)
    rows = Ballot.objects.filter(election=election)
    if key is not None:
        rows = rows.filter(id__gt=key)
    found = list(rows.order_by("id").values_list("id", "content")[offset : offset + limit + 1])
    shown = found[:limit]
    return Page(
        items=[content for _id, content in shown],
        first=shown[0][0].hex if shown else None,
        last=shown[-1][0].hex if shown else None,
        has_previous=key is not None or offset > 0,
        has_next=len(found) > limit,
    )


def tracking_codes(
    election: Election,
    *,
    after: str | None = None,
    before: str | None = None,
    limit: int,
    offset: int = 0,
) -> Page:
    """Tracking codes in order, ``limit`` of them after ``after`` (or before ``before``)."""
    rows = TrackingCode.objects.filter(election=election)
    end = code_key(before, "before")
    if end is not None and not after:
        found = list(
            rows.filter(code__lt=end).order_by("-code").values_list("code", flat=True)[: limit + 1]
        )
        shown = found[:limit][::-1]
        return Page(
            items=shown,
            first=shown[0] if shown else None,
            last=shown[-1] if shown else None,
            has_previous=len(found) > limit,
            has_next=True,
        )
    start = code_key(after)
    if start is not None:
        rows = rows.filter(code__gt=start)
    found = list(rows.order_by("code").values_list("code", flat=True)[offset : offset + limit + 1])
    shown = found[:limit]
    return Page(
        items=shown,
        first=shown[0] if shown else None,
        last=shown[-1] if shown else None,
        has_previous=start is not None or offset > 0,
        has_next=len(found) > limit,
    )


# The counts of a closed vote, kept: they cannot change once the vote is closed (its rows were
# rewritten at close), and counting a million rows costs a second a request. Keyed by the state
# and the close time, so a later state (or a vote closed again in a fresh database) counts anew.
COUNTS_SECONDS = 24 * 3600


def _kept_count(election: Election, what: str, count: Any) -> int:
    if election.state not in PUBLISHED_STATES or election.closed_at is None:
        return int(count())
    key = f"published-count:{what}:{election.pk}:{election.state}:{election.closed_at.timestamp()}"
    kept = cache.get(key)
    if kept is None:
        kept = int(count())
        cache.set(key, kept, COUNTS_SECONDS)
    return int(kept)


def count_ballots(election: Election) -> int:
    return _kept_count(election, "ballots", Ballot.objects.filter(election=election).count)


def count_tracking_codes(election: Election) -> int:
    return _kept_count(election, "codes", TrackingCode.objects.filter(election=election).count)


def count_voters(election: Election) -> int:
    return _kept_count(election, "voters", Participation.objects.filter(election=election).count)


# A sealed ballot's hash typed in the wrong case is looked for among the codes that begin with
# one of the case variants of its first few characters: at most 2**CASE_PREFIX prefixes, each an
# index range holding about N / 64**CASE_PREFIX codes, where comparing every code of the vote
# regardless of case (``iexact``) reads all of them.
CASE_PREFIX = 3


def _prefix_is_a_range() -> bool:
    """Whether the codes sharing a prefix are one index range: in SQLite's byte order and under
    PostgreSQL's C collations. (PostgreSQL uses an index for ``LIKE 'abc%'`` only under "C"
    itself, not "C.UTF-8"; under a language's collation neither holds, and a prefix search
    reads the vote's codes.)"""
    from django.db import connection

    if connection.vendor == "sqlite":
        return True
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        row = cur.fetchone()
    return bool(row) and str(row[0]).split(".")[0] in ("C", "POSIX")


def find_code(election: Election, forms: list[str]) -> str | None:
    """The published tracking code among ``forms`` (``asamblea.web.codes.search_forms``, most
    likely first): exactly, then a 43-character hash regardless of case. Reads a bounded number
    of rows whatever the size of the vote (with PostgreSQL's "C" collation, where a prefix is an
    index range; under another collation a prefix search reads the vote's codes)."""
    from django.db.models import Q

    codes = TrackingCode.objects.filter(election=election)
    found = codes.filter(code__in=forms).values_list("code", flat=True).first()
    if found is not None or not forms:
        return found
    as_ranges = None
    for form in forms:
        if len(form) != 43:
            continue
        if as_ranges is None:
            as_ranges = _prefix_is_a_range()
        prefixes = {""}
        for char in form[:CASE_PREFIX]:
            prefixes = {p + c for p in prefixes for c in {char.lower(), char.upper()}}
        wanted = Q()
        for prefix in sorted(prefixes):
            if as_ranges:
                following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                wanted |= Q(code__gte=prefix, code__lt=following)
            else:
                wanted |= Q(code__startswith=prefix)
        for code in codes.filter(wanted).values_list("code", flat=True)[:10_000]:
            if code.upper() == form.upper():
                return str(code)
    return None


# --- where a sealed vote's ballots are on the record --------------------------------------------

# The head of an entry read to find its small fields or its first ballot (never the whole entry).
HEAD_CHARS = 20_000
_ELECTION_FIELD = re.compile(r'"election":(\d+)[,}]')


@dataclass(frozen=True)
class OnRecord:
    """A sealed vote's close on the record: the ``election_closed`` v2 entry's index, and the
    indexes of its ``ballots_published`` chunks in chunk order (empty when they cannot be told
    apart from another vote's)."""

    close: int
    chunks: list[int]


def _heads(rows: Any, chars: int = HEAD_CHARS) -> Any:
    from django.db.models.functions import Substr

    return rows.defer("canonical").annotate(head=Substr("canonical", 1, chars))


def on_record(election: Election, *, with_chunks: bool = True) -> OnRecord | None:
    """Where this sealed vote's close and ballot chunks are on the record, from a bounded number
    of entry heads (the entries of its body's closes), or None (a plaintext vote, not closed)."""
    from asamblea.recordstore.models import RecordEntry

    closes = _heads(
        RecordEntry.objects.filter(
            organisation_id=election.organisation_id,
            body_id=election.body_id,
            entry_type="election_closed",
            version=2,
        ).order_by("-index"),
        1_000,
    )[:100]
    close = next(
        (
            row
            for row in closes
            if (m := _ELECTION_FIELD.search(row.head)) and int(m.group(1)) == election.pk
        ),
        None,
    )
    if close is None:
        return None
    if not with_chunks:
        return OnRecord(close=close.index, chunks=[])
    chunks = int(json.loads(close.head).get("chunks", 0))
    found = list(
        RecordEntry.objects.filter(
            organisation_id=election.organisation_id,
            body_id=election.body_id,
            entry_type="ballots_published",
            index__lt=close.index,
        )
        .order_by("-index")
        .values_list("index", flat=True)[:chunks]
    )[::-1]
    # The close writes its chunks just before it; should another vote's be among them, say
    # nothing rather than something wrong (checked on the first and the last).
    if len(found) != chunks or not all(
        _chunk_fields(election, i) == (n, chunks)
        for n, i in ((0, found[0]), (chunks - 1, found[-1]))
        if found
    ):
        found = []
    return OnRecord(close=close.index, chunks=found)


def _chunk_fields(election: Election, index: int) -> tuple[int, int] | None:
    """A chunk's ``chunk`` and ``chunks`` if it is one of this vote's (from its tail)."""
    from django.db.models.functions import Right

    from asamblea.recordstore.models import RecordEntry

    tail = (
        RecordEntry.objects.filter(organisation_id=election.organisation_id, index=index)
        .annotate(tail=Right("canonical", 600))
        .values_list("tail", flat=True)
        .first()
    ) or ""
    fields = dict(re.findall(r'"(chunk|chunks|election)":(\d+)[,}]', tail))
    if int(fields.get("election", -1)) != election.pk:
        return None
    return int(fields.get("chunk", -1)), int(fields.get("chunks", -1))


def _first_code(election: Election, index: int) -> str | None:
    """The tracking code of a chunk's first ballot: the hash of its canonical bytes, which are
    a slice of the entry's (RFC 8785 writes a nested object as it writes it alone)."""
    from asamblea.crypto.group import b64encode
    from asamblea.recordstore.models import RecordEntry

    row = _heads(
        RecordEntry.objects.filter(organisation_id=election.organisation_id, index=index)
    ).first()
    head = row.head if row is not None else ""
    start = head.find('"ballots":[{')
    if start < 0:
        return None
    start += len('"ballots":[')
    try:
        _ballot, end = json.JSONDecoder().raw_decode(head, start)
    except ValueError:
        return None  # a first ballot longer than the head
    return b64encode(hashlib.sha256(head[start:end].encode()).digest())


def chunk_of(election: Election, code: str) -> tuple[int, int] | None:
    """``(chunk number, its entry's index)`` of the published chunk holding the sealed ballot
    whose tracking code is ``code``: a binary search over the chunks' first codes (chunks hold
    ballots sorted by code), about log2(chunks) entry heads. None when not told."""
    where = on_record(election)
    if where is None or not where.chunks:
        return None
    low, high = 0, len(where.chunks) - 1
    while low < high:
        middle = (low + high + 1) // 2
        first = _first_code(election, where.chunks[middle])
        if first is None:
            return None
        if first <= code:
            low = middle
        else:
            high = middle - 1
    return low, where.chunks[low]
