"""Issue 16: CSV formula injection. A member named ``=HYPERLINK(...)`` came out as is in the
register export and the public minutes CSV, and ran when an officer opened the file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from asamblea.core.csvsafe import neutralise
from asamblea.registry.exporting import rows_to_csv
from asamblea.registry.importing import COLUMNS


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_with_a_formula_character_is_prefixed_with_a_quote(start):
    assert neutralise(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


def test_ordinary_cells_and_numbers_are_left_alone():
    assert neutralise("Ana Quispe") == "Ana Quispe"
    assert neutralise(3) == 3 and neutralise("") == ""


def test_the_register_export_neutralises_a_formula_in_a_name():
    row = dict.fromkeys(COLUMNS, "")
    name_column = next(c for c in COLUMNS if "name" in c)
    row[name_column] = '=HYPERLINK("http://evil.example","x")'
    out = list(csv.DictReader(io.StringIO(rows_to_csv([row]))))
    assert out[0][name_column] == '\'=HYPERLINK("http://evil.example","x")'


def test_the_minutes_csv_goes_through_the_safe_writer():
    from asamblea.assemblies import minutes

    source = Path(minutes.__file__).read_text(encoding="utf-8")
    assert "csv.writer(" not in source and "SafeWriter(" in source


def test_an_exported_register_reads_back_as_written(tmp_path):
    # The quote that keeps a phone number "+51 ..." from being a formula must not stay in the
    # register when the export is imported again.
    from asamblea.registry.importing import read_table

    row = dict.fromkeys(COLUMNS, "")
    phone_column = next(c for c in COLUMNS if "phone" in c)
    row[phone_column] = "+51 987 654 321"
    path = tmp_path / "register.csv"
    path.write_text(rows_to_csv([row]), encoding="utf-8")
    header, cells = [cells for _line, cells in read_table(path)]
    assert "'+51 987 654 321" in path.read_text(encoding="utf-8")
    assert cells[header.index(phone_column)] == "+51 987 654 321"
