"""Template filters of the assemblies' pages: amounts, rules in words, labels and local times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from asamblea.assemblies import presentation
from asamblea.assemblies.presentation import zone_of

register = template.Library()


@register.filter
def amount(value: Any) -> str:
    return presentation.amount(value)


@register.filter
def inexact(value: Any) -> bool:
    return presentation.is_inexact(value)


@register.filter
def exact(value: Any) -> str:
    return presentation.exact(value)


@register.filter
def choice(value: str | None) -> str:
    return presentation.choice_label(value)


@register.filter
def status(value: str) -> str:
    return presentation.status_label(value)


@register.filter
def threshold(motion: Any) -> str:
    return presentation.threshold_label(motion)


@register.filter
def resolution_kind(value: str) -> str:
    return presentation.resolution_kind_label(value)


@register.filter
def note(value: str) -> str:
    return presentation.history_note(value)


@register.filter
def local(value: dt.datetime | None, organisation: Any) -> str:
    """``value`` in the organisation's time zone, with the zone named: "2026-12-07 10:00 Lima"."""
    if value is None:
        return ""
    zone = zone_of(organisation)
    shown = value.astimezone(zone)
    label = "UTC" if zone is dt.UTC else str(zone).rsplit("/", 1)[-1].replace("_", " ")
    return f"{shown:%Y-%m-%d %H:%M} {label}"
