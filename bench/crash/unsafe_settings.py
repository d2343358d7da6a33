"""Settings for the crash test's negative run only: synchronous commit OFF on every connection.

Never use this anywhere else. It exists to show that the crash test catches the loss of
acknowledged ballots when commits are acknowledged before they are durable.
"""

from asamblea.settings import *  # noqa: F403
from asamblea.settings import DATABASES

DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
