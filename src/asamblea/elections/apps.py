from django.apps import AppConfig


class ElectionsConfig(AppConfig):
    name = "asamblea.elections"
    label = "elections"
    verbose_name = "Elections"
