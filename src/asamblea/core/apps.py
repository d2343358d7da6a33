from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "asamblea.core"
    label = "core"
    verbose_name = "Asamblea core"

    def ready(self) -> None:
        # Quechua and Aymara are unknown to Django: register them so a catalogue is all they need.
        from django.conf import settings
        from django.conf.locale import LANG_INFO

        for code, info in getattr(settings, "EXTRA_LANG_INFO", {}).items():
            LANG_INFO.setdefault(code, info)

        # The deploy check of PostgreSQL's log settings (asamblea manage check --deploy --database).
        from asamblea.core import logchecks  # noqa: F401
