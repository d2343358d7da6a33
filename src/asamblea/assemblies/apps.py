from django.apps import AppConfig


class AssembliesConfig(AppConfig):
    name = "asamblea.assemblies"
    label = "assemblies"
    verbose_name = "Assemblies"

    def ready(self) -> None:
        # A unit's instruction vote is an election: its decryption and count publish the
        # instruction (asamblea.elections.hooks), whichever process completes them.
        from asamblea.assemblies.actions import instructions  # noqa: F401
