from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "asamblea.console"
    label = "console"
    verbose_name = "Officers' console"
