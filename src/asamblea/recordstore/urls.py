from django.urls import path, re_path

from asamblea.recordstore import views

app_name = "recordstore"

EXPORT_FILE = (
    r"(?P<name>entries\.jsonl|keys?\.pub|checkpoints/[0-9]+(?:\.[0-9]+)?|checkpoints/index\.txt)"
)

urlpatterns = [
    path("", views.entry_list, name="list"),
    path("checkpoint", views.checkpoint_view, name="checkpoint"),
    re_path(rf"^export/{EXPORT_FILE}$", views.export_file, name="export"),
    re_path(
        rf"^export/(?P<slug>[-a-zA-Z0-9_]+)/{EXPORT_FILE}$",
        views.export_file,
        name="export-org",
    ),
    path("<slug:slug>/<int:index>/", views.entry_detail, name="entry"),
    path("<slug:slug>/<int:index>/entry.json", views.entry_canonical, name="entry-canonical"),
]
