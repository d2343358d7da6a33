from django.contrib import admin
from django.urls import include, path

from asamblea.api.main import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("asamblea.web.urls")),
]
