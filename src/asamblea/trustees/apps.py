from django.apps import AppConfig


class TrusteesConfig(AppConfig):
    name = "asamblea.trustees"
    label = "trustees"
    verbose_name = "Trustees"
