from django.urls import include, path

from asamblea.web import account, views

app_name = "web"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
    path("me/report/<int:election_id>/", views.report_misuse, name="report_misuse"),
    path("login/", account.login, name="login"),
    path("login/code/", account.login_code, name="login_code"),
    path("officer/login/", account.officer_login, name="officer_login"),
    path("logout/", account.logout, name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("approvals/", include("asamblea.web.approvals")),
]
