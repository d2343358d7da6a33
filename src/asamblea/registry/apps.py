from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "asamblea.registry"
    label = "registry"
    verbose_name = "Registry"
