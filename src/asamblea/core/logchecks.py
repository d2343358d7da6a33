"""A deploy check: PostgreSQL's logging must not write statements, which can carry secrets.

With PostgreSQL's defaults (``log_min_error_statement = error``) a failed statement is written to
the server's log in full, and ``log_statement``, ``log_min_duration_statement`` or the logging of
bound parameters would write others: a ballot, a voting code's HMAC, a submission key's hash, with a
time (issue 18; docs/operations.md sets them for the application's role). Run with the database:

    asamblea manage check --deploy --database default

It reads the settings the application's own sessions get (server, database and role defaults
together), so an ``ALTER ROLE ... SET`` is what it sees.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import connections

# name -> (what it must be, why)
SAFE = {
    "log_statement": ("none", "every statement (or every write) is logged with its values"),
    "log_min_error_statement": ("panic", "a failed statement is logged with its values"),
    "log_min_duration_statement": ("-1", "statements slower than a bound are logged in full"),
    "log_parameter_max_length_on_error": ("0", "bound values of a failed statement are logged"),
}
HINT = (
    "as a superuser: ALTER ROLE <the application's role> SET {name} = '{value}'; then reconnect "
    "(docs/operations.md, 'Logs that keep no ballot')"
)


def _unsafe(settings: dict[str, str]) -> list[tuple[str, str, str, str]]:
    out = []
    for name, (value, why) in SAFE.items():
        current = settings.get(name)
        if current is not None and current != value:
            out.append((name, current, value, why))
    return out


@register(Tags.database, deploy=True)
def postgresql_logs_keep_no_statement(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cur:
            cur.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(SAFE)])
            settings = dict(cur.fetchall())
        for name, current, value, why in _unsafe(settings):
            messages.append(
                Warning(
                    f"PostgreSQL {name} is {current!r} for this application's sessions: {why}, "
                    "ballots and codes included",
                    hint=HINT.format(name=name, value=value),
                    obj=f"database {alias!r}",
                    id="asamblea.W001",
                )
            )
    return messages
