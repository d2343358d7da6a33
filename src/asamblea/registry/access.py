"""Permission-checked fetches of the registry (``access_*``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asamblea.core.errors import NotFoundOrForbidden
from asamblea.registry.models import (
    Body,
    OfficerRole,
    Organisation,
)


def has_role(
    user: Any, organisation: Organisation, roles: Iterable[str], body: Body | None = None
) -> bool:
    """Whether ``user`` holds one of ``roles`` for the whole organisation or for ``body``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    qs = OfficerRole.objects.filter(user=user, organisation=organisation, role__in=list(roles))
    if body is None:
        return qs.filter(body__isnull=True).exists()
    return qs.filter(body__isnull=True).exists() or qs.filter(body=body).exists()


REGISTER_ROLES = (OfficerRole.Role.REGISTRAR, OfficerRole.Role.ELECTION_OFFICER)


def access_unit_register_by_officer(user: Any, organisation: Organisation, unit_code: str) -> Body:
    """The unit whose register ``user`` may read (registrar or election officer)."""
    unit = Body.objects.filter(organisation=organisation, code=unit_code).first()
    if (
        unit is None
        or not unit.is_base_unit
        or not has_role(user, organisation, REGISTER_ROLES, unit)
    ):
        raise NotFoundOrForbidden("unit")
    return unit
