"""A unit's register as CSV, in the import format. Exporting is a two-person step: the rows come
from an approved proposal (``registry.actions.members.check_propose_export_members``)."""

from __future__ import annotations

import io

from asamblea.core.csvsafe import SafeDictWriter
from asamblea.registry.importing import COLUMNS


def rows_to_csv(rows: list[dict[str, str]]) -> str:
    """Rows in the import format; cells that a spreadsheet would run as a formula start with '."""
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
