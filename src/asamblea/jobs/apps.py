from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _queue_schema(sender: Any, **kwargs: Any) -> None:
    """`asamblea migrate` also creates Procrastinate's tables when the queue is configured, so an
    application server can enqueue before the first worker starts."""
    from asamblea.jobs.runner import queue_backend

    if queue_backend() == "procrastinate":
        from asamblea.jobs.worker import apply_schema

        apply_schema()


class JobsConfig(AppConfig):
    name = "asamblea.jobs"
    label = "jobs"
    verbose_name = "Asamblea jobs"

    def ready(self) -> None:
        # The job kinds register themselves on import.
        from asamblea.jobs import outbox  # noqa: F401
        from asamblea.jobs.runner import DEFERRERS
        from asamblea.jobs.worker import defer_chunks

        DEFERRERS["procrastinate"] = defer_chunks

        from asamblea.core import outbox as core_outbox

        core_outbox.deliver_large_batch = outbox.deliver_batch

        post_migrate.connect(_queue_schema, sender=self)
