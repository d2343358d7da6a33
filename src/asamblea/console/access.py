"""Where an officer may act, read from their grants; every decision still goes through the one
predicate (:mod:`asamblea.core.permissions`) in the ``check_*`` the console calls.

The console's pages only *list* and *offer*: an organisation page is shown to someone who holds
an office in it (any body), and hidden ("not found") from anyone else, as the API hides a unit's
register from non-officers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asamblea.core.errors import NotFoundOrForbidden
from asamblea.core.permissions import Role, granted_offices, has_role
from asamblea.registry.models import Body, Organisation


@dataclass
class Offices:
    """The offices one user holds in one organisation: role -> body ids (None: every body)."""

    organisation: Organisation
    roles: dict[str, set[int | None]] = field(default_factory=dict)

    def holds(self, role: str) -> bool:
        return role in self.roles

    def everywhere(self, role: str) -> bool:
        return None in self.roles.get(role, set())

    def body_ids(self, role: str) -> set[int] | None:
        """The bodies where ``role`` is held; None means all of them (an organisation grant)."""
        scopes = self.roles.get(role)
        if scopes is None:
            return set()
        if None in scopes:
            return None
        return {b for b in scopes if b is not None}

    def bodies(self, role: str) -> list[Body]:
        ids = self.body_ids(role)
        rows = Body.objects.filter(organisation=self.organisation, dissolved_at__isnull=True)
        if ids is not None:
            rows = rows.filter(pk__in=sorted(ids))
        return list(rows.order_by("code"))


def offices_of(user: Any) -> list[Offices]:
    """Every organisation where ``user`` holds an office, with the offices, by organisation name."""
    by_org: dict[int, dict[str, set[int | None]]] = {}
    for org_id, body_id, role in granted_offices(user):
        by_org.setdefault(org_id, {}).setdefault(role, set()).add(body_id)
    orgs = Organisation.objects.filter(pk__in=sorted(by_org)).order_by("name")
    return [Offices(org, by_org[org.pk]) for org in orgs]


def access_console_organisation(user: Any, slug: str) -> Offices:
    """The organisation's console, for someone holding an office in it; else "not found"."""
    for offices in offices_of(user):
        if offices.organisation.slug == slug:
            return offices
    raise NotFoundOrForbidden("organisation")


def may(user: Any, organisation: Organisation, role: str, body: Body | None = None) -> bool:
    """Whether to *offer* a form (the action decides again, through the same predicate)."""
    return has_role(user, organisation, Role(role), body)
