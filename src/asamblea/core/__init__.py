"""Cross-cutting pieces: the audit log, the notification outbox, errors, clocks."""
