"""Server-rendered pages of the registry: the organisation, its base units and each body.

Thin views that fetch, check access and render. Every page works without JavaScript and stays
small (a test holds each under 50 KB compressed). Queries are fixed in number per page whatever
the size of the body (a test counts them).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asamblea.registry import graph
from asamblea.registry.models import (
    Body,
    Organisation,
    Seat,
    SeatLink,
)
from asamblea.registry.queries import FIND_MAX, body_overview, latest_roll_size

UNITS_PER_PAGE = 100


def _region_name(region: str) -> str:
    return region or _("no region")


def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organisation, slug=slug)
    bodies = list(
        Body.objects.filter(organisation=org, dissolved_at__isnull=True)
        .annotate(roll_size=latest_roll_size())
        .values("id", "code", "name", "kind", "level", "region", "roll_size")
    )
    by_id = {b["id"]: b for b in bodies}
    seat_rows = (
        Seat.objects.filter(body__organisation=org, abolished_at__isnull=True)
        .values("unit_id", "body_id")
        .annotate(
            n=Count("id", distinct=True),
            filled=Count("mandates", filter=Q(mandates__ended_at__isnull=True)),
        )
    )
    links = SeatLink.objects.filter(receiver__organisation=org).values_list(
        "sender_id", "receiver_id"
    )

    seats_in: dict[int, int] = defaultdict(int)
    filled_in: dict[int, int] = defaultdict(int)
    edge_seats: dict[tuple[int, int], int] = defaultdict(int)
    for row in seat_rows:
        seats_in[row["body_id"]] += row["n"]
        filled_in[row["body_id"]] += row["filled"]
        edge_seats[(row["unit_id"], row["body_id"])] += row["n"]
    for sender_id, receiver_id in links:
        edge_seats.setdefault((sender_id, receiver_id), 0)

    # Base units, summed per region; everything else individually.
    regions: dict[str, dict[str, Any]] = {}
    higher = []
    for b in bodies:
        if b["kind"] in Body.BASE_UNIT_KINDS:
            r = regions.setdefault(b["region"], {"region": b["region"], "units": 0, "members": 0})
            r["units"] += 1
            r["members"] += b["roll_size"] or 0
        else:
            b["seats"] = seats_in.get(b["id"], 0)
            b["filled"] = filled_in.get(b["id"], 0)
            higher.append(b)
    higher.sort(key=lambda b: (b["kind"] != "committee", b["level"] != "national", b["name"]))
    region_rows = sorted(regions.values(), key=lambda r: _region_name(r["region"]))
    units_url = reverse("registry:units", args=[org.slug])
    for r in region_rows:
        r["name"] = _region_name(r["region"])
        r["href"] = f"{units_url}?{urlencode({'region': r['region']})}"

    nodes: dict[str, graph.Node] = {}
    for r in region_rows:
        nodes["r:" + r["region"]] = graph.Node(
            key="r:" + r["region"],
            title=r["name"],
            detail=[
                ngettext("%(n)d unit", "%(n)d units", r["units"]) % {"n": r["units"]},
                ngettext("%(n)d member", "%(n)d members", r["members"]) % {"n": r["members"]},
            ],
            href=r["href"],
            css="g",
            sort_key=r["name"],
        )
    for b in higher:
        nodes[f"b:{b['id']}"] = graph.Node(
            key=f"b:{b['id']}",
            title=b["name"],
            detail=[ngettext("%(n)d seat", "%(n)d seats", b["seats"]) % {"n": b["seats"]}],
            href=reverse("registry:body", args=[org.slug, b["code"]]),
            css="c" if b["kind"] == "committee" else "a",
            sort_key=b["name"],
        )
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for (sender_id, receiver_id), n in edge_seats.items():
        sender, receiver = by_id.get(sender_id), by_id.get(receiver_id)
        if sender is None or receiver is None or receiver["kind"] in Body.BASE_UNIT_KINDS:
            continue
        src = (
            "r:" + sender["region"]
            if sender["kind"] in Body.BASE_UNIT_KINDS
            else f"b:{sender['id']}"
        )
        edges[(src, f"b:{receiver_id}")] += n
    svg = graph.render_svg(
        nodes,
        dict(edges),
        title=_("Structure of %(name)s") % {"name": org.name},
        seats_label=lambda n: ngettext("%(n)d seat", "%(n)d seats", n) % {"n": n},
    )
    return render(
        request,
        "registry/organisation.html",
        {
            "org": org,
            "higher": higher,
            "regions": region_rows,
            "unit_count": sum(r["units"] for r in region_rows),
            "member_count": sum(r["members"] for r in region_rows),
            "svg": svg,
        },
    )


def units(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organisation, slug=slug)
    qs = Body.objects.filter(
        organisation=org, kind__in=Body.BASE_UNIT_KINDS, dissolved_at__isnull=True
    )
    region = request.GET.get("region")
    if region is not None:
        qs = qs.filter(region=region)
    qs = qs.annotate(roll_size=latest_roll_size()).order_by("name", "pk")
    page = Paginator(qs, UNITS_PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({"region": region}) + "&" if region is not None else ""
    return render(
        request,
        "registry/units.html",
        {
            "org": org,
            "page": page,
            "region": region,
            "region_name": _region_name(region) if region is not None else None,
            "query": query,
        },
    )


def body(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    b = get_object_or_404(
        Body.objects.select_related("organisation"), organisation__slug=slug, code=code
    )
    context = body_overview(
        b,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        find=request.GET.get("q", ""),
    )
    page = context["page"]
    query = urlencode({"q": page["find"]}) + "&" if page["find"] else ""
    # Links of each seat row, built once here rather than by a {% url %} a row (the registry does
    # not import assemblies: the delegate's page is linked only when that app is installed).
    try:
        delegate_base = reverse("assemblies:delegate", args=["x"])[:-2]
    except NoReverseMatch:
        delegate_base = ""
    return render(
        request,
        "registry/body.html",
        {
            "org": b.organisation,
            "body": b,
            **context,
            "find": page["find"],
            "find_max": FIND_MAX,
            "unit_base": reverse("registry:body", args=[b.organisation.slug, "x"])[:-2],
            "delegate_base": delegate_base,
            "previous_url": f"?{query}before={page['first']}#seats" if page["has_previous"] else "",
            "next_url": f"?{query}after={page['last']}#seats" if page["has_next"] else "",
        },
    )
