from django.urls import path  # noqa: F401 - the chair's pages are added here

app_name = "sessions"

urlpatterns: list = []
