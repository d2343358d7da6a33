from django.contrib import admin
from django.urls import include, path

from asamblea.api.main import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("elections/", include("asamblea.elections.urls")),
    path("assemblies/", include("asamblea.assemblies.urls")),
    path("record/", include("asamblea.recordstore.urls")),
    path("trustees/", include("asamblea.trustees.urls")),
    path("console/", include("asamblea.console.urls")),
    path("", include("asamblea.registry.urls")),
    path("", include("asamblea.web.urls")),
]
