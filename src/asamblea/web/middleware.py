"""The language and time zone of each request.

Language: the member's own choice (stored on the member), then their organisation's default, then
what the browser asks for (Django's LocaleMiddleware, which ran before: cookie, then
Accept-Language, then settings.LANGUAGE_CODE). A visitor's choice in the switcher (the language
cookie) outranks the organisation's default too. Time zone: the signed-in member's organisation's;
otherwise UTC (pages that show one organisation's times pass it to the ``when`` filter).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class MemberPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = None
        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from asamblea.registry.models import Member

            member = (
                Member.objects.select_related("organisation")
                .only("language", "organisation__language", "organisation__time_zone")
                .filter(user=user)
                .first()
            )
            if member is not None:
                chosen_cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
                language = member.language or (
                    None if chosen_cookie else member.organisation.language or None
                )
                zone = member.organisation.time_zone
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
