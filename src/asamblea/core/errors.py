"""Errors that actions raise; views, the API and the CLI turn them into messages."""

from __future__ import annotations


class ActionError(Exception):
    """A state change was refused. Nothing was written.

    ``field`` names the input at fault when there is one (API: ``{"detail", "field"}``).
    """

    def __init__(self, detail: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.code = code


class NotFoundOrForbidden(ActionError):
    """Same answer for "missing" and "forbidden", so that probing reveals nothing."""

    def __init__(self, what: str = "object") -> None:
        super().__init__(f"{what} not found", code="not_found")


class BlockingIssues(ActionError):
    """A state machine may not move: the list says why."""

    def __init__(self, issues: list[str]) -> None:
        super().__init__("; ".join(issues), code="blocked")
        self.issues = issues
