from django.apps import AppConfig


class RecordStoreConfig(AppConfig):
    name = "asamblea.recordstore"
    label = "recordstore"
    verbose_name = "Public record"

    def ready(self) -> None:
        # core's action context writes record entries through this (core imports no app).
        from asamblea.core.action import set_record_writer
        from asamblea.recordstore.append import append, sign_before_commit

        set_record_writer(append, sign_before_commit)
