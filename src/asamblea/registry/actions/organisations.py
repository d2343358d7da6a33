"""Organisations and their settings (public record)."""

from __future__ import annotations

from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden, Role, is_operator, require_role
from asamblea.record.entries.registry import (
    OrganisationCreatedV1,
    OrganisationPart,
    OrganisationSettingsChangedV1,
)
from asamblea.registry.models import Organisation


def check_create_organisation(
    user: Any, *, slug: str, name: str, settings: dict[str, Any] | None = None
) -> Organisation:
    """Only the platform operator founds an organisation on the platform."""
    if not is_operator(user):
        raise Forbidden("only the platform operator may found an organisation")
    if not slug or not name.strip():
        raise ActionError("an organisation needs a slug and a name", field="slug")
    return do_create_organisation(user, slug=slug, name=name, settings=settings)


@door("registry.create_organisation")
def do_create_organisation(
    ctx: ActionContext, *, slug: str, name: str, settings: dict[str, Any] | None = None
) -> Organisation:
    if Organisation.objects.filter(slug=slug).exists():
        raise ActionError(f"an organisation {slug!r} already exists", field="slug")
    org = Organisation.objects.create(
        slug=slug, name=name, settings=dict(settings or {}), created_at=now()
    )
    ctx.audit("organisation.create", org, slug=slug, name=name)
    ctx.record(org, OrganisationCreatedV1(organisation=OrganisationPart(slug=slug, name=name)))
    if org.settings:
        ctx.record(org, OrganisationSettingsChangedV1(settings=org.settings))
    return org


def check_change_organisation_settings(
    user: Any, organisation: Organisation, settings: dict[str, Any]
) -> Organisation:
    """A registrar of the whole organisation changes the settings in force."""
    require_role(user, organisation, Role.REGISTRAR)
    if not isinstance(settings, dict):
        raise ActionError("settings are an object", field="settings")
    return do_change_organisation_settings(user, organisation, settings)


@door("registry.change_organisation_settings")
def do_change_organisation_settings(
    ctx: ActionContext, organisation: Organisation, settings: dict[str, Any]
) -> Organisation:
    """Replace the settings in force; the full new settings go on the record."""
    before = organisation.settings
    organisation.settings = dict(settings)
    organisation.save(update_fields=["settings"])
    ctx.audit("organisation.settings", organisation, before=before, after=organisation.settings)
    ctx.record(organisation, OrganisationSettingsChangedV1(settings=organisation.settings))
    return organisation
