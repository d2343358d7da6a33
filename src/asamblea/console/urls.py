"""``/console/``: the officers' console. The chair's pages live in :mod:`.sessions`."""

from django.urls import include, path

from asamblea.console.views import dashboard, elections, recall, registers, tokens

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("sessions/", include("asamblea.console.sessions.urls")),
    path("tokens/", tokens.tokens, name="tokens"),
    path("tokens/new", tokens.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke", tokens.token_revoke, name="token_revoke"),
    # registers
    path("o/<slug:slug>/", registers.organisation, name="organisation"),
    path("o/<slug:slug>/imports/new", registers.import_upload, name="import_upload"),
    path("imports/<int:job_id>/", registers.import_job, name="import"),
    path("imports/<int:job_id>/apply", registers.import_apply, name="import_apply"),
    path("imports/<int:job_id>/discard", registers.import_discard, name="import_discard"),
    path("o/<slug:slug>/u/<str:code>/", registers.unit, name="unit"),
    path("o/<slug:slug>/u/<str:code>/members/new", registers.member_add, name="member_add"),
    path("o/<slug:slug>/u/<str:code>/freeze", registers.freeze, name="freeze"),
    path("o/<slug:slug>/m/<str:public_id>/", registers.member, name="member"),
    path("o/<slug:slug>/m/<str:public_id>/edit", registers.member_edit, name="member_edit"),
    path(
        "o/<slug:slug>/m/<str:public_id>/transfer",
        registers.member_transfer,
        name="member_transfer",
    ),
    path("o/<slug:slug>/m/<str:public_id>/end", registers.member_end, name="member_end"),
    path("o/<slug:slug>/b/<str:code>/seats/", registers.seats, name="seats"),
    path("o/<slug:slug>/b/<str:code>/seats/apply", registers.apportion, name="apportion"),
    # elections
    path("o/<slug:slug>/elections/", elections.election_list, name="elections"),
    path("o/<slug:slug>/elections/new", elections.election_create, name="election_create"),
    path("elections/<int:election_id>/", elections.election, name="election"),
    path("elections/<int:election_id>/nominate", elections.nominate, name="nominate"),
    path(
        "elections/<int:election_id>/candidates/<str:key>/withdraw",
        elections.withdraw,
        name="candidate_withdraw",
    ),
    path("elections/<int:election_id>/step/<str:name>", elections.step, name="election_step"),
    path("elections/<int:election_id>/cards", elections.cards_propose, name="cards_propose"),
    path(
        "elections/<int:election_id>/cards/<int:approval_id>",
        elections.cards_take,
        name="cards_take",
    ),
    # recall
    path("o/<slug:slug>/recalls/", recall.recall_list, name="recalls"),
    path("recalls/<int:petition_id>/", recall.recall, name="recall"),
    path("recalls/<int:petition_id>/sign", recall.sign, name="recall_sign"),
    path("recalls/<int:petition_id>/teller", recall.teller, name="recall_teller"),
]
