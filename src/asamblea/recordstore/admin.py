"""The public record in the admin: read-only (entries are append-only, and public anyway).

Registered here, by the app that owns the model, so the registry's admin needs no import of the
record store (the registry sits below it: docs/adr/0007-layout-and-action-context.md).
"""

from __future__ import annotations

from django.contrib import admin

from asamblea.core.admin import ReadOnlyAdmin
from asamblea.recordstore.models import RecordEntry


@admin.register(RecordEntry)
class RecordEntryAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "index", "entry_type", "recorded_at")
    list_filter = ("entry_type", "organisation")
    search_fields = ("entry_type",)
