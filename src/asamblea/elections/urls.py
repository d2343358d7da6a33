from django.urls import path

from asamblea.elections import views

app_name = "elections"

urlpatterns = [
    path("", views.election_list, name="list"),
    path("<int:pk>/", views.election_detail, name="detail"),
    # The casting URL: never logged (asamblea.elections.secrecy.DropCastingRequests).
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("recalls/", views.recall_list, name="recall_list"),
    path("recalls/<int:pk>/", views.recall_detail, name="recall_detail"),
]
