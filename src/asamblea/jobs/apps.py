from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "asamblea.jobs"
    label = "jobs"
    verbose_name = "Asamblea jobs"

    def ready(self) -> None:
        # The job kinds register themselves on import.
        from asamblea.jobs import outbox  # noqa: F401
