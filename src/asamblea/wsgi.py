"""WSGI entry point for production servers (gunicorn) and the demo server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
application = get_wsgi_application()
