"""Registry endpoints: organisations, bodies, seats, mandates."""

from __future__ import annotations

from ninja import Router, Schema

from asamblea.api.common import ErrorOut, paginate
from asamblea.registry.models import Organisation

router = Router(tags=["registry"])


class OrganisationOut(Schema):
    id: int
    slug: str
    name: str


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    count: int


@router.get("/organisations", response={200: OrganisationPage, 422: ErrorOut})
def list_organisations(request, limit: int = 50, offset: int = 0):  # type: ignore[no-untyped-def]
    rows, count = paginate(Organisation.objects.order_by("id"), limit, offset)
    return {"items": rows, "count": count}
