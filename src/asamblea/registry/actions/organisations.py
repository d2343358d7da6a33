"""Organisations and their settings (public record)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.registry.actions._shared import (
    _record,
)
from asamblea.registry.models import (
    Organisation,
)


@transaction.atomic
def do_create_organisation(
    actor: Any, *, slug: str, name: str, settings: dict[str, Any] | None = None
) -> Organisation:
    if Organisation.objects.filter(slug=slug).exists():
        raise ActionError(f"an organisation {slug!r} already exists", field="slug")
    org = Organisation.objects.create(
        slug=slug, name=name, settings=dict(settings or {}), created_at=now()
    )
    audit(actor, "organisation.create", org, slug=slug, name=name)
    _record(org, "organisation_created", {"organisation": {"slug": slug, "name": name}})
    if org.settings:
        _record(org, "organisation_settings_changed", {"settings": org.settings})
    return org


@transaction.atomic
def do_change_organisation_settings(
    actor: Any, organisation: Organisation, settings: dict[str, Any]
) -> Organisation:
    """Replace the settings in force; the full new settings go on the record."""
    before = organisation.settings
    organisation.settings = dict(settings)
    organisation.save(update_fields=["settings"])
    audit(actor, "organisation.settings", organisation, before=before, after=organisation.settings)
    _record(organisation, "organisation_settings_changed", {"settings": organisation.settings})
    return organisation
