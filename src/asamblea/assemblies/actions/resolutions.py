"""Resolutions: an adopted motion's demand, strike call or march, and its status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from asamblea.assemblies.access import access_resolution_for_chair
from asamblea.assemblies.models import Motion, Resolution, ResolutionStatusChange
from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.record.entries.assemblies import ResolutionAdoptedV1, ResolutionStatusV1


@door("assemblies.adopt_resolution")
def do_adopt_resolution(ctx: ActionContext, motion: Motion, at: dt.datetime) -> Resolution:
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
    ctx.audit("adopt_resolution", resolution, motion_id=motion.pk)
    ctx.record(
        body.organisation,
        ResolutionAdoptedV1(
            resolution_id=resolution.pk,
            body_id=body.pk,
            body=body.code,
            motion_id=motion.pk,
            division_id=motion.division.pk,
            kind=resolution.kind,
            title=resolution.title,
            text=resolution.text,
            status=resolution.status,
        ),
        body=body,
    )
    return resolution


@door("assemblies.set_resolution_status")
def do_set_resolution_status(
    ctx: ActionContext, resolution: Resolution, status: str, *, note: str = ""
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
    ctx.audit("set_resolution_status", resolution, status=status, previous=previous)
    ctx.record(
        resolution.body.organisation,
        ResolutionStatusV1(
            resolution_id=resolution.pk,
            body_id=resolution.body_id,
            previous=previous,
            status=status,
            note=note,
        ),
        body=resolution.body,
    )
    return resolution


def check_set_resolution_status(
    user: Any, resolution_id: int, status: str, *, note: str = ""
) -> Resolution:
    resolution = access_resolution_for_chair(user, resolution_id)
    return do_set_resolution_status(user, resolution, status, note=note)
