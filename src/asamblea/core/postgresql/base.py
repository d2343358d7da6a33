"""Django's PostgreSQL backend, with a cheaper check of a kept connection before reuse.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` at the start of every request that uses the
database: a round trip that cost as much as a whole cast once a cast became one statement
(docs/operations.md). Here the check first asks the kernel whether the idle connection's socket
has anything to read: a healthy idle connection has nothing, while a server that went away
(crashed, restarted, terminated the backend) has closed the socket or sent its goodbye, which
makes it readable. Only then is Django's ``SELECT 1`` run, so a dead connection is still found
before a request uses it, and a healthy one costs a system call instead of a round trip.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        try:
            poller = select.poll()
            poller.register(self.connection.fileno(), select.POLLIN | select.POLLPRI)
            pending = poller.poll(0)
        except (OSError, ValueError, base.Database.Error):  # closed, or known to be broken
            return False
        if not pending:
            return True
        return bool(super().is_usable())
