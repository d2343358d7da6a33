"""Resolutions: an adopted motion's demand, strike call or march, and its status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from asamblea.assemblies.access import is_chair
from asamblea.assemblies.models import (
    Motion,
    Resolution,
    ResolutionStatusChange,
)
from asamblea.assemblies.queries import RECORD_VERSION
from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.recordstore.append import append


def _adopt_resolution(actor: Any, motion: Motion, at: dt.datetime) -> Resolution:
    body = motion.session.body
    resolution = Resolution.objects.create(
        body=body,
        motion=motion,
        kind=motion.resolution_kind,
        title=motion.title,
        text=motion.text,
        adopted_at=at,
    )
    ResolutionStatusChange.objects.create(
        resolution=resolution, status=resolution.status, note="adopted", changed_at=at
    )
    audit(actor, "adopt_resolution", resolution, motion_id=motion.pk)
    append(
        body.organisation,
        "assembly_resolution_adopted",
        RECORD_VERSION,
        {
            "resolution_id": resolution.pk,
            "body_id": body.pk,
            "body": body.code,
            "motion_id": motion.pk,
            "division_id": motion.division.pk,
            "kind": resolution.kind,
            "title": resolution.title,
            "text": resolution.text,
            "status": resolution.status,
        },
        body=body,
    )
    return resolution


@transaction.atomic
def do_set_resolution_status(
    actor: Any, resolution: Resolution, status: str, *, note: str = ""
) -> Resolution:
    if status not in Resolution.Status.values:
        raise ActionError(f"unknown status {status!r}", field="status")
    resolution = (
        Resolution.objects.select_for_update(of=("self",))
        .select_related("body__organisation")
        .get(pk=resolution.pk)
    )
    if resolution.status == status:
        raise ActionError(f"the resolution is already {status}", field="status", code="conflict")
    at = now()
    previous = resolution.status
    resolution.status = status
    resolution.save(update_fields=["status"])
    ResolutionStatusChange.objects.create(
        resolution=resolution, status=status, note=note, changed_at=at
    )
    audit(actor, "set_resolution_status", resolution, status=status, previous=previous)
    append(
        resolution.body.organisation,
        "assembly_resolution_status",
        RECORD_VERSION,
        {
            "resolution_id": resolution.pk,
            "body_id": resolution.body_id,
            "previous": previous,
            "status": status,
            "note": note,
        },
        body=resolution.body,
    )
    return resolution


def check_set_resolution_status(
    user: Any, resolution_id: int, status: str, *, note: str = ""
) -> Resolution:
    resolution = Resolution.objects.select_related("body").filter(pk=resolution_id).first()
    if resolution is None or not is_chair(user, resolution.body):
        raise NotFoundOrForbidden("resolution")
    return do_set_resolution_status(user, resolution, status, note=note)
