"""Permission-checked fetches of assemblies' objects (``access_*``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from asamblea.assemblies.models import (
    Division,
    Motion,
    Session,
)
from asamblea.core.errors import NotFoundOrForbidden
from asamblea.registry.models import (
    Body,
    OfficerRole,
)


def is_chair(user: Any, body: Body) -> bool:
    """Chairs of the body (or of the whole organisation) run its sessions; so do superusers."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return OfficerRole.objects.filter(
        Q(body__isnull=True) | Q(body=body),
        user=user,
        organisation_id=body.organisation_id,
        role=OfficerRole.Role.CHAIR,
    ).exists()


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
    if found is None or not is_chair(user, found.body):
        raise NotFoundOrForbidden("session")
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


def access_division_for_voter(user: Any, division_id: int) -> Division:
    """The chair records any seat's vote; a delegate may cast their own seat's vote."""
    division = access_division_by_id(division_id)
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFoundOrForbidden("division")
    return division


def _chair_body(user: Any, body_id: int) -> Body:
    body = Body.objects.select_related("organisation").filter(pk=body_id).first()
    if body is None or not is_chair(user, body):
        raise NotFoundOrForbidden("body")
    return body


def _motion_for_chair(user: Any, motion_id: int) -> Motion:
    motion = (
        Motion.objects.select_related("session__body__organisation").filter(pk=motion_id).first()
    )
    if motion is None or not is_chair(user, motion.session.body):
        raise NotFoundOrForbidden("motion")
    return motion


def _division_for_chair(user: Any, division_id: int) -> Division:
    division = access_division_by_id(division_id)
    if not is_chair(user, division.motion.session.body):
        raise NotFoundOrForbidden("division")
    return division
