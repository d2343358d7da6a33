"""Export of a unit's register: two officers' act, logged (see ``check_export_members``)."""

from __future__ import annotations

import io
from typing import Any

from asamblea.core.csvsafe import SafeDictWriter
from asamblea.registry.actions.members import check_export_members
from asamblea.registry.importing import COLUMNS
from asamblea.registry.models import Organisation


def rows_to_csv(rows: list[dict[str, str]]) -> str:
    """Rows in the import format; cells that a spreadsheet would run as a formula start with '."""
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def export_unit_csv(
    user: Any, organisation: Organisation, unit_code: str, *, second_officer: Any
) -> str:
    """The unit's current register as CSV, if both officers are registrars or election officers.

    Raises ``NotFoundOrForbidden`` (same answer for a missing unit and a refused officer).
    """
    _unit, rows = check_export_members(user, second_officer, organisation, unit_code)
    return rows_to_csv(rows)
