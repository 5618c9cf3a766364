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
    workbook = export.to_xlsx(frame())
    assert workbook.truncated is False and workbook.notes == []
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).active
    assert sheet is not None and sheet.title == "Records"
    header = [cell.value for cell in sheet[1]]
    assert header == ["Record id", "Notes", "Date", "End date", "Latitude", "Longitude", "Arrests",
                      "Seized value (USD)"]
    second = [cell.value for cell in sheet[2]]
    assert second[1] == '\'=HYPERLINK("x")'
    assert sheet.cell(row=2, column=2).data_type == "s"  # stored as text, not a formula
    assert (second[4], second[5], second[6], second[7]) == (-12.046, -74.07, 3, 1200.5)
    assert sheet.cell(row=4, column=2).value == "'-DIRCOTE"
    assert sheet.cell(row=9, column=2).value == "multi\nline"


# --- Issue 13 / 17.6: a workbook a manager can hand on, and no silent failure ---------------------------

def records_frame() -> pd.DataFrame:
    """Two records as ``queries.records`` returns them: dates as dates, numbers as numbers."""
    return pd.DataFrame({
        "record_id": ["R1", "R2"], "operation": ["Operation Andes", "Operation Trigger"],
        "date": [dt.date(2018, 12, 31), dt.date(2018, 6, 18)], "end_date": [None, dt.date(2018, 6, 20)],
        "country": ["ESP", "ITA"], "country_name": ["Spain", "Italy"], "arrests": [5, 11],
        "seized_value_usd": [0.0, 1234.5], "notes": ["ok", "fine"], "region": ["Europe", "Europe"],
        "batch_id": [1, 1],
    }).astype(object)


ABOUT = {"Filter": "Europe · 1 Jan 2018 – 31 Dec 2018", "Period": "1 Jan 2018 – 31 Dec 2018",
         "Scope": "All records", "Data version": "7", "Exported": "2026-12-01 10:00 UTC"}


def test_xlsx_has_human_headers_real_dates_frozen_header_autofilter_and_an_about_sheet() -> None:
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(records_frame(), ABOUT).data))
    assert book.sheetnames == ["Records", "About"]
    sheet = book["Records"]
    assert [c.value for c in sheet[1]] == ["Record id", "Operation", "Date", "End date", "Country",
                                           "Country name", "Arrests", "Seized value (USD)", "Notes", "Region",
                                           "Batch"]
    assert sheet["C2"].is_date and sheet["C2"].value.date() == dt.date(2018, 12, 31)
    assert sheet["D2"].value is None and sheet["D3"].value.date() == dt.date(2018, 6, 20)
    assert sheet["C2"].number_format.lower() == "yyyy-mm-dd"
    assert (sheet["G3"].value, sheet["H3"].value, sheet["K2"].value) == (11, 1234.5, 1)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:K3"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCK"}
    assert widths["B"] >= len("Operation Trigger") and widths["C"] >= len("2018-12-31")
    assert all(6 <= w <= 60 for w in widths.values())
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert about["Filter"] == "Europe · 1 Jan 2018 – 31 Dec 2018"
    assert about["Scope"] == "All records" and about["Data version"] == "7"
    assert about["Exported"] == "2026-12-01 10:00 UTC" and about["Records"] == 2


def test_xlsx_replaces_control_characters_instead_of_failing_and_says_so() -> None:
    rows = records_frame()
    rows.loc[0, "notes"] = "tab\x0bvertical and \x1b[31mescape"
    workbook = export.to_xlsx(rows, ABOUT)
    book = openpyxl.load_workbook(io.BytesIO(workbook.data))
    assert book["Records"]["I2"].value == "tab\ufffdvertical and \ufffd[31mescape"
    assert workbook.notes == [("1 cell held control characters that Excel cannot store; each was replaced "
                               "by \ufffd.")]
    about = [row for row in book["About"].iter_rows(values_only=True)]
    assert ("Note", workbook.notes[0]) in about
    assert book.active.title == "About"  # the workbook opens on the note


def test_xlsx_cuts_cells_over_excels_limit_visibly() -> None:
    rows = records_frame()
    rows.loc[1, "notes"] = "x" * 40_000
    workbook = export.to_xlsx(rows, ABOUT)
    cell = openpyxl.load_workbook(io.BytesIO(workbook.data))["Records"]["I3"].value
    assert len(cell) == 32_767 and cell.endswith("[cut]")
    assert workbook.notes == [("1 cell was longer than Excel's 32,767 characters and was cut (marked [cut]); "
                               "the CSV download holds the full text.")]


@pytest.mark.parametrize("text", [";=1+1;", "a;=HYPERLINK(\"x\")", "a,+1", "x|-2", "a\t@SUM(A1)", "a;\"=1+1\"",
                                  "line\n=1+1", "line\r\n-1"])
def test_csv_neutralises_formulas_after_a_delimiter_for_spreadsheets_that_split_differently(text: str) -> None:
    csv_text = export.to_csv(pd.DataFrame({"notes": [text], "arrests": [3]}).astype(object))
    for line in csv_text.replace("\r\n", "\n").split("\n"):
        for separator in (";", ",", "\t", "|"):
            for part in line.split(separator):
                assert not part.lstrip('"').startswith(("=", "+", "-", "@")), (text, csv_text)
    assert list(csv.reader(io.StringIO(csv_text, newline="")))[1][1] == "3"


def test_file_name_carries_the_filter_and_the_day() -> None:
    from ocops.queries import Filter

    flt = Filter(regions=("Europe",), countries=("FRA",), crime_areas=("Drug trafficking",),
                 since=dt.date(2018, 1, 1), until=dt.date(2018, 12, 31))
    assert export.file_name("records", flt, "csv", dt.date(2026, 12, 1)) == (
        "ocops-records_europe_fra_drug-trafficking_2018-01-01-to-2018-12-31_2026-12-01.csv")
    assert export.file_name("briefing", Filter(), "pdf", dt.date(2026, 12, 1)) == (
        "ocops-briefing_all-records_all-time_2026-12-01.pdf")
    many = Filter(operations=tuple(f"Operation {i:03d} with a long name" for i in range(40)))
    assert len(export.file_name("records", many, "csv", dt.date(2026, 12, 1))) <= 150
