"""WSGI entry point for the production server (uWSGI) and the harnesses."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
django.setup(set_prefix=False)

from asamblea.core.handlers import Application  # noqa: E402 - needs the settings above

# The API's requests skip the pages' middleware (asamblea.core.handlers).
application = Application()


def _warm() -> None:
    """Import the URL configuration (every view, and the API's schemas) now rather than on the
    first request: about a second of CPU that each worker, and each worker started after a
    crash, would otherwise spend while a voter waits. uWSGI's master does it once and forks warm
    workers. No database connection is left open to be inherited."""
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import is the point
    connections.close_all()


_warm()
