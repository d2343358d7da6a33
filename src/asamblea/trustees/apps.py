from django.apps import AppConfig


class TrusteesConfig(AppConfig):
    name = "asamblea.trustees"
    label = "trustees"
    verbose_name = "Trustees"

    def ready(self) -> None:
        # Registers the approval kind "trustees.create_board" (two officers name a board).
        from asamblea.trustees.actions import boards  # noqa: F401
