"""Public pages of the record: browse, one entry with its proof, the checkpoint, the export.

Everything here is public (the record is), read-only, and works without JavaScript.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from asamblea.core.errors import NotFoundOrForbidden
from asamblea.recordstore import export, pages, tree
from asamblea.recordstore.actions import access_organisation_record, latest_checkpoint
from asamblea.recordstore.models import RecordEntry
from asamblea.registry.models import Body, Organisation

PAGE_SIZE = 50


def _org(slug: str | None):  # type: ignore[no-untyped-def]
    try:
        return access_organisation_record(slug)
    except NotFoundOrForbidden as exc:
        raise Http404(_("No such organisation.")) from exc


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def entry_list(request: HttpRequest) -> HttpResponse:
    """Entries, newest first, filtered by organisation, body, type and date (query string)."""
    organisations = list(Organisation.objects.order_by("name"))
    slug = request.GET.get("org") or (organisations[0].slug if len(organisations) == 1 else "")
    # The list shows no entry's text: it is deferred (one entry can be many megabytes).
    rows = (
        RecordEntry.objects.select_related("organisation", "body")
        .defer("canonical")
        .order_by("-recorded_at", "-index")
    )
    org = None
    bodies: list = []
    if slug:
        org = next((o for o in organisations if o.slug == slug), None)
        if org is None:
            raise Http404(_("No such organisation."))
        rows = rows.filter(organisation=org).order_by("-index")
        bodies = list(Body.objects.filter(organisation=org).order_by("name"))
    body_code = request.GET.get("body") or ""
    if body_code and org is not None:
        rows = rows.filter(body__code=body_code)
    entry_type = request.GET.get("type") or ""
    if entry_type:
        rows = rows.filter(entry_type=entry_type)
    since, until = _date(request.GET.get("from")), _date(request.GET.get("to"))
    if since:
        rows = rows.filter(recorded_at__gte=dt.datetime.combine(since, dt.time(), dt.UTC))
    if until:
        rows = rows.filter(
            recorded_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "recordstore/list.html",
        {
            "page": page,
            "organisations": organisations,
            "org": org,
            "bodies": bodies,
            "filters": {
                "org": slug,
                "body": body_code,
                "type": entry_type,
                "from": since.isoformat() if since else "",
                "to": until.isoformat() if until else "",
            },
            "query": query.urlencode(),
        },
    )


def _start(value: str | None) -> int:
    try:
        return max(0, int(value or 0) - 1)
    except ValueError:
        return 0


def entry_detail(request: HttpRequest, slug: str, index: int) -> HttpResponse:
    """One entry with its inclusion proof. A large entry (published ballots, a close, a shuffle)
    is shown as a summary and one page of items (``?list=NAME&from=N``), never whole: the
    whole entry is its canonical bytes (:func:`entry_canonical`)."""
    org = _org(slug)
    entry = pages.entry_meta(org, index)
    if entry is None:
        raise Http404(_("No such entry."))
    checkpoint = latest_checkpoint(org)
    proof = None
    if checkpoint is not None and checkpoint.size > index:
        proof = [
            base64.b64encode(h).decode()
            for h in tree.inclusion_proof(org.pk, index, checkpoint.size)
        ]
    context: dict[str, Any] = {
        "org": org,
        "entry": entry,
        "leaf_hash_b64": base64.b64encode(bytes.fromhex(entry.leaf_hash)).decode(),
        "checkpoint": checkpoint,
        "proof": proof,
        "export_url": request.build_absolute_uri(f"/record/export/{org.slug}/"),
    }
    head = entry.head  # type: ignore[attr-defined]
    if len(head) <= pages.SMALL_CHARS:
        context["canonical"] = head
        context["pretty"] = json.dumps(
            json.loads(head), indent=2, ensure_ascii=False, sort_keys=True
        )
    elif entry.size <= pages.PAGED_MAX_BYTES:  # type: ignore[attr-defined]
        summary = pages.summarise(
            json.loads(pages.canonical_text(entry)),
            request.GET.get("list"),
            _start(request.GET.get("from")),
        )
        context["summary"] = summary
    else:
        context["head"] = head[: pages.HEAD_CHARS]
    return render(request, "recordstore/entry.html", context)


def entry_canonical(request: HttpRequest, slug: str, index: int) -> StreamingHttpResponse:
    """The entry's canonical bytes (RFC 8785), streamed: the SHA-256 of a zero byte followed by
    them is its leaf hash."""
    org = _org(slug)
    entry = RecordEntry.objects.only("pk").filter(organisation=org, index=index).first()
    if entry is None:
        raise Http404(_("No such entry."))
    response = StreamingHttpResponse(
        pages.canonical_parts(entry), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-{index}.json"'
    return response


def checkpoint_view(request: HttpRequest) -> HttpResponse:
    """The latest signed checkpoint (``?org=SLUG``; the only organisation by default)."""
    org = _org(request.GET.get("org"))
    checkpoint = latest_checkpoint(org)
    if checkpoint is None:
        raise Http404(_("No checkpoint yet."))
    return HttpResponse(checkpoint.note, content_type="text/plain; charset=utf-8")


def export_file(request: HttpRequest, name: str, slug: str | None = None) -> HttpResponse:
    """One file of the export layout (asamblea.recordstore.export), for ``asamblea verify URL``."""
    org = _org(slug or request.GET.get("org"))
    text = "text/plain; charset=utf-8"
    if name == "entries.jsonl":
        return StreamingHttpResponse(
            export.entry_lines(org), content_type="application/jsonl; charset=utf-8"
        )
    if name == "key.pub":
        return HttpResponse(export.key_pub(org), content_type=text)
    if name == "keys.pub":
        return HttpResponse(export.keys_pub(org), content_type=text)
    files = export.checkpoint_files(org)
    if name == "checkpoints/index.txt":
        return HttpResponse("".join(f"{n}\n" for n, _note in files), content_type=text)
    if name.startswith("checkpoints/"):
        wanted = name.removeprefix("checkpoints/")
        for file_name, note in files:
            if file_name == wanted:
                return HttpResponse(note, content_type=text)
    raise Http404(_("No such file."))
