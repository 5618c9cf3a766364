"""Exports: JSON verbatim; CSV and XLSX with formula-like text neutralised (OWASP), numbers kept as numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pandas as pd
import pytest

from ocops import export

TEXTS = ['=HYPERLINK("x")', "+1 555", "-DIRCOTE", "@SUM(A1)", "\tindent", "\rreturn", "plain", "multi\nline",
         'He said "stop"', "Côte d'Ivoire ✓ 東京", " =not first", ""]


def frame() -> pd.DataFrame:
    """A small export frame with text of every awkward kind and negative coordinates."""
    return pd.DataFrame({
        "record_id": [f"R{i}" for i in range(len(TEXTS))],
        "notes": TEXTS,
        "date": [dt.date(2018, 12, 3)] * len(TEXTS),
        "end_date": [None] * len(TEXTS),
        "latitude": [-12.046] * len(TEXTS),
        "longitude": [-74.07] * len(TEXTS),
        "arrests": [3] * len(TEXTS),
        "seized_value_usd": [1200.5] * len(TEXTS),
    }).astype(object)


@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("x")', '\'=HYPERLINK("x")'), ("+1", "'+1"), ("-x", "'-x"), ("@x", "'@x"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("x=1", "x=1"), (" =x", " =x"), ("", ""),
    (-74.07, -74.07), (-3, -3), (None, None),
])
def test_neutralise(value: object, expected: object) -> None:
    assert export.neutralise(value) == expected


def test_json_keeps_every_text_verbatim() -> None:
    rows = json.loads(export.to_json(frame()))
    assert [row["notes"] for row in rows] == TEXTS
    assert rows[0] == {"record_id": "R0", "notes": '=HYPERLINK("x")', "date": "2018-12-03", "end_date": None,
                       "latitude": -12.046, "longitude": -74.07, "arrests": 3, "seized_value_usd": 1200.5}


def test_csv_neutralises_text_and_keeps_numbers() -> None:
    text = export.to_csv(frame())
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["notes"] for row in rows] == [
        '\'=HYPERLINK("x")', "'+1 555", "'-DIRCOTE", "'@SUM(A1)", "'\tindent", "'\rreturn", "plain", "multi\nline",
        'He said "stop"', "Côte d'Ivoire ✓ 東京", " =not first", ""]
    first = rows[0]
    assert (first["latitude"], first["longitude"], first["arrests"], first["seized_value_usd"]) == (
        "-12.046", "-74.07", "3", "1200.5")
    assert (first["date"], first["end_date"]) == ("2018-12-03", "")
    assert text.startswith("record_id,notes,date,end_date,latitude,longitude,arrests,seized_value_usd\r\n")
    assert len(rows) == len(TEXTS)  # a carriage return or newline inside a cell does not split its row


def test_xlsx_neutralises_text_and_keeps_numbers() -> None:
    data, truncated = export.to_xlsx(frame())
    assert truncated is False
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header == ["record_id", "notes", "date", "end_date", "latitude", "longitude", "arrests", "seized_value_usd"]
    second = [cell.value for cell in sheet[2]]
    assert second[1] == '\'=HYPERLINK("x")'
    assert sheet.cell(row=2, column=2).data_type == "s"  # stored as text, not a formula
    assert (second[4], second[5], second[6], second[7]) == (-12.046, -74.07, 3, 1200.5)
    assert sheet.cell(row=4, column=2).value == "'-DIRCOTE"
    assert sheet.cell(row=9, column=2).value == "multi\nline"
