"""Permission-checked fetches of assemblies' objects (``access_*``), all through core.permissions.

Sessions, divisions, motions and resolutions are public (a roll call is public by design): a
missing one answers "not found", and a user who may read it but not act on it is refused with
:class:`asamblea.core.permissions.Forbidden` (API 403). The chair of the body, or a chair of the
whole organisation, runs its sessions; a superuser is no chair unless granted the office.
"""

from __future__ import annotations

from typing import Any

from asamblea.assemblies.models import Division, Motion, Resolution, Session
from asamblea.core.errors import NotFoundOrForbidden
from asamblea.core.permissions import Role, require_role
from asamblea.registry.models import Body

CHAIR_ONLY = "only a chair of this body may do this"


def require_chair(user: Any, body: Body) -> None:
    """Raise Forbidden unless ``user`` chairs ``body`` (or the whole organisation)."""
    require_role(user, body.organisation_id, Role.CHAIR, body=body, detail=CHAIR_ONLY)


def access_session_by_id(session_id: int) -> Session:
    """Sessions are public."""
    session = Session.objects.select_related("body", "body__organisation").filter(pk=session_id)
    found = session.first()
    if found is None:
        raise NotFoundOrForbidden("session")
    return found


def access_session_for_chair(user: Any, session_id: int) -> Session:
    session = Session.objects.select_related("body", "body__organisation").filter(pk=session_id)
    found = session.first()
    if found is None:
        raise NotFoundOrForbidden("session")
    require_chair(user, found.body)
    return found


def access_division_by_id(division_id: int) -> Division:
    found = (
        Division.objects.select_related(
            "motion",
            "motion__session",
            "motion__session__body",
            "motion__session__body__organisation",
        )
        .filter(pk=division_id)
        .first()
    )
    if found is None:
        raise NotFoundOrForbidden("division")
    return found


def access_body_for_chair(user: Any, body_id: int) -> Body:
    body = Body.objects.select_related("organisation").filter(pk=body_id).first()
    if body is None:
        raise NotFoundOrForbidden("body")
    require_chair(user, body)
    return body


def access_motion_by_id(motion_id: int) -> Motion:
    motion = (
        Motion.objects.select_related("session__body__organisation").filter(pk=motion_id).first()
    )
    if motion is None:
        raise NotFoundOrForbidden("motion")
    return motion


def access_motion_for_chair(user: Any, motion_id: int) -> Motion:
    motion = access_motion_by_id(motion_id)
    require_chair(user, motion.session.body)
    return motion


def access_division_for_chair(user: Any, division_id: int) -> Division:
    division = access_division_by_id(division_id)
    require_chair(user, division.motion.session.body)
    return division


def access_resolution_for_chair(user: Any, resolution_id: int) -> Resolution:
    resolution = (
        Resolution.objects.select_related("body__organisation").filter(pk=resolution_id).first()
    )
    if resolution is None:
        raise NotFoundOrForbidden("resolution")
    require_chair(user, resolution.body)
    return resolution
