"""Template filters of the assemblies' pages: amounts, rules in words and labels. Times are shown
through the site's ``when`` filter (asamblea_web), in the organisation's time zone."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.assemblies import presentation

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
