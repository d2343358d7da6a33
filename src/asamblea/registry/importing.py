"""Reading and validating member files (CSV, XLSX) before anything is written.

The header is ``unit_code,member_ref,display_name,phone,email,joined_on`` (any column order;
extra columns are refused). ``member_ref`` is the match key, unique per organisation. Every row
is checked first; a file with any error is rejected whole, with every error (up to a cap) as
``FILE:LINE: field: message``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from asamblea.core.csvsafe import restore
from asamblea.registry.actions import MemberRow
from asamblea.registry.models import Body, Organisation

COLUMNS = ("unit_code", "member_ref", "display_name", "phone", "email", "joined_on")
REQUIRED = ("unit_code", "member_ref", "display_name", "joined_on")
MAX_LENGTHS = {"member_ref": 64, "display_name": 200, "phone": 32, "email": 254, "unit_code": 80}
# Digits with optional leading +, spaces, dashes, dots and brackets; 6 to 15 digits (E.164).
PHONE_RE = re.compile(r"^\+?[0-9 ().-]+$")
_email = EmailValidator()


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def format(self, filename: str) -> str:
        return f"{filename}:{self.line}: {self.field}: {self.message}"


class FileRejected(Exception):
    """The file has errors; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def read_table(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each row of a CSV or XLSX file, header included (line 1)."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        yield from _read_xlsx(path)
        return
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        for cells in reader:
            # Cells our own exports neutralised against formulas ('+51...) read back as written.
            yield reader.line_num, [restore(cell) for cell in cells]


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = []
            for value in values:
                if value is None:
                    cells.append("")
                elif isinstance(value, dt.datetime):
                    cells.append(value.date().isoformat())
                elif isinstance(value, dt.date):
                    cells.append(value.isoformat())
                elif isinstance(value, float) and value.is_integer():
                    cells.append(str(int(value)))
                else:
                    cells.append(str(value))
            while cells and cells[-1] == "":
                cells.pop()
            yield number, cells
    finally:
        book.close()


def validate_file(
    path: Path, organisation: Organisation, *, max_errors: int = 10_000
) -> list[MemberRow]:
    """Parse and check every row; raise :class:`FileRejected` with all errors, else the rows."""
    units = {
        code: (kind, dissolved is not None)
        for code, kind, dissolved in Body.objects.filter(organisation=organisation).values_list(
            "code", "kind", "dissolved_at"
        )
    }
    errors: list[RowError] = []
    rows: list[MemberRow] = []
    seen_refs: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    table = read_table(path)
    header_line, header = next(table, (1, []))
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    extra = [n for n in names if n not in COLUMNS]
    if missing or extra or len(set(names)) != len(names):
        detail = []
        if missing:
            detail.append("missing " + ", ".join(missing))
        if extra:
            detail.append("unknown " + ", ".join(e or "(empty)" for e in extra))
        if len(set(names)) != len(names):
            detail.append("a column appears twice")
        raise FileRejected(
            [RowError(header_line, "header", f"expected {','.join(COLUMNS)}: " + "; ".join(detail))]
        )
    index = {name: i for i, name in enumerate(names)}
    for line, cells in table:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            errors.append(RowError(line, "row", f"{len(cells)} cells, expected {len(names)}"))
            continue
        values = {c: (cells[index[c]].strip() if index[c] < len(cells) else "") for c in COLUMNS}
        row_errors = _check_row(line, values, units)
        ref = values["member_ref"]
        if ref and ref in seen_refs:
            row_errors.append(
                RowError(line, "member_ref", f"{ref!r} already appears on line {seen_refs[ref]}")
            )
        elif ref:
            seen_refs[ref] = line
        email = values["email"].lower()
        if email and email in seen_emails:
            row_errors.append(
                RowError(line, "email", f"already appears on line {seen_emails[email]}")
            )
        elif email:
            seen_emails[email] = line
        if row_errors:
            errors.extend(row_errors)
            if len(errors) >= max_errors:
                break
            continue
        rows.append(
            MemberRow(
                line=line,
                unit_code=values["unit_code"],
                member_ref=ref,
                display_name=values["display_name"],
                phone=values["phone"],
                email=values["email"],
                joined_on=dt.date.fromisoformat(values["joined_on"]),
            )
        )
    if errors:
        raise FileRejected(errors)
    return rows


def _check_row(
    line: int, values: dict[str, str], units: dict[str, tuple[str, bool]]
) -> list[RowError]:
    errors: list[RowError] = []
    for name in REQUIRED:
        if not values[name]:
            errors.append(RowError(line, name, "required"))
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            errors.append(RowError(line, name, f"longer than {limit} characters"))
    code = values["unit_code"]
    if code:
        unit = units.get(code)
        if unit is None:
            errors.append(RowError(line, "unit_code", f"no unit {code!r} in this organisation"))
        elif unit[0] not in Body.BASE_UNIT_KINDS:
            errors.append(RowError(line, "unit_code", f"{code!r} is not a base unit"))
        elif unit[1]:
            errors.append(RowError(line, "unit_code", f"{code!r} is dissolved"))
    joined = values["joined_on"]
    if joined:
        try:
            date = dt.date.fromisoformat(joined)
            if len(joined) != 10:
                raise ValueError(joined)
        except ValueError:
            errors.append(RowError(line, "joined_on", f"{joined!r} is not a date YYYY-MM-DD"))
        else:
            if date > dt.datetime.now(dt.UTC).date():
                errors.append(RowError(line, "joined_on", "is in the future"))
    email = values["email"]
    if email:
        try:
            _email(email)
        except ValidationError:
            errors.append(RowError(line, "email", f"{email!r} is not an email address"))
    phone = values["phone"]
    if phone:
        digits = sum(ch.isdigit() for ch in phone)
        if not PHONE_RE.match(phone) or not 6 <= digits <= 15:
            errors.append(RowError(line, "phone", f"{phone!r} is not a phone number"))
    return errors
