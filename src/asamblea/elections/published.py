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

import re
import uuid
from dataclasses import dataclass
from typing import Any

from asamblea.core.errors import ActionError
from asamblea.elections.models import Ballot, Election, TrackingCode

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


def count_ballots(election: Election) -> int:
    return Ballot.objects.filter(election=election).count()


def count_tracking_codes(election: Election) -> int:
    return TrackingCode.objects.filter(election=election).count()
