"""Translated names for the registry's choices (the models keep stable English codes)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KIND = {
    "workplace": _("workplace"),
    "neighbourhood": _("neighbourhood"),
    "peasant_community": _("peasant community"),
    "student_body": _("student body"),
    "other_unit": _("other base unit"),
    "assembly": _("assembly"),
    "committee": _("committee"),
}

VOTING_RULE = {
    "one_delegate_one_vote": _("one delegate, one vote"),
    "weighted": _("weighted by members represented"),
}

SEAT_RULE = {
    "per_n": _("one seat per N members, with a minimum"),
    "largest_remainder": _("largest remainder over a fixed house size"),
    "fixed": _("a fixed number of seats per sending body"),
}

MANDATE_END = {
    "recalled": _("recalled"),
    "resigned": _("resigned"),
    "term_ended": _("term ended"),
    "unit_dissolved": _("unit dissolved"),
    "seat_abolished": _("seat abolished"),
}

MEMBERSHIP_END = {
    "left": _("left"),
    "transferred": _("transferred"),
    "expelled": _("expelled"),
    "unit_dissolved": _("unit dissolved"),
    "died": _("died"),
}

LEVEL = {
    "regional": _("regional"),
    "macro-regional": _("macro-regional"),
    "national": _("national"),
    "student_federation": _("student federation"),
}


def label(table: dict[str, object], code: str) -> str:
    """The translated label, or the code itself for values this table does not know."""
    return str(table.get(code, code))
