"""A record entry as a page that does not grow with the entry: a summary and one page of items.

An entry can be large: a published chunk of sealed ballots is up to a megabyte, a plaintext
vote's ``election_closed`` v1 carries every ballot and tracking code (133 MB at a million
voters). Its page never pretty-prints it whole. What it shows:

- a small entry (``SMALL_CHARS`` or less): whole, pretty and as its canonical bytes;
- a larger one up to ``PAGED_MAX_BYTES``: its small fields, the length of each list, and one page
  of one list's items (at most ``ITEMS_PER_PAGE`` items and about ``PAGE_CHARS`` characters);
- a larger one still: its size and its first ``HEAD_CHARS`` characters, read by the database
  without the rest (parsing it would cost a second and a gigabyte per request).

Every large entry links to its canonical bytes, streamed (:func:`canonical_parts`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Func, IntegerField
from django.db.models.functions import Substr

from asamblea.recordstore.models import RecordEntry

SMALL_CHARS = 16_000
PAGED_MAX_BYTES = 16_000_000
HEAD_CHARS = 4_000
ITEMS_PER_PAGE = 50
PAGE_CHARS = 60_000
# A field longer than this (as compact JSON) is summarised, not shown.
FIELD_CHARS = 2_000
# The canonical bytes are streamed in slices of this many characters, one query each.
SLICE_CHARS = 1_000_000


class OctetLength(Func):
    """The stored size in bytes. On PostgreSQL ``octet_length`` of a stored (TOASTed) value reads
    its header only, where ``length`` would decompress it to count characters."""

    function = "OCTET_LENGTH"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="LENGTH(CAST(%(expressions)s AS BLOB))", **extra
        )


def entry_meta(organisation: Any, index: int) -> RecordEntry | None:
    """The entry without its text, with ``size`` (bytes) and ``head`` (its first characters)."""
    return (
        RecordEntry.objects.select_related("body")
        .defer("canonical")
        .annotate(size=OctetLength("canonical"), head=Substr("canonical", 1, SMALL_CHARS + 1))
        .filter(organisation=organisation, index=index)
        .first()
    )


def canonical_text(entry: RecordEntry) -> str:
    return str(RecordEntry.objects.filter(pk=entry.pk).values_list("canonical", flat=True).get())


def canonical_parts(entry: RecordEntry) -> Iterator[bytes]:
    """The entry's canonical bytes in slices (bounded memory whatever its size)."""
    start = 1
    while True:
        part = (
            RecordEntry.objects.filter(pk=entry.pk)
            .annotate(part=Substr("canonical", start, SLICE_CHARS))
            .values_list("part", flat=True)
            .get()
        )
        if part:
            yield part.encode("utf-8")
        if len(part or "") < SLICE_CHARS:
            return
        start += SLICE_CHARS


@dataclass
class ListField:
    name: str
    length: int


@dataclass
class ItemPage:
    field: str
    start: int
    items: list[tuple[int, str]] = field(default_factory=list)
    length: int = 0
    truncated: bool = False

    @property
    def end(self) -> int:
        """The number of the last item shown, counting from 1 (0 when none)."""
        return self.start + len(self.items)

    @property
    def has_next(self) -> bool:
        return self.end < self.length

    @property
    def previous_start(self) -> int:
        return max(0, self.start - ITEMS_PER_PAGE)


@dataclass
class Summary:
    """What the page shows of a large entry."""

    small: list[tuple[str, str]]  # (field, its compact JSON)
    large: list[tuple[str, int]]  # (field, its size in characters) of non-list fields
    lists: list[ListField]
    page: ItemPage | None


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def summarise(data: Any, list_name: str | None, start: int) -> Summary:
    """A summary of a parsed entry and one page of the items of its list ``list_name`` (the
    first long list when not given) from item ``start`` (from 0)."""
    if not isinstance(data, dict):
        return Summary([], [("", len(_compact(data)))], [], None)
    small: list[tuple[str, str]] = []
    large: list[tuple[str, int]] = []
    lists: list[ListField] = []
    for key in sorted(data):
        value = data[key]
        text = _compact(value)
        if len(text) <= FIELD_CHARS:
            small.append((key, text))
        elif isinstance(value, list):
            lists.append(ListField(key, len(value)))
        else:
            large.append((key, len(text)))
    names = [item.name for item in lists]
    chosen = list_name if list_name in names else (names[0] if names else None)
    page = None
    if chosen is not None:
        items = data[chosen]
        start = max(0, min(start, len(items)))
        page = ItemPage(field=chosen, start=start, length=len(items))
        used = 0
        for number in range(start, min(len(items), start + ITEMS_PER_PAGE)):
            text = json.dumps(items[number], ensure_ascii=False, sort_keys=True, indent=1)
            if page.items and used + len(text) > PAGE_CHARS:
                break
            if len(text) > PAGE_CHARS:
                text, page.truncated = text[:PAGE_CHARS] + "…", True
            page.items.append((number + 1, text))
            used += len(text)
    return Summary(small, large, lists, page)
