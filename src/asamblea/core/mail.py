"""Messages to members in their own language, with absolute links to the site.

A member's language is their own choice on the site, else their organisation's default, else the
site's (settings.LANGUAGE_CODE). Messages are written as catalogue ids with named placeholders
(marked with ``gettext_noop`` where they are defined) and translated here, per recipient. Links
are absolute, from ``settings.ASAMBLEA_SITE_URL``: a mail read on a phone has no page to be
relative to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import translation

from asamblea.core.outbox import queue_email


def site_url(path: str) -> str:
    """``path`` (from ``reverse``) as an absolute link on the site."""
    return settings.ASAMBLEA_SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def organisation_language(organisation: Any) -> str:
    return (getattr(organisation, "language", "") or "") or settings.LANGUAGE_CODE


def member_language(member: Any) -> str:
    own = getattr(member, "language", "") or ""
    if own:
        return own
    return organisation_language(getattr(member, "organisation", None))


def translated(language: str, message: str, params: Mapping[str, Any] | None = None) -> str:
    """``message`` (a catalogue id) in ``language``, its placeholders filled."""
    with translation.override(language):
        text = translation.gettext(message)
    return text % dict(params) if params else text


def queue_translated(
    recipient: str,
    language: str,
    subject: str,
    body: str,
    params: Mapping[str, Any] | None = None,
    *,
    is_secret: bool = False,
) -> Any:
    """Queue one e-mail, its subject and body translated into ``language``."""
    return queue_email(
        recipient,
        translated(language, subject, params),
        translated(language, body, params),
        is_secret=is_secret,
    )
