"""A missing optional-looking dependency is reported as what it is, never as bad input."""

from __future__ import annotations

import io
import sys

import openpyxl
import pytest

from ocops.errors import ConfigError
from ocops.ingest.reader import read_table

MISSING_CALAMINE = (
    "Cannot read ops.xlsx: reading .xlsx workbooks needs the python-calamine package, which is not installed "
    "here. Install ocops with its dependencies (pip install -r requirements.txt), or save the file as .csv."
)


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["operation", "date", "country", "crime_area", "arrests"])
    sheet.append(["Op A", "2019-03-01", "France", "Drug trafficking", 5])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_without_the_excel_reader_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _workbook()
    assert read_table(data, "ops.xlsx").frame.shape == (1, 5)  # readable with the reader installed
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # `import python_calamine` now fails
    with pytest.raises(ConfigError) as refused:
        read_table(data, "ops.xlsx")
    assert str(refused.value) == MISSING_CALAMINE
