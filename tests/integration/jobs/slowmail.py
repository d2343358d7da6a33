"""A mail backend for the worker-kill test: each message takes a moment and is appended, one
recipient per line, to the file named by ASAMBLEA_TEST_MAIL_LOG (flushed before returning, so a
message counted here is one the transport accepted)."""

from __future__ import annotations

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        path = os.environ["ASAMBLEA_TEST_MAIL_LOG"]
        for message in email_messages:
            time.sleep(0.02)
            with open(path, "a", encoding="utf-8") as log:
                log.write(",".join(message.to) + "\n")
                log.flush()
                os.fsync(log.fileno())
        return len(email_messages)
