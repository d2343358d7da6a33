from django.urls import path

from asamblea.assemblies import views

app_name = "assemblies"

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/attendance/", views.session_attendance, name="attendance"),
    path("sessions/<int:session_id>/minutes.pdf", views.session_minutes_pdf, name="minutes_pdf"),
    path("sessions/<int:session_id>/minutes.csv", views.session_minutes_csv, name="minutes_csv"),
    path("sessions/<int:session_id>/projector/", views.projector, name="projector"),
    path("divisions/<int:division_id>/", views.division_detail, name="division"),
    path("divisions/<int:division_id>/vote/", views.division_vote, name="vote"),
    path("divisions/<int:division_id>/tally", views.division_tally, name="division_tally"),
    path("bodies/<int:body_id>/resolutions/", views.body_resolutions, name="resolutions"),
    path("delegates/<slug:public_id>/", views.delegate_detail, name="delegate"),
]
