"""``/console/``: the officers' console. The chair's pages live in :mod:`.sessions`."""

from django.urls import include, path

app_name = "console"

urlpatterns = [
    path("sessions/", include("asamblea.console.sessions.urls")),
]
