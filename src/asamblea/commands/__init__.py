"""Sub-commands of ``asamblea``. Each module has ``HELP``, ``DESCRIPTION``, ``configure(parser)``
and ``run(args) -> int``; modules must not import Django at import time (``count`` and ``verify``
run without Django), so Django commands call :func:`asamblea.commands.django_setup` in ``run``.
"""

from __future__ import annotations

import os


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
    import django

    django.setup()


class UsageError(Exception):
    """Bad usage: exit status 2."""


class InputError(Exception):
    """Bad input (``FILE:LINE: message``): exit status 1."""
