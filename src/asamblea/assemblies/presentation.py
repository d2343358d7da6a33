"""How assemblies' numbers and rules read on a page: amounts with separators, rules in words.

Shared by the public pages, the chair's console and the delegates' roll-call page, so that all of
them say one thing the same way. Amounts stay exact everywhere else (``Fraction``); here a weight
is shown as a decimal with the locale's separators, and its exact fraction is offered beside it
when the decimal is not exact. Nothing here decides anything: :mod:`asamblea.rules.divisions`
does, and these sentences describe the comparison it makes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from asamblea.rules.divisions import frac

PLACES = 2


def as_fraction(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if value is None or value == "":
        return Fraction(0)
    return frac(value)


def amount(value: Any) -> str:
    """``1300/3`` as "433,33" (es) or "433.33" (en); whole numbers with no decimals, grouped."""
    exact = as_fraction(value)
    if exact.denominator == 1:
        return number_format(exact.numerator, force_grouping=True)
    rounded = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal(1).scaleb(-PLACES), rounding=ROUND_HALF_EVEN
    )
    return number_format(rounded, decimal_pos=PLACES, force_grouping=True)


def is_inexact(value: Any) -> bool:
    """Whether :func:`amount` rounds ``value`` (then the page offers the exact fraction)."""
    exact = as_fraction(value)
    return exact * 10**PLACES != int(exact * 10**PLACES)


def exact(value: Any) -> str:
    exact_value = as_fraction(value)
    if exact_value.denominator == 1:
        return str(exact_value.numerator)
    return f"{exact_value.numerator}/{exact_value.denominator}"


def fraction_words(value: Fraction) -> str:
    names = {
        Fraction(1, 2): _("half"),
        Fraction(1, 3): _("a third"),
        Fraction(2, 3): _("two thirds"),
        Fraction(3, 4): _("three quarters"),
        Fraction(3, 5): _("three fifths"),
        Fraction(2, 5): _("two fifths"),
        Fraction(1, 4): _("a quarter"),
    }
    return names.get(value, f"{value.numerator}/{value.denominator}")


def _least_above(share: Fraction, whole: Fraction, *, strict: bool) -> Fraction:
    """The least whole number of seats above (strict) or reaching ``share`` × ``whole``."""
    target = share * whole
    return Fraction(math.floor(target) + 1 if strict else math.ceil(target))


def threshold_words(rule: dict[str, Any]) -> str:
    """The motion's threshold in one sentence, with the amount it needs of the legal number."""
    legal = as_fraction(rule.get("legal", 0))
    by_weight = rule.get("basis") == "weight"
    kind = rule.get("threshold")
    if kind == "majority_cast":
        return _("Adopted when more votes are for than against; abstentions are not votes cast.")
    if kind == "quorum":
        return _(
            "Adopted when the votes cast, abstentions included, reach the quorum and more are"
            " for than against."
        )
    if kind == "absolute_majority":
        share, strict, name = Fraction(1, 2), True, _("half")
    else:
        share = as_fraction(rule.get("fraction", "2/3"))
        strict, name = False, fraction_words(share)
    if by_weight:
        words = {"share": name, "legal": amount(legal), "need": amount(share * legal)}
        if strict:
            return (
                _(
                    "Adopted when the weight for is more than %(share)s of all the weight"
                    " (%(legal)s), present or not: more than %(need)s."
                )
                % words
            )
        return (
            _(
                "Adopted when the weight for reaches %(share)s of all the weight (%(legal)s),"
                " present or not: %(need)s or more."
            )
            % words
        )
    need = _least_above(share, legal, strict=strict)
    words = {"share": name, "legal": amount(legal), "need": amount(need)}
    if strict:
        return (
            _(
                "Adopted with more than %(share)s of all %(legal)s seats voting for, present or"
                " not: %(need)s or more."
            )
            % words
        )
    return (
        _(
            "Adopted with at least %(share)s of all %(legal)s seats voting for, present or not:"
            " %(need)s or more."
        )
        % words
    )


def quorum_need(rule: dict[str, Any]) -> tuple[Fraction, bool]:
    """(amount, strict): present must be more than (strict) or at least the amount."""
    legal = as_fraction(rule.get("legal", 0))
    share = as_fraction(rule.get("quorum", "1/2"))
    strict = bool(rule.get("quorum_strict", True))
    if rule.get("basis") == "weight":
        return share * legal, strict
    return _least_above(share, legal, strict=strict), False


def quorum_words(rule: dict[str, Any]) -> str:
    legal = as_fraction(rule.get("legal", 0))
    share = as_fraction(rule.get("quorum", "1/2"))
    need, strict = quorum_need(rule)
    words = {"share": fraction_words(share), "legal": amount(legal), "need": amount(need)}
    if rule.get("basis") == "weight":
        if strict:
            return (
                _(
                    "Quorum: more than %(share)s of all the weight (%(legal)s) present: more than"
                    " %(need)s."
                )
                % words
            )
        return (
            _("Quorum: %(share)s of all the weight (%(legal)s) present: %(need)s or more.") % words
        )
    if bool(rule.get("quorum_strict", True)):
        return (
            _("Quorum: more than %(share)s of the %(legal)s seats present: %(need)s or more.")
            % words
        )
    return _("Quorum: %(share)s of the %(legal)s seats present: %(need)s or more.") % words


def is_quorate_now(rule: dict[str, Any], present: Any) -> bool:
    need, strict = quorum_need(rule)
    have = as_fraction(present)
    return have > need if strict else have >= need


def mandate_words(mode: str) -> str:
    return {
        "report": _("A vote against the unit's instruction is flagged as a deviation."),
        "bound": _("Delegates may only vote as their unit instructed."),
        "recall": _(
            "A vote against the unit's instruction is flagged and opens a recall petition."
        ),
    }.get(mode, mode)


def choice_label(choice: str | None) -> str:
    return {
        "for": pgettext("in favour", "For"),
        "against": _("Against"),
        "abstain": _("Abstain"),
        "free": _("Free"),
    }.get(choice or "", "—")


def status_label(status: str) -> str:
    return {
        "pending": _("pending"),
        "partly_met": _("partly met"),
        "met": _("met"),
        "dropped": _("dropped"),
        "scheduled": _("scheduled"),
        "open": _("open"),
        "closed": _("closed"),
        "proposed": _("proposed"),
        "adopted": _("adopted"),
        "rejected": _("rejected"),
        "withdrawn": _("withdrawn"),
    }.get(status, status)


def zone_of(organisation: Any) -> dt.tzinfo:
    """The organisation's time zone (its setting), UTC when it has none or names no zone."""
    name = getattr(organisation, "time_zone", None) or (
        (getattr(organisation, "settings", None) or {}).get("time_zone")
    )
    if not name:
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def threshold_label(motion: Any) -> str:
    """A motion's threshold by name (the model's labels are English), with its fraction."""
    names = {
        "majority_cast": _("majority of votes cast"),
        "absolute_majority": _("absolute majority of the seats"),
        "qualified": _("qualified majority of the legal number"),
        "quorum": _("majority of votes cast, with a quorum voting"),
    }
    text = names.get(motion.threshold, motion.threshold)
    if motion.threshold == "qualified":
        text += f" ({motion.threshold_num}/{motion.threshold_den})"
    return text


def history_note(note: str) -> str:
    """A resolution's history note; the one the adoption writes ("adopted") in words."""
    return _("adopted") if note == "adopted" else note


def resolution_kind_label(kind: str) -> str:
    return {"demand": _("demand"), "strike_call": _("strike call"), "march": _("march")}.get(
        kind, kind
    )


_SEAT_REFUSALS = (
    (re.compile(r"^seat \d+: this seat has already voted$"), "voted"),
    (re.compile(r"^seat \d+: bound mandate: the unit instructed '(\w+)'"), "bound"),
    (re.compile(r"^seat \d+: nobody is marked present in this seat$"), "absent"),
    (re.compile(r"^seat \d+: choose for, against or abstain$"), "choose"),
)


def refusal_words(detail: str) -> str:
    """A roll-call refusal worded by the actions (in English) in the reader's language; one that
    is not known here is shown as it is, never hidden."""
    if detail == "the division is closed":
        return _("The division is closed.")
    for pattern, kind in _SEAT_REFUSALS:
        match = pattern.match(detail)
        if match is None:
            continue
        if kind == "voted":
            return _("This seat has already voted.")
        if kind == "bound":
            return _("Your mandate is bound: you may only vote %(i)s, as your unit instructed.") % {
                "i": choice_label(match.group(1))
            }
        if kind == "absent":
            return _("Nobody is marked present in this seat.")
        return _("Choose for, against or abstain.")
    return detail


def threshold_words_short() -> str:
    """The qualified majority's name in a list of thresholds (its fraction is asked apart)."""
    return _("qualified majority of the legal number")
