from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from asamblea.registry.models import Organisation


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "web/home.html", {"organisations": Organisation.objects.order_by("name")}
    )
