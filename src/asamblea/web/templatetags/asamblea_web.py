"""Filters for registry labels, and the list of languages a catalogue exists for."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.translation import check_for_language, get_language_info

from asamblea.web import labels

register = template.Library()


@register.filter
def kind(code: str) -> str:
    return labels.label(labels.KIND, code)


@register.filter
def level(code: str) -> str:
    return labels.label(labels.LEVEL, code)


@register.filter
def voting_rule(code: str) -> str:
    return labels.label(labels.VOTING_RULE, code)


@register.filter
def seat_rule(code: str) -> str:
    return labels.label(labels.SEAT_RULE, code)


@register.filter
def mandate_end(code: str) -> str:
    return labels.label(labels.MANDATE_END, code)


@register.filter
def membership_end(code: str) -> str:
    return labels.label(labels.MEMBERSHIP_END, code)


@register.simple_tag
def available_languages() -> list[dict[str, str]]:
    """Declared languages that have a catalogue: dropping one into locale/ makes it appear here."""
    out = []
    for code, _name in settings.LANGUAGES:
        if code == settings.LANGUAGE_CODE or check_for_language(code):
            info = get_language_info(code)
            out.append({"code": code, "name": info["name_local"]})
    return out
