from django.apps import AppConfig


class AssembliesConfig(AppConfig):
    name = "asamblea.assemblies"
    label = "assemblies"
    verbose_name = "Assemblies"
