from django.urls import path

from asamblea.trustees import views

app_name = "trustees"

urlpatterns = [
    path("", views.board_list, name="list"),
    path("me/", views.my_steps, name="me"),
    path("new/", views.propose, name="propose"),
    path("<int:pk>/", views.board_detail, name="detail"),
]
