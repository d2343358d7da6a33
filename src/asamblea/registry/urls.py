from django.urls import path

from asamblea.registry import views

app_name = "registry"

urlpatterns = [
    path("o/<slug:slug>/", views.organisation, name="organisation"),
    path("o/<slug:slug>/units/", views.units, name="units"),
    path("o/<slug:slug>/b/<str:code>/", views.body, name="body"),
]
