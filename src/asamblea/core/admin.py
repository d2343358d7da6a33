"""The Django admin for registrars: a second factor is required, and the logs are read-only.

The default admin site becomes django-otp's ``OTPAdminSite``: a staff user who has not verified a
TOTP device in this session is treated as if not staff, and the admin's own login form asks for
the code. Every app's model admins register on this one site.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django_otp.admin import OTPAdminSite

from asamblea.core.models import AuditEntry, OutboxMessage

admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Asamblea"
admin.site.site_title = "Asamblea"


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and derived data: viewable, never edited here (changes go through actions)."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "target_type", "target_id")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "target_id")
    date_hierarchy = "at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "subject", "is_secret", "sent_at", "attempts")
    list_filter = ("channel", "is_secret")
    # The body of a secret message (a code, a credential) is never shown, even to the operator;
    # nor the recipient: a member's address is for registrars of their organisation (ADR 0010).
    exclude = ("body", "recipient")
