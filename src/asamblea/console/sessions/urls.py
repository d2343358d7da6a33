"""The chair's console: agenda, attendance, motions, divisions, resolutions, minutes.

Read pages are in :mod:`.pages`; every form posts to :mod:`.posts`. The permission matrix test
(tests/integration/test_permission_matrix.py) fails when a form here has no row in its table.
"""

from django.urls import path

from asamblea.console.sessions import pages, posts

app_name = "sessions"

S = "<int:session_id>/"

urlpatterns = [
    path("", pages.index, name="index"),
    path("schedule", posts.schedule, name="schedule"),
    path(S, pages.session_console, name="session"),
    path(S + "attendance/", pages.attendance, name="attendance"),
    path(S + "open", posts.open_session, name="open"),
    path(S + "close", posts.close_session, name="close"),
    path(S + "attendance/mark", posts.attend, name="attend"),
    path(S + "attendance/depart", posts.depart, name="depart"),
    path(S + "attendance/all", posts.attend_all, name="attend_all"),
    path(S + "motions", posts.propose, name="propose"),
    path(S + "motions/<int:motion_id>/withdraw", posts.withdraw, name="withdraw"),
    path(S + "motions/<int:motion_id>/division", posts.open_division, name="open_division"),
    path(S + "divisions/<int:division_id>/close", posts.close_division, name="close_division"),
    path(S + "divisions/<int:division_id>/vote", posts.record_vote, name="record_vote"),
    path(
        S + "resolutions/<int:resolution_id>/status",
        posts.resolution_status,
        name="resolution_status",
    ),
]
