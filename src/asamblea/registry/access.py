"""Permission-checked fetches of the registry (``access_*``), all through core.permissions.

Like Zulip's ``access_stream_by_id``: an object the user may not act on and an object that does
not exist get the same answer (:class:`NotFoundOrForbidden`), so a refusal reveals nothing.
"""

from __future__ import annotations

from typing import Any

from asamblea.core.errors import NotFoundOrForbidden
from asamblea.core.permissions import Role, has_role, require_role
from asamblea.registry.models import Body, Organisation

# Who may read a unit's register (and export it, with a second such officer).
REGISTER_ROLES = (Role.REGISTRAR, Role.ELECTION_OFFICER)


def access_organisation(organisation_id: int) -> Organisation:
    """An organisation by id (organisations are public)."""
    org = Organisation.objects.filter(pk=organisation_id).first()
    if org is None:
        raise NotFoundOrForbidden("organisation")
    return org


def access_body(body_id: int) -> Body:
    """A body by id (bodies are public)."""
    body = Body.objects.filter(pk=body_id).first()
    if body is None:
        raise NotFoundOrForbidden("body")
    return body


def access_unit_register_by_officer(user: Any, organisation: Organisation, unit_code: str) -> Body:
    """The unit whose register ``user`` may read (registrar or election officer)."""
    unit = Body.objects.filter(organisation=organisation, code=unit_code).first()
    if unit is None or not unit.is_base_unit:
        raise NotFoundOrForbidden("unit")
    require_role(user, organisation, REGISTER_ROLES, unit, hidden="unit")
    return unit


def access_unit_by_registrar(user: Any, organisation: Organisation, unit_code: str) -> Body:
    """The unit ``user`` may register members in (a registrar of the organisation or the unit).

    The same answer for a unit that does not exist and one the caller may not register in.
    """
    unit = Body.objects.filter(organisation=organisation, code=unit_code).first()
    if unit is None or not has_role(user, organisation, Role.REGISTRAR, unit):
        exc = NotFoundOrForbidden("unit")
        exc.field = "unit_code"
        raise exc
    return unit
