from django.apps import AppConfig


class RecordStoreConfig(AppConfig):
    name = "asamblea.recordstore"
    label = "recordstore"
    verbose_name = "Public record"
