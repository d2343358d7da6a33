"""Times in the organisation's zone, numbers with separators, states and issues in words."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import template
from django.utils.formats import number_format

from asamblea.console import issues

register = template.Library()


def zone_of(organisation: Any) -> dt.tzinfo:
    """The organisation's time zone (its ``time_zone`` setting), UTC when it names none."""
    name = (getattr(organisation, "settings", None) or {}).get("time_zone")
    if not name:
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def zone_name(organisation: Any) -> str:
    """The zone as people say it: "Lima", "La Paz", or "UTC"."""
    zone = zone_of(organisation)
    return "UTC" if zone is dt.UTC else str(zone).rsplit("/", 1)[-1].replace("_", " ")


@register.filter
def local(value: dt.datetime | None, organisation: Any) -> str:
    """``value`` in the organisation's zone, the zone named: "2026-12-07 10:00 Lima"."""
    if value is None:
        return ""
    return f"{value.astimezone(zone_of(organisation)):%Y-%m-%d %H:%M} {zone_name(organisation)}"


@register.filter
def count(value: int | None) -> str:
    """A whole number with the language's thousands separator."""
    if value is None:
        return "–"
    return number_format(value, force_grouping=True)


@register.filter
def state(value: str) -> str:
    return issues.state_name(str(value))


@register.filter
def words(value: str) -> str:
    return issues.in_words(str(value))
