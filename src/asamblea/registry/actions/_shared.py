"""Helpers shared by the registry's actions: the body's record form, bulk writes, chunking."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

from django.db import connection

from asamblea.record.entries.registry import BodyPart
from asamblea.registry.models import Body

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
BULK_BATCH = 500
# Parameters per query stay under SQLite's historical limit of 999.
IN_CHUNK = 900


def timestamp(at: dt.datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (the record's "micro" time format)."""
    if at is None:
        return None
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def body_fields(body: Body) -> dict[str, Any]:
    return {
        "code": body.code,
        "name": body.name,
        "kind": body.kind,
        "level": body.level,
        "region": body.region,
        "seat_rule": body.seat_rule,
        "house_size": body.house_size,
        "voting_rule": body.voting_rule,
    }


def body_payload(body: Body) -> dict[str, Any]:
    """The body as the record shows it (``body_created``)."""
    return BodyPart(**body_fields(body)).to_payload()


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert_rows(model: Any, field_names: list[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT many rows with one prepared statement; values are adapted by the backend's ops.

    Every NOT NULL column without a database default must be given (Django's defaults live in
    Python, not in the schema).
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from models
    params = [
        tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
