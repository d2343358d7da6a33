"""Translated names for the registry's choices (the models keep stable English codes)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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

ELECTION_KIND = {
    "delegates": _("delegate election"),
    "by_election": _("by-election"),
    "recall": _("recall vote"),
    "instruction": _("instruction vote"),
}

ELECTION_STATE = {
    "draft": _("draft"),
    "nominations": _("nominations"),
    "open": pgettext_lazy("a vote", "open"),
    "closed": pgettext_lazy("a vote", "closed"),
    "counted": _("counted"),
    "certified": _("certified"),
}

PETITION_STATE = {
    "open": _("collecting signatures"),
    "voting": _("recall vote open"),
    "meeting": _("awaiting the general meeting's result"),
    "passed": pgettext_lazy("a recall", "passed"),
    "failed": pgettext_lazy("a recall", "failed"),
    "expired": pgettext_lazy("a recall petition", "expired"),
}

METHOD = {
    "plurality": _("plurality (one mark)"),
    "approval": _("approval"),
    "irv": _("instant runoff"),
    "stv-scottish": _("single transferable vote (Scottish rules)"),
    "stv-wigm": _("single transferable vote (weighted inclusive Gregory)"),
    "stv-meek": _("single transferable vote (Meek)"),
    "schulze": _("Schulze"),
    "yesno": _("yes or no"),
    "instruction": _("instruction (for, against, abstain, free)"),
}

ANSWER = {
    "yes": pgettext_lazy("an answer", "Yes"),
    "no": pgettext_lazy("an answer", "No"),
    "abstain": _("Abstain"),
    "for": pgettext_lazy("an instruction", "For"),
    "against": pgettext_lazy("an instruction", "Against"),
    "free": pgettext_lazy("an instruction", "Free vote"),
}


def label(table: dict[str, object], code: str) -> str:
    """The translated label, or the code itself for values this table does not know."""
    return str(table.get(code, code))
