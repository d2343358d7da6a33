"""The one permission predicate.

Every ``access_*`` and ``check_*`` asks :func:`has_role` (or :func:`require_role`); nothing else
decides who may do what. The policy, stated once:

- An anonymous or inactive user holds no role at all.
- Officer roles (registrar, election officer, teller, chair) are *granted*: an ``OfficerRole`` row
  scoped to one organisation and optionally one body. A grant for the whole organisation
  (``body`` empty) covers every body of it; a grant for a body covers that body only.
- Member, delegate and alternate are *derived* from the register: an open membership of the unit,
  a current mandate in the body, a current place in the body's alternates list.
- A superuser is the platform operator: the ``operator`` role, and nothing more. A superuser gets
  no bypass of an organisation's scope and no bypass of two-person steps; to act as an officer of
  an organisation, the operator must be granted that office like anyone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.db.models import Q

from asamblea.core.errors import ActionError, NotFoundOrForbidden


class Role(StrEnum):
    MEMBER = "member"
    DELEGATE = "delegate"
    ALTERNATE = "alternate"
    REGISTRAR = "registrar"
    ELECTION_OFFICER = "election_officer"
    TELLER = "teller"
    CHAIR = "chair"
    TRUSTEE = "trustee"
    OPERATOR = "operator"


# Roles held through an OfficerRole row (the others are derived from the register).
GRANTED_ROLES = frozenset(
    {Role.REGISTRAR, Role.ELECTION_OFFICER, Role.TELLER, Role.CHAIR, Role.TRUSTEE}
)
DERIVED_ROLES = frozenset({Role.MEMBER, Role.DELEGATE, Role.ALTERNATE})
# The offices: granted roles that run the organisation. A trustee holds a share of a board's key
# and nothing else: it approves no grant and does not count as an officer.
OFFICES = GRANTED_ROLES - {Role.TRUSTEE}


class Forbidden(ActionError):
    """The actor may see the object but may not do this to it (API: 403)."""

    def __init__(self, detail: str = "you may not do this", *, field: str | None = None) -> None:
        super().__init__(detail, field=field, code="forbidden")


def is_active_user(user: Any) -> bool:
    """An authenticated, active user (a real person signed in, not an anonymous visitor)."""
    return (
        user is not None
        and getattr(user, "pk", None) is not None
        and bool(getattr(user, "is_authenticated", False))
        and bool(getattr(user, "is_active", False))
    )


def is_operator(user: Any) -> bool:
    """The platform operator: an active superuser. Holds no office in any organisation."""
    return is_active_user(user) and bool(getattr(user, "is_superuser", False))


def _organisation_id(organisation: Any) -> int:
    return organisation if isinstance(organisation, int) else organisation.pk


def _body_id(body: Any) -> int | None:
    if body is None or isinstance(body, int):
        return body
    return body.pk


def has_role(
    user: Any,
    organisation: Any,
    roles: Iterable[str] | str,
    body: Any = None,
) -> bool:
    """Whether ``user`` holds one of ``roles`` in ``organisation`` (and, if given, for ``body``).

    ``organisation`` and ``body`` are model instances or primary keys. For granted roles, a grant
    for the whole organisation or for ``body`` counts; with ``body`` None only a grant for the
    whole organisation counts. For derived roles ``body`` is required: the unit (member) or the
    body where the seat is (delegate, alternate).
    """
    wanted = {Role(roles)} if isinstance(roles, str) else {Role(r) for r in roles}
    if not is_active_user(user):
        return False
    if Role.OPERATOR in wanted and is_operator(user):
        return True
    org_id = _organisation_id(organisation)
    body_id = _body_id(body)
    granted = wanted & GRANTED_ROLES
    if granted:
        # Through the app registry, not an import: core sits below the apps and imports none.
        officer_role = apps.get_model("registry", "OfficerRole")
        scope = (
            Q(body__isnull=True) if body_id is None else Q(body__isnull=True) | Q(body_id=body_id)
        )
        if officer_role.objects.filter(
            scope, user_id=user.pk, organisation_id=org_id, role__in=sorted(granted)
        ).exists():
            return True
    derived = wanted & DERIVED_ROLES
    if derived and body_id is not None:
        return _holds_derived(user, org_id, body_id, derived)
    return False


def granted_offices(user: Any) -> list[tuple[int, int | None, str]]:
    """Every office granted to ``user``: (organisation id, body id or None, role), for pages that
    list where an officer may act (the console's dashboard). Deciding an action still goes through
    :func:`has_role`; an inactive or anonymous user holds none."""
    if not is_active_user(user):
        return []
    officer_role = apps.get_model("registry", "OfficerRole")
    rows = officer_role.objects.filter(user_id=user.pk).values_list(
        "organisation_id", "body_id", "role"
    )
    return sorted(rows, key=lambda r: (r[0], r[1] or 0, r[2]))


# Where each derived role is read from: the model, the field naming the body, and what makes the
# row current (an open membership, a mandate not ended, an alternate's place not yet used).
_DERIVED_FROM: dict[Role, tuple[str, str, str]] = {
    Role.MEMBER: ("Membership", "unit_id", "left_on__isnull"),
    Role.DELEGATE: ("Mandate", "seat__body_id", "ended_at__isnull"),
    Role.ALTERNATE: ("Alternate", "body_id", "used_at__isnull"),
}


def _holds_derived(user: Any, org_id: int, body_id: int, roles: set[Role]) -> bool:
    for role in sorted(roles):
        model_name, body_field, current = _DERIVED_FROM[role]
        model = apps.get_model("registry", model_name)
        if model.objects.filter(
            **{
                "member__user_id": user.pk,
                "member__organisation_id": org_id,
                body_field: body_id,
                current: True,
            }
        ).exists():
            return True
    return False


def require_role(
    user: Any,
    organisation: Any,
    roles: Iterable[str] | str,
    body: Any = None,
    *,
    hidden: str | None = None,
    detail: str | None = None,
) -> None:
    """Raise unless ``user`` holds one of ``roles`` (see :func:`has_role`).

    ``hidden`` names an object the user may not even know exists: the refusal is then
    :class:`NotFoundOrForbidden` (API 404, the same answer as missing). Otherwise the object is
    public and the refusal is :class:`Forbidden` (API 403).
    """
    if has_role(user, organisation, roles, body):
        return
    if hidden is not None:
        raise NotFoundOrForbidden(hidden)
    names = [roles] if isinstance(roles, str) else list(roles)
    raise Forbidden(
        detail or f"only a {' or '.join(n.replace('_', ' ') for n in names)} may do this"
    )
