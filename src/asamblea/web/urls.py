from django.urls import include, path

from asamblea.web import account, member, views

app_name = "web"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
    path("me/report/<int:election_id>/", views.report_misuse, name="report_misuse"),
    path("me/recall/<int:mandate_id>/", member.start_recall, name="start_recall"),
    path("me/petitions/<int:petition_id>/sign/", member.sign_petition, name="sign_petition"),
    path(
        "me/petitions/<int:petition_id>/withdraw/",
        member.withdraw_signature,
        name="withdraw_signature",
    ),
    path("elections/<int:election_id>/code/", member.check_code, name="check_code"),
    path("login/", account.login, name="login"),
    path("login/code/", account.login_code, name="login_code"),
    path("officer/login/", account.officer_login, name="officer_login"),
    path("logout/", account.logout, name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("approvals/", include("asamblea.web.approvals")),
]
