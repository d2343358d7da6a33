from django.apps import AppConfig


class ElectionsConfig(AppConfig):
    name = "asamblea.elections"
    label = "elections"
    verbose_name = "Elections"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from asamblea.elections.models import Election

        post_save.connect(_forget_kept, sender=Election, dispatch_uid="elections-forget-kept")

        # The trustees' decryption of a sealed vote's tally completes in our handler.
        from asamblea.elections.actions import sealing

        sealing.register()


def _forget_kept(sender: object, instance: object, **kwargs: object) -> None:
    """A saved election (a state change, a rename) is no longer served from this process's
    kept copies (see ``asamblea.core.kept``)."""
    from asamblea.elections import actions, api

    pk = getattr(instance, "pk", None)
    actions.BALLOT_BOXES.forget(pk)
    api.OPEN_DETAILS.forget(pk)
