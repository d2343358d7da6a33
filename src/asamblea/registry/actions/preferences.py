"""How the site speaks to a member and shows an organisation: language and time zone.

Neither changes a rule, a roll or a result: times are stored and recorded in UTC whatever the
zone, and the language only chooses a catalogue. Both actions are therefore private (audited,
no public record entry).
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings

from asamblea.core.action import ActionContext, door
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden, Role, require_role
from asamblea.registry.models import Member, Organisation

PRESENTATION_ONLY = (
    "how pages are shown (a language, a time zone): no rule, roll or result depends on it; audited"
)


def _language(code: str, *, blank_ok: bool) -> str:
    code = (code or "").strip()
    if not code and blank_ok:
        return ""
    if code not in dict(settings.LANGUAGES):
        raise ActionError(f"unknown language {code!r}", field="language")
    return code


def check_set_member_language(user: Any, language: str) -> Member:
    """A signed-in member chooses the language of their own pages and mail (blank: none)."""
    member = Member.objects.filter(user=user).first() if user.is_authenticated else None
    if member is None:
        raise Forbidden("only a signed-in member chooses their language")
    return do_set_member_language(user, member, _language(language, blank_ok=True))


@door("registry.set_member_language", private=PRESENTATION_ONLY)
def do_set_member_language(ctx: ActionContext, member: Member, language: str) -> Member:
    if member.language == language:
        return member
    member.language = language
    member.save(update_fields=["language"])
    ctx.audit("member.language", member, language=language)
    return member


def check_set_presentation(
    user: Any, organisation: Organisation, *, time_zone: str, language: str
) -> Organisation:
    """A registrar of the whole organisation sets its time zone and default language."""
    require_role(user, organisation, Role.REGISTRAR)
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ActionError(f"unknown time zone {time_zone!r}", field="time_zone") from None
    return do_set_presentation(
        user, organisation, time_zone=time_zone, language=_language(language, blank_ok=True)
    )


@door("registry.set_presentation", private=PRESENTATION_ONLY)
def do_set_presentation(
    ctx: ActionContext, organisation: Organisation, *, time_zone: str, language: str
) -> Organisation:
    organisation.time_zone = time_zone
    organisation.language = language
    organisation.save(update_fields=["time_zone", "language"])
    ctx.audit("organisation.presentation", organisation, time_zone=time_zone, language=language)
    return organisation
