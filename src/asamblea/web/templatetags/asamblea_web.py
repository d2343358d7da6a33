"""The site's template filters: registry labels, the languages a catalogue exists for, and times,
numbers, weights and tracking codes as people read them (``when``, ``when_utc``, ``day``, ``num``,
``weight``, ``tracking``): every page shows them through these."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import conditional_escape, format_html
from django.utils.translation import check_for_language, get_language_info
from django.utils.translation import gettext as _

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


@register.filter
def election_kind(code: str) -> str:
    return labels.label(labels.ELECTION_KIND, code)


@register.filter
def election_state(code: str) -> str:
    return labels.label(labels.ELECTION_STATE, code)


@register.filter
def petition_state(code: str) -> str:
    return labels.label(labels.PETITION_STATE, code)


@register.filter
def method(code: str) -> str:
    return labels.label(labels.METHOD, code)


@register.simple_tag
def available_languages() -> list[dict[str, str]]:
    """Declared languages that have a catalogue: dropping one into locale/ makes it appear here."""
    out = []
    for code, _name in settings.LANGUAGES:
        if code == settings.LANGUAGE_CODE or check_for_language(code):
            info = get_language_info(code)
            out.append({"code": code, "name": info["name_local"]})
    return out


# --- times, numbers and weights as people read them -------------------------------------------
# Times are stored and recorded in UTC; pages show them in the organisation's time zone, with the
# UTC time in the element's machine-readable datetime and title. Pass the organisation (or
# anything with an ``organisation``) as the argument; without one, the time zone activated for
# the request (the signed-in member's organisation's, else UTC) is used.


def _zone(where: Any) -> dt.tzinfo:
    zone_name = None
    if isinstance(where, dt.tzinfo):
        return where
    if isinstance(where, str) and where:
        zone_name = where
    elif where is not None:
        org = where if hasattr(where, "time_zone") else getattr(where, "organisation", None)
        zone_name = getattr(org, "time_zone", None)
    if zone_name:
        try:
            return zoneinfo.ZoneInfo(zone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_current_timezone()


def _place(zone: dt.tzinfo) -> str:
    key = getattr(zone, "key", None) or str(zone)
    return "UTC" if key in ("UTC", "Etc/UTC") else key.rsplit("/", 1)[-1].replace("_", " ")


def _as_utc(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, dt.datetime):
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


@register.filter(is_safe=True)
def when(value: Any, where: Any = None) -> str:
    """``<time>`` with the local date and time and the place of the zone ("2026-12-07 10:00
    Lima"); UTC in ``datetime`` and ``title``. Empty for no value."""
    utc = _as_utc(value)
    if utc is None:
        return ""
    zone = _zone(where)
    local = utc.astimezone(zone)
    return format_html(
        '<time datetime="{}" title="{} UTC">{} <span class="tz">{}</span></time>',
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc.strftime("%Y-%m-%d %H:%M"),
        local.strftime("%Y-%m-%d %H:%M"),
        _place(zone),
    )


@register.filter(is_safe=True)
def when_utc(value: Any, where: Any = None) -> str:
    """Local time and, visibly, the UTC time the record holds ("10:00 Lima · 15:00 UTC")."""
    utc = _as_utc(value)
    if utc is None:
        return ""
    zone = _zone(where)
    if _place(zone) == "UTC":
        return when(utc, zone)
    return format_html(
        '{} <small>· <time datetime="{}">{} UTC</time></small>',
        when(utc, zone),
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc.strftime("%Y-%m-%d %H:%M"),
    )


@register.filter(is_safe=True)
def day(value: Any, where: Any = None) -> str:
    """The local date of a time (or a date as it is), in a ``<time>``."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return format_html('<time datetime="{0}">{0}</time>', value.isoformat())
    utc = _as_utc(value)
    if utc is None:
        return ""
    local = utc.astimezone(_zone(where)).date().isoformat()
    return format_html('<time datetime="{}">{}</time>', local, local)


@register.filter
def num(value: Any, places: int | None = None) -> str:
    """A number with the language's separators (12.345 in Spanish, 12,345 in English); a
    fraction or decimal with ``places`` decimals (default 2 when not whole)."""
    if value is None or value == "":
        return ""
    try:
        exact = Fraction(str(value)) if not isinstance(value, Fraction) else value
    except (ValueError, ZeroDivisionError):
        return str(value)
    if places is None:
        places = 0 if exact.denominator == 1 else 2
    quantum = Decimal(1).scaleb(-int(places))
    shown = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(quantum)
    return formats.number_format(shown, int(places), use_l10n=True, force_grouping=True)


@register.filter(is_safe=True)
def weight(value: Any, places: int = 2) -> str:
    """A weight or weighted total: the decimal with separators, the exact fraction on demand
    (a ``<details>`` that opens without JavaScript). Whole numbers show as they are."""
    if value is None or value == "":
        return ""
    try:
        exact = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return conditional_escape(str(value))
    if exact.denominator == 1:
        return num(exact)
    return format_html(
        '<details class="exact"><summary>{}</summary><span>{}: {}</span></details>',
        num(exact, places),
        _("exact"),
        f"{exact.numerator}/{exact.denominator}",
    )


@register.filter
def tracking(value: Any) -> str:
    """A tracking code in its one printed form (asamblea.web.codes.display_code)."""
    from asamblea.web.codes import display_code

    return display_code(str(value or ""))


@register.simple_tag(takes_context=True)
def my_signature(context: Any, petition: Any) -> dict[str, bool]:
    """Whether the signed-in member may sign ``petition`` (on its frozen roll) and has signed it.
    Only about the member themself; never anyone else's signature."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"member": False, "on_roll": False, "signed": False}
    from asamblea.elections.models import Signature
    from asamblea.registry.models import RollEntry

    entry = RollEntry.objects.filter(roll_id=petition.roll_id, member__user=user).first()
    if entry is None:
        return {"member": True, "on_roll": False, "signed": False}
    signed = Signature.objects.filter(
        petition=petition, roll_entry=entry, withdrawn_at__isnull=True
    ).exists()
    return {"member": True, "on_roll": True, "signed": signed}


@register.filter
def votes(value: Any) -> str:
    """A count as stored (an integer, or a decimal string with the method's places, already
    truncated by the rules), with the language's separators and every stored digit."""
    if value is None or value == "":
        return ""
    try:
        exact = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    places = max(0, -int(exact.as_tuple().exponent))
    return formats.number_format(exact, places, use_l10n=True, force_grouping=True)


@register.filter
def change(value: Any) -> str:
    """A round's change: "+12", "−3,5", or empty when there was none."""
    if value is None or value == "":
        return ""
    exact = Decimal(str(value))
    if exact == 0:
        return ""
    return ("+" if exact > 0 else "\u2212") + votes(abs(exact))


@register.simple_tag
def count_rounds(election: Any, result: Any) -> list[Any]:
    """The rounds of ``election``'s count, with candidates' names (asamblea.web.results)."""
    from asamblea.web import results

    if not result:
        return []
    names = {c.key: c.name for c in election.candidates.all()}
    return results.rounds(result, names)


@register.simple_tag
def tally_bars(result: Any) -> dict[str, Any]:
    from asamblea.web import results

    return results.yes_no(result or {})


@register.filter
def answer(code: str) -> str:
    """A yes/no or instruction answer's name."""
    return labels.label(labels.ANSWER, code)
