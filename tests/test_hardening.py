"""Hostile and absurd input (issue 17): each case once failed silently, crashed or corrupted.

Counts beyond the documented bound, workbooks that expand without limit, dates
far outside any plausible record, a frame copy that lost its types, exit codes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from ocops import charts, cli, views
from ocops.errors import StoreError, UnusableFile
from ocops.geo import CountryIndex
from ocops.importer import Vocabulary, import_bytes
from ocops.links import filter_from_params
from ocops.markup import chart_text, plain
from ocops.queries import make_filter, quantities_of
from ocops.snapshot import cached_frame
from ocops.store import data_version
from ocops.taxonomy import Taxonomy
from ocops.uploads import open_upload

PROJECT = Path(__file__).resolve().parent.parent
HEADER = "operation,date,country,crime_area,arrests,seizures,victims_rescued\n"


def run(capsys: pytest.CaptureFixture[str], store_url: str, *args: str) -> tuple[int, Any, str]:
    """ocops in-process with every warning an error: (exit code, parsed stdout, stderr)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = cli.main(["--db", store_url, *args])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def stored_arrests(store_url: str) -> list[tuple[str, int]]:
    """(operation, arrests) of every stored record."""
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text("SELECT operation, arrests FROM records ORDER BY operation"))]
    finally:
        engine.dispose()


def too_large(name: str, value: str) -> str:
    return f"{name} '{value}' is too large: a count must be at most 1,000,000,000"


# --- 1. counts have a bound, the same on both stores ---------------------------------------

def test_counts_beyond_the_bound_are_row_errors(store_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.csv"
    path.write_text(HEADER
                    + "A,2018-01-01,France,Drugs,99999999999999999999,1,1\n"
                    + "B,2018-01-01,France,Drugs,1,1e308,1\n"
                    + "C,2018-01-01,France,Drugs,1,1,2147483648\n"
                    + "D,2018-01-01,France,Drugs,1000000000,1,1\n"
                    + "E,2018-01-01,France,Drugs,1000000001,0,0\n", encoding="utf-8")
    code, report, err = run(capsys, store_url, "import", str(path))
    assert (code, err) == (1, "")
    assert report["errors"] == [
        {"row": 1, "column": "arrests", "value": "99999999999999999999",
         "message": too_large("arrests", "99999999999999999999")},
        {"row": 2, "column": "seizures", "value": "1e308", "message": too_large("seizures", "1e308")},
        {"row": 3, "column": "victims_rescued", "value": "2147483648",
         "message": too_large("victims_rescued", "2147483648")},
        {"row": 5, "column": "arrests", "value": "1000000001", "message": too_large("arrests", "1000000001")},
    ]
    assert stored_arrests(store_url) == [("D", 1_000_000_000)]


def test_an_xlsx_count_of_1e308_is_a_row_error(store_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["A", "2018-01-01", "France", "Drugs", 1e308, 1, 1])
    sheet.append(["B", "2018-01-01", "France", "Drugs", 7, 1, 1])
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    code, report, err = run(capsys, store_url, "import", str(path))
    assert (code, err) == (1, "")
    assert report["errors"] == [{"row": 1, "column": "arrests", "value": "1e+308",
                                 "message": too_large("arrests", "1e+308")}]
    assert stored_arrests(store_url) == [("B", 7)]


def test_a_huge_count_leaves_no_warning_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "A,2018-01-01,France,Drugs,1e20,1,1\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "ocops", "--db", f"sqlite:///{tmp_path / 'o.db'}",
                             "import", str(path)], capture_output=True, text=True, cwd=PROJECT, timeout=120,
                            check=False)
    assert result.returncode == 1
    assert result.stderr == ""
    assert json.loads(result.stdout)["errors"][0]["message"] == too_large("arrests", "1e20")


def test_remove_batch_with_an_absurd_id_exits_2(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for batch in ("99999999999999999999", "2147483648", "0"):
        code, output, err = run(capsys, store_url, "remove-batch", batch)
        message = f"There is no batch {batch}: list the batches with `python -m ocops batches`."
        assert (code, output, err) == (2, {"error": message}, f"error: {message}\n")


def test_demo_data_refuses_negative_rows_and_a_bad_path(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    message = "--rows -5 is negative: give the number of records to write, 0 or more."
    assert cli.main(["demo-data", "--rows", "-5", "--out", str(tmp_path / "x.csv")]) == 2
    assert capsys.readouterr() == (json.dumps({"error": message}) + "\n", f"error: {message}\n")
    assert not (tmp_path / "x.csv").exists()

    (tmp_path / "file").write_text("", encoding="utf-8")
    bad = tmp_path / "file" / "x.csv"
    assert cli.main(["demo-data", "--rows", "10", "--out", str(bad)]) == 2
    message = f"Cannot write {bad}: File exists. Choose a writable --out path."
    assert capsys.readouterr() == (json.dumps({"error": message}) + "\n", f"error: {message}\n")
    assert cli.main(["demo-data", "--rows", "10", "--out", str(tmp_path)]) == 2
    message = f"Cannot write {tmp_path}: Is a directory. Choose a writable --out path."
    assert capsys.readouterr() == (json.dumps({"error": message}) + "\n", f"error: {message}\n")


# --- 2. the Parquet copy of the frame keeps every column type ---------------------------------

def test_the_frame_copy_round_trips_every_type(engine: Engine, vocabulary: Vocabulary, countries: CountryIndex,
                                               taxonomy: Taxonomy, tmp_path: Path) -> None:
    # No city and no lead agency anywhere (as with the Toronto presets): all-empty categoricals.
    import_bytes(engine, (HEADER + "Op A,2019-03-01,France,Drugs,5,1,0\nOp B,2019-04-01,KEN,Wildlife,7,0,2\n").encode(),
                 "plain.csv", vocabulary)
    fresh = cached_frame(engine, None)
    assert fresh["city"].isna().all() and fresh["lead_agency"].isna().all()
    written = cached_frame(engine, tmp_path)
    assert len(list(tmp_path.glob("*.parquet"))) == 2  # the frame and its quantities
    copy = cached_frame(engine, tmp_path)  # read back from the Parquet copy
    assert copy.dtypes.to_dict() == fresh.dtypes.to_dict() == written.dtypes.to_dict()
    assert set(copy.attrs) == {"quantities", "source"}  # no column types left behind; which version it holds
    assert copy.attrs["source"] == fresh.attrs["source"]
    pd.testing.assert_frame_equal(copy, fresh)
    # no quantities at all: the empty item and kind categoricals keep their types too
    pd.testing.assert_frame_equal(quantities_of(copy).table, quantities_of(fresh).table)
    flt = make_filter(countries, taxonomy)
    table = views.operations_table(copy, flt, countries)
    assert table[["operation", "lead_agencies", "arrests"]].values.tolist() == [["Op B", "", 7], ["Op A", "", 5]]
    assert len(views.map_points(copy, flt, countries)) == 2


# --- 3. a workbook may only expand so far ---------------------------------------------------

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                  b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                  b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                  b'"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
                  b'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxml'
                  b'formats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
             b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
             b'<sheet name="Data" sheetId="1" r:id="rId7"/></sheets></workbook>')
_WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                  b'package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/'
                  b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
_HEADER_ROW = (b'<row r="1">' + b"".join(
    b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (column.encode(), name.encode())
    for column, name in zip("ABCDEFG", HEADER.strip().split(","), strict=True)) + b"</row>")
_GOOD_ROW = (b'<row r="2"><c r="A2" t="inlineStr"><is><t>Op A</t></is></c><c r="B2" t="inlineStr"><is><t>2018-01-01'
             b'</t></is></c><c r="C2" t="inlineStr"><is><t>France</t></is></c><c r="D2" t="inlineStr"><is><t>Drugs'
             b'</t></is></c><c r="E2"><v>3</v></c></row>')


def workbook(sheet_rows: bytes, declared: int | None = None) -> bytes:
    """An .xlsx written by hand: the header row, then ``sheet_rows`` (XML). With ``declared``, a
    picture whose declared unpacked size is that many bytes (as a deflated run of zeros would be)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml",
                         b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                         b'spreadsheetml/2006/main"><sheetData>' + _HEADER_ROW + sheet_rows
                         + b"</sheetData></worksheet>")
        if declared is not None:
            archive.writestr("xl/media/image1.png", bytes(1000))
    data = bytearray(out.getvalue())
    if declared is not None:  # the central directory's "uncompressed size" of the last member
        entry = data.rindex(b"PK\x01\x02")
        data[entry + 24:entry + 28] = struct.pack("<I", declared)
    return bytes(data)


SAVE_AS = "split it into smaller files or save the sheet as .csv."
TOO_MANY_ROWS = ("bomb.xlsx has more than 1,048,576 rows on its first sheet, more than Excel can hold: "
                 f"it is damaged or was not written by Excel; {SAVE_AS}")
TOO_MANY_CELLS = f"bomb.xlsx spans more than 10,000,000 cells on its first sheet, over what ocops reads from a workbook: {SAVE_AS}"


@pytest.mark.parametrize("data, message", [
    # one row numbered beyond Excel's last row
    (workbook(b'<row r="1048577"><c r="A1048577"><v>1</v></c></row>'), TOO_MANY_ROWS),
    # more row elements than Excel's rows, without row numbers
    (workbook(b"<row><c><v>1</v></c></row>" * 1_048_576), TOO_MANY_ROWS),
    # two cells whose used area is a sheet of 17 billion cells
    (workbook(_GOOD_ROW + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'), TOO_MANY_CELLS),
    # 100,000 rows x 101 columns
    (workbook(b'<row><c r="CW2"><v>1</v></c></row>' * 100_000), TOO_MANY_CELLS),
    # more cells than the limit in one row
    (workbook(b"<row>" + b"<c/>" * 10_000_001 + b"</row>"), TOO_MANY_CELLS),
], ids=["row-number", "row-count", "far-cell", "wide-area", "cell-count"])
def test_a_workbook_bomb_is_refused_before_it_is_read(store_url: str, tmp_path: Path, data: bytes, message: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert len(data) < 2_000_000
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    code, output, err = run(capsys, store_url, "import", str(path))
    assert (code, output["error"], err) == (2, message, f"error: {message}\n")
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM batches")).scalar_one() == 0
    engine.dispose()
    with pytest.raises(UnusableFile) as refused:  # the upload page reads files the same way
        open_upload(data, "bomb.xlsx", max_bytes=200 * 1024 * 1024)
    assert str(refused.value) == message


def test_a_workbook_that_unpacks_to_over_a_gigabyte_is_refused() -> None:
    data = workbook(_GOOD_ROW, declared=1_000_000_001)
    assert len(data) < 2_000_000
    message = f"bomb.xlsx unpacks to 1,000 MB, over the 1,000 MB a workbook may expand to: {SAVE_AS}"
    with pytest.raises(UnusableFile) as refused:
        open_upload(data, "bomb.xlsx", max_bytes=None)
    assert str(refused.value) == message


def test_an_empty_formatted_last_row_is_no_bomb(store_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # 12 columns used, and Excel's last row written only for its height: the used area is 2 rows
    path = tmp_path / "formatted.xlsx"
    path.write_bytes(workbook(_GOOD_ROW.replace(b"</row>", b'<c r="L2"><v>9</v></c></row>')
                              + b'<row r="1048576" ht="20" customHeight="1"/>'))
    code, report, err = run(capsys, store_url, "import", str(path))
    assert (code, report["imported"], err) == (0, 1, "")


def test_a_workbook_within_the_limits_still_imports(store_url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fine.xlsx"
    path.write_bytes(workbook(_GOOD_ROW + b'<row r="3"><c r="A3" t="inlineStr"><is><t>Op B</t></is></c>'
                              b'<c r="B3" t="inlineStr"><is><t>2018-02-01</t></is></c><c r="C3" t="inlineStr"><is>'
                              b'<t>Peru</t></is></c><c r="D3" t="inlineStr"><is><t>Drugs</t></is></c>'
                              b'<c r="E3"><v>4</v></c></row>', declared=1000))
    code, report, err = run(capsys, store_url, "import", str(path))
    assert (code, report["imported"], err) == (0, 2, "")
    assert stored_arrests(store_url) == [("Op A", 3), ("Op B", 4)]


# --- 4, 5. text from data, files and links is shown as text ----------------------------------

J = "\u2060"  # the invisible word joiner that breaks a bare URL


@pytest.mark.parametrize("text, shown", [
    ("[Session expired - sign in again](https://evil.example/x)",
     f"\\[Session expired - sign in again\\](https{J}://evil.example/x)"),
    ("![](http://host/x)", f"!\\[\\](http{J}://host/x)"),
    ("Op $x^2$ <b>bold</b> **strong** _it_ ~~gone~~", "Op \\$x^2\\$ \\<b\\>bold\\</b\\> \\*\\*strong\\*\\* \\_it\\_ \\~\\~gone\\~\\~"),
    ("see www.evil.example or me@evil.example &amp; \\[", f"see www{J}.evil.example or me{J}@evil.example \\&amp; \\\\\\["),
    ("# Heading", "\\# Heading"),
    ("1. first", "1\\. first"),
    ("- item\n> quote", "\\- item \\> quote"),
    ("crime_area is required but empty: Op A (2018), 50%", "crime_area is required but empty: Op A (2018), 50%"),
])
def test_plain_escapes_what_markdown_would_render(text: str, shown: str) -> None:
    assert plain(text) == shown


def test_chart_labels_show_html_as_text() -> None:
    assert chart_text('<a href="http://x/">A</a> & <span style="font-size:80px">b</span>') == \
        '&lt;a href="http://x/"&gt;A&lt;/a&gt; &amp; &lt;span style="font-size:80px"&gt;b&lt;/span&gt;'
    periods = pd.DataFrame({"operation": ['<a href="http://x/">Op</a>', "Plain"],
                            "crime_area": ["Drug trafficking", "<b>Area</b>"],
                            "start": pd.to_datetime(["2018-01-01", "2018-02-01"]),
                            "end": pd.to_datetime(["2018-01-31", "2018-02-28"]), "value": [3, 4]})
    figure = charts.gantt(periods, "arrests")
    assert [list(bar.y) for bar in figure.data] == [["Plain"], ['&lt;a href="http://x/"&gt;Op&lt;/a&gt;']]
    assert [bar.name for bar in figure.data] == ["&lt;b&gt;Area&lt;/b&gt;", "Drug trafficking"]
    assert list(figure.layout.yaxis.tickvals) == ['&lt;a href="http://x/"&gt;Op&lt;/a&gt;', "Plain"]


# --- 7, 8. links and dates: until alone, a plausible range ----------------------------------

def test_until_alone_is_an_until(countries: CountryIndex, taxonomy: Taxonomy) -> None:
    flt, period, notices = filter_from_params({"until": "2018-05-03"}, countries, taxonomy, [], dt.date(2018, 12, 31))
    assert (flt.since, flt.until, period, notices) == (None, dt.date(2018, 5, 3), "custom", [])


@pytest.mark.parametrize("key, value", [("since", "1899-12-31"), ("until", "0001-01-01"), ("until", "2101-01-01")])
def test_a_link_date_outside_the_range_is_a_notice(countries: CountryIndex, taxonomy: Taxonomy,
                                                   key: str, value: str) -> None:
    flt, period, notices = filter_from_params({key: value}, countries, taxonomy, [], dt.date(2018, 12, 31))
    assert (flt.since, flt.until, period) == (dt.date(2018, 1, 1), dt.date(2018, 12, 31), "last-12-months")
    assert notices == [f"Ignored {key}='{value}' in the link: dates must lie between 1900-01-01 and 2100-12-31."]


def _dashboard(store_url: str, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("OCOPS_DATABASE_URL", store_url)
    monkeypatch.setenv("OCOPS_LOAD_SAMPLE", "false")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(PROJECT / "dashboard.py"), default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    at.run(timeout=30)
    assert not at.exception, [e.message for e in at.exception]
    return at


def _query(at: AppTest, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


APP_ROWS = HEADER + "Op A,2018-03-01,France,Drugs,5,1,0\nOp B,2018-06-01,Peru,Drugs,7,0,2\n"


def test_the_dashboard_applies_until_alone_as_an_until(engine: Engine, store_url: str, vocabulary: Vocabulary,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import_bytes(engine, APP_ROWS.encode(), "app.csv", vocabulary)
    at = _dashboard(store_url, monkeypatch, until="2018-05-03")
    assert at.sidebar.date_input(key="f_range").value == (dt.date(1900, 1, 1), dt.date(2018, 5, 3))
    assert (_query(at, "since"), _query(at, "until")) == (["1900-01-01"], ["2018-05-03"])
    assert at.metric[0].value == "1"  # Records: Op A only (Op B is after the until day)
    st.cache_resource.clear()


def test_links_and_stored_dates_outside_the_range_never_break_the_page(
        engine: Engine, store_url: str, vocabulary: Vocabulary, monkeypatch: pytest.MonkeyPatch) -> None:
    import_bytes(engine, APP_ROWS.encode(), "app.csv", vocabulary)
    with engine.begin() as conn:  # a store written before the range was checked at import
        conn.execute(sa.text("UPDATE records SET date = '0001-01-01', end_date = '0001-01-01' WHERE operation = 'Op A'"))
        conn.execute(sa.text("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'"))
    at = _dashboard(store_url, monkeypatch, since="1899-12-31")
    assert [w.value for w in at.warning] == [
        "Ignored since='1899-12-31' in the link: dates must lie between 1900-01-01 and 2100-12-31."]
    at.sidebar.selectbox(key="f_period").set_value("custom").run(timeout=30)
    assert not at.exception, [e.message for e in at.exception]
    assert at.sidebar.date_input(key="f_range").value == (dt.date(2017, 6, 2), dt.date(2018, 6, 1))
    at = _dashboard(store_url, monkeypatch, period="all-time")
    at.sidebar.selectbox(key="f_period").set_value("custom").run(timeout=30)
    assert not at.exception, [e.message for e in at.exception]
    assert at.sidebar.date_input(key="f_range").value == (dt.date(1900, 1, 1), dt.date(2018, 6, 1))
    st.cache_resource.clear()


def test_dates_outside_the_range_are_row_errors(store_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dates.csv"
    path.write_text(HEADER + "A,2150-01-01,France,Drugs,1,0,0\nB,0001-01-01,France,Drugs,1,0,0\n"
                    "C,1899-12-31,France,Drugs,1,0,0\nD,1900-01-01,France,Drugs,1,0,0\nE,2100-12-31,France,Drugs,1,0,0\n"
                    "F,2018-06-01,France,Drugs,1,0,0\n", encoding="utf-8")
    code, report, err = run(capsys, store_url, "import", str(path))
    assert (code, err) == (1, "")
    help_ = "is outside the dates ocops accepts (1900-01-01 to 2100-12-31): check the year"
    assert report["errors"] == [
        {"row": 1, "column": "date", "value": "2150-01-01", "message": f"'2150-01-01' {help_}"},
        {"row": 2, "column": "date", "value": "0001-01-01", "message": f"'0001-01-01' {help_}"},
        {"row": 3, "column": "date", "value": "1899-12-31", "message": f"'1899-12-31' {help_}"},
    ]
    assert [op for op, _ in stored_arrests(store_url)] == ["D", "E", "F"]


def test_an_xlsx_date_of_1899_12_31_gets_a_plain_message(store_url: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["A", dt.datetime(1899, 12, 31), "France", "Drugs", 1, 0, 0])  # Excel's day 0: read as a time
    sheet.append(["B", dt.datetime(2018, 6, 1), "France", "Drugs", 2, 0, 0])
    path = tmp_path / "old.xlsx"
    workbook.save(path)
    code, report, err = run(capsys, store_url, "import", str(path))
    assert (code, err) == (1, "")
    assert report["errors"] == [{
        "row": 1, "column": "date", "value": "00:00:00",
        "message": "'00:00:00' is a time without a date (a workbook shows a date before 1900-01-01, such as "
                   "1899-12-31, this way): dates must lie between 1900-01-01 and 2100-12-31"}]
    assert stored_arrests(store_url) == [("B", 2)]


# --- 9. a store that disappears: a plain message on the page, details in the server log ------

STORE_DOWN = ("The database is not answering. Reload the page in a moment; if it keeps happening, tell the "
              "administrator (the details are in the server log).")


def _break_store(store_url: str) -> None:
    """Make the store disappear under a running dashboard: its schema (PostgreSQL) or tables (SQLite) dropped."""
    if store_url.startswith("sqlite"):
        admin = sa.create_engine(store_url)
        with admin.begin() as conn:
            for (table,) in conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'table'")).all():
                conn.execute(sa.text(f'DROP TABLE "{table}"'))
        admin.dispose()
        return
    schema = store_url.rsplit("%3D", 1)[1]
    admin = sa.create_engine(store_url.split("?")[0])
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))  # the fixture drops it again afterwards
    admin.dispose()


def test_a_store_that_disappears_shows_a_plain_message(engine: Engine, store_url: str, vocabulary: Vocabulary,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    import_bytes(engine, APP_ROWS.encode(), "app.csv", vocabulary)
    at = _dashboard(store_url, monkeypatch)
    assert at.metric[0].value == "2" and not at.error
    _break_store(store_url)
    with caplog.at_level("ERROR", logger="ocops.ui"):
        at.run(timeout=30)
    assert not at.exception, [e.message for e in at.exception]
    assert [e.value for e in at.error] == [STORE_DOWN]
    assert "the store failed: Cannot read the store" in caplog.text  # the details, for the administrator
    st.cache_resource.clear()


def test_a_store_that_cannot_be_opened_shows_a_plain_message(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR", logger="ocops.ui"):
        at = _dashboard("postgresql://nobody@127.0.0.1:1/gone", monkeypatch)
    assert [e.value for e in at.error] == [STORE_DOWN]
    assert "Cannot open the store postgresql+psycopg://nobody@127.0.0.1:1/gone" in caplog.text
    st.cache_resource.clear()


def test_the_command_line_names_the_failure_without_a_docs_link(engine: Engine, store_url: str,
                                                                 vocabulary: Vocabulary,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import_bytes(engine, APP_ROWS.encode(), "app.csv", vocabulary)
    _break_store(store_url)
    with pytest.raises(StoreError) as failed:
        data_version(engine)
    assert str(failed.value).startswith("Cannot read the store ")
    assert "sqlalche.me" not in str(failed.value) and "\n" not in str(failed.value)


# --- Lower: the upload limit reads the same on the command line and the page -----------------

def test_the_upload_limit_reads_as_the_page_shows_it(store_url: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OCOPS_MAX_UPLOAD_MB", "1")
    path = tmp_path / "big.csv"
    path.write_bytes((HEADER + "A,2018-01-01,France,Drugs,1,0,0\n").encode() + b"x" * (3 * 1024 * 1024 // 2))
    code, output, err = run(capsys, store_url, "import", str(path))
    message = ("big.csv is 1.5 MB, over the 1 MB limit: split it into smaller files or ask an administrator "
               "to raise OCOPS_MAX_UPLOAD_MB.")
    assert (code, output, err) == (2, {"error": message}, f"error: {message}\n")


# --- Lower: free text is stored verbatim; keys and hashes stay those of the trimmed text -----

def test_free_text_is_stored_verbatim(engine: Engine, vocabulary: Vocabulary, tmp_path: Path) -> None:
    text = ('operation,date,country,crime_area,lead_agency,source,notes\n'
            '  Op A ,2018-01-01,France,Drugs,"  Police  nationale ",  src  ,"  two  spaces\n  and a line  "\n'
            'Op A,2018-01-01,France,Drugs,Gendarmerie,src,plain\n')
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["operation", "date", "country", "crime_area", "lead_agency", "source", "notes"])
    sheet.append(["Op X", "2018-02-01", "Peru", "Drugs", "  PNP ", " ", "\tnote\t"])
    data = io.BytesIO()
    workbook.save(data)
    for content, name in ((text.encode(), "free.csv"), (text.replace(",", ";").encode("cp1252"), "free_eu.csv"),
                          (data.getvalue(), "free.xlsx")):
        import_bytes(engine, content, name, vocabulary)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(
            "SELECT operation, lead_agency, source, notes, key FROM records ORDER BY id"))]
    assert [r[:4] for r in rows] == [
        ("Op A", "  Police  nationale ", "  src  ", "  two  spaces\n  and a line  "),
        ("Op A", "Gendarmerie", "src", "plain"),
        ("Op X", "  PNP ", None, "\tnote\t"),
    ]
    # the second file (semicolons, cp1252) holds the same rows: same keys and value hashes, nothing new
    assert len(rows) == 3


def test_quantities_and_values_beyond_the_bound_are_row_errors(store_url: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "amounts.csv"
    path.write_text("operation,date,country,crime_area,seized_quantity,seized_unit,seized_value_usd\n"
                    "A,2018-01-01,France,Drugs,1e308,kg,1\nB,2018-01-01,France,Drugs,1,kg,1e308\n"
                    "C,2018-01-01,France,Drugs,1000000000000000,kg,1000000000000000\n", encoding="utf-8")
    code, report, err = run(capsys, store_url, "import", str(path))
    assert (code, err) == (1, "")
    limit = "must be at most 1,000,000,000,000,000"
    assert report["errors"] == [
        {"row": 1, "column": "seized_quantity", "value": "1e308", "message": f"seized_quantity '1e308' is too large: it {limit}"},
        {"row": 2, "column": "seized_value_usd", "value": "1e308", "message": f"seized_value_usd '1e308' is too large: it {limit}"},
    ]
    code, summary, err = run(capsys, store_url, "summary")
    assert (code, err) == (0, "")
    assert (summary["totals"]["seized_kg"], summary["totals"]["seized_value_usd"]) == (1e15, 1e15)
