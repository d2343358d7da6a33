"""Model admins for the registry: registrars look things up here; changes go through actions.

Only what has an action behind it is editable: a member's contact details
(``check_update_member``), the first officers of a new organisation (``check_grant_role``, the
platform operator only, while bootstrapping) and revoking API tokens, each through the same
``check_*`` as everywhere else; a refusal is a 403 page. Every later grant is an approval
(``asamblea approval``), never an admin form. Structure, rolls, seats, mandates and the public
record are read-only: they change through the commands and actions that also write the record.

Scope (ADR 0007): a registrar sees only the members of the organisations they are registrar of,
and so only those members' contact data; the platform operator (a superuser) sees organisations
and offices, and no member at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from asamblea.core.admin import ReadOnlyAdmin
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden, Role, has_role, is_operator
from asamblea.registry import actions
from asamblea.registry.models import (
    Allocation,
    Alternate,
    ApiToken,
    Apportionment,
    Body,
    Mandate,
    Member,
    Membership,
    OfficerRole,
    Organisation,
    Roll,
    Seat,
    SeatLink,
)


@contextlib.contextmanager
def _refused_as_403() -> Iterator[None]:
    """A check refused in the admin is Django's 403 page, not a server error."""
    try:
        yield
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")


class LinkInInline(ReadOnlyInline):
    model = SeatLink
    fk_name = "receiver"
    verbose_name = "receives seats from"
    verbose_name_plural = "receives seats from"
    fields = ("sender", "members_per_seat", "minimum_seats", "fixed_seats")


@admin.register(Body)
class BodyAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "kind", "level", "region", "organisation", "dissolved_at")
    list_filter = ("kind", "level", "organisation")
    search_fields = ("name", "code", "region")
    list_select_related = ("organisation",)
    inlines = [LinkInInline]


@admin.register(SeatLink)
class SeatLinkAdmin(ReadOnlyAdmin):
    list_display = ("sender", "receiver", "members_per_seat", "minimum_seats", "fixed_seats")
    list_select_related = ("sender", "receiver")
    search_fields = ("sender__code", "receiver__code")


class MembershipInline(ReadOnlyInline):
    model = Membership
    fk_name = "member"
    fields = ("unit", "joined_on", "left_on", "end_reason")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("display_name", "member_ref", "organisation", "public_id")
    list_filter = ("organisation",)
    search_fields = ("member_ref", "display_name", "public_id")
    list_select_related = ("organisation",)
    fields = ("organisation", "member_ref", "public_id", "display_name", "phone", "email", "user")
    readonly_fields = ("organisation", "member_ref", "public_id", "user")
    inlines = [MembershipInline]
    show_full_result_count = False

    def get_queryset(self, request: Any) -> Any:
        """Only the members of organisations where the user is registrar (no superuser bypass)."""
        mine = [
            org.pk
            for org in Organisation.objects.only("pk")
            if has_role(request.user, org, Role.REGISTRAR)
        ]
        return super().get_queryset(request).filter(organisation_id__in=mine)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        # Members are added by import-members, the API or registry actions (validation, audit).
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: Member, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            with _refused_as_403():
                actions.check_update_member(request.user, Member.objects.get(pk=obj.pk), **changes)


@admin.register(Roll)
class RollAdmin(ReadOnlyAdmin):
    list_display = ("body", "frozen_at", "size", "purpose")
    list_select_related = ("body",)
    search_fields = ("body__code", "purpose")
    # The salt hides the roll's members inside the public commitment: never displayed.
    exclude = ("salt",)


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = ("sender", "roll", "population", "seats")


@admin.register(Apportionment)
class ApportionmentAdmin(ReadOnlyAdmin):
    list_display = ("receiver", "computed_at", "rule", "house_size", "total_seats", "is_current")
    list_filter = ("is_current", "rule")
    list_select_related = ("receiver",)
    inlines = [AllocationInline]


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdmin):
    list_display = ("body", "unit", "number", "created_at", "abolished_at")
    list_select_related = ("body", "unit")
    search_fields = ("body__code", "unit__code")


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdmin):
    list_display = ("member", "seat", "started_at", "ended_at", "end_reason", "source")
    list_filter = ("end_reason",)
    list_select_related = ("member", "seat__body", "seat__unit")
    search_fields = ("member__display_name", "seat__body__code", "seat__unit__code")


@admin.register(Alternate)
class AlternateAdmin(ReadOnlyAdmin):
    list_display = ("body", "unit", "position", "member", "used_at")
    list_select_related = ("body", "unit", "member")


@admin.register(OfficerRole)
class OfficerRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "organisation", "body")
    list_filter = ("role", "organisation")
    list_select_related = ("user", "organisation", "body")
    autocomplete_fields = ("body",)

    def has_add_permission(self, request: Any) -> bool:
        # Only the operator, for an organisation's first officers; later grants are approvals.
        return is_operator(request.user)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        # An office is granted or revoked, never edited in place.
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return is_operator(request.user)

    def save_model(self, request: Any, obj: OfficerRole, form: Any, change: bool) -> None:
        with _refused_as_403():
            office = actions.check_grant_role(
                request.user, obj.user, obj.organisation, obj.role, obj.body
            )
        if not isinstance(office, OfficerRole):
            raise PermissionDenied("later grants are proposed and approved: asamblea approval")
        obj.pk = office.pk

    def delete_model(self, request: Any, obj: OfficerRole) -> None:
        with _refused_as_403():
            actions.check_revoke_role(request.user, obj.user, obj.organisation, obj.role, obj.body)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "label", "created_at", "revoked_at")
    list_select_related = ("user",)
    exclude = ("token_hash",)
    actions = ["revoke"]

    def has_revoke_permission(self, request: Any) -> bool:
        return bool(request.user.has_perm("registry.change_apitoken"))

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: Any, queryset: Any) -> None:
        for row in queryset.filter(revoked_at__isnull=True):
            try:
                actions.check_revoke_api_token(request.user, row)
            except ActionError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
