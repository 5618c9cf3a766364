"""The briefing report on real stores (SQLite and PostgreSQL) loaded from tests/fixtures/app_operations.csv.

Hand-computed figures (Europe, 2018: rows A-03, P-01, P-02, L-01, L-02, G-01, N-01):
records 7, operations 5 (Andes, Pangea, Lionfish, Trigger, Neptune), countries 4 (ESP, FRA, DEU, ITA),
arrests 5+3+7+8+6+11+0 = 40, seizures 0+40+60+4+2+7+3 = 116, victims 2,
value 50,000+100,000+3,000,000+2,000,000+15,000 = 5,165,000; kg 120+80 = 200, litres 5,000,
items 1,000+2,000+35 = 3,035. Comparison period 2017 (L-05, L-06, T-03, G-03): records 4,
operations 3, countries 4, arrests 9, seizures 5, victims 0, value 1,860,000.
Top operations by arrests: Lionfish 8+6 = 14, Trigger 11, Pangea 3+7 = 10, Andes 5, Neptune 0.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from sqlalchemy.engine import Engine

from ocops import report
from ocops.cli import main
from ocops.geo import CountryIndex
from ocops.importer import Vocabulary, import_bytes, import_path, load_sample_if_empty
from ocops.queries import Filter, load_frame
from ocops.report.worldmap import world_svg

FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
EUROPE_2018 = Filter(regions=("Europe",), since=dt.date(2018, 1, 1), until=dt.date(2018, 12, 31))
MARKING = "OFFICIAL - SENSITIVE"
KPI_LINES = [
    "Records 7 +3 against the comparison period",
    "Operations 5 +2 against the comparison period",
    "Countries 4 ±0 against the comparison period",
    "Arrests 40 +31 against the comparison period",
    "Seizures 116 +111 against the comparison period",
    "Victims rescued 2 +2 against the comparison period",
    "Seized value (USD) 5,165,000 +3,305,000 against the comparison period",
]


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def loaded(engine: Engine, vocabulary: Vocabulary) -> Engine:
    """The store with the 21 fixture rows."""
    assert import_path(engine, FIXTURE, vocabulary, user="loader").imported == 21
    return engine


def _facts(engine: Engine, marking: str = MARKING) -> report.Provenance:
    return report.provenance(engine, "Inspector Lestrade", marking)


def test_pdf_text_holds_the_hand_computed_figures_filter_marking_and_page_numbers(
        loaded: Engine, countries: CountryIndex) -> None:
    data = report.render(load_frame(loaded), EUROPE_2018, countries, "custom", _facts(loaded), "pdf")
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    texts = [_words(page.extract_text()) for page in pages]
    whole = " ".join(texts)
    assert "Filter Europe · 1 Jan 2018 – 31 Dec 2018" in whole
    assert "Scope All records" in whole
    assert "Comparison period 1 Jan 2017 – 31 Dec 2017" in whole
    assert "by Inspector Lestrade on" in whole
    for line in KPI_LINES:
        assert line in whole, line
    assert "Seized (kg) 200 kg" in whole and "Seized (litres) 5,000 litres" in whole
    assert "Seized (items) 3,035 items" in whole
    assert "Europe 7 5 4 40 116 2 5,165,000" in whole  # the by-region table
    lionfish, trigger, pangea = (whole.index(f"Operation {name}") for name in ("Lionfish", "Trigger", "Pangea"))
    assert lionfish < trigger < pangea  # top operations by arrests: 14, 11, 10
    assert "1 app_operations.csv" in whole and "loader 7 4" in whole  # sources: 7 records now, 4 before
    assert "illustrative sample" not in whole
    for number, text in enumerate(texts, start=1):
        assert text.count(MARKING) == 2, (number, text)  # top and bottom of every page
        assert f"page {number} of {len(pages)}" in text
    assert len(pages) >= 2


def test_html_is_one_file_with_no_outside_url(loaded: Engine, countries: CountryIndex) -> None:
    html = report.render(load_frame(loaded), EUROPE_2018, countries, "custom", _facts(loaded), "html").decode()
    assert re.findall(r"(?i)(?:[a-z][a-z0-9+.-]*:)?//", html) == []  # no URL of any scheme, nor a scheme-less one
    assert re.findall(r"(?i)\b(?:src|href|xmlns)\s*=|url\((?!#)|@import|<link|<script|<iframe", html) == []
    assert html.count("<svg") == 4  # monthly, region, crime area, map: all inline
    assert "Arrests by country" in html and "5,165,000" in html


def test_html_escapes_text_from_the_store_and_the_marking(loaded: Engine, countries: CountryIndex,
                                                          vocabulary: Vocabulary) -> None:
    hostile = ("record_id,operation,date,country,crime_area,arrests\n"
               "X-1,<img src=x onerror=alert(1)>,2018-05-01,FRA,Drug trafficking,100\n")
    assert import_bytes(loaded, hostile.encode(), "<b>bold</b>.csv", vocabulary).imported == 1
    facts = _facts(loaded, marking='SECRET </style><script>alert(2)</script>')
    html = report.render(load_frame(loaded), EUROPE_2018, countries, "custom", facts, "html").decode("utf-8")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # top operation (100 arrests), shown as text
    assert "&lt;b&gt;bold&lt;/b&gt;.csv" in html
    assert html.count("</style>") == 1  # the marking cannot close the style element


def test_the_sample_in_the_figures_is_said(engine: Engine, countries: CountryIndex, vocabulary: Vocabulary) -> None:
    sample = Path(__file__).resolve().parent.parent / "data" / "sample_operations.csv"
    assert load_sample_if_empty(engine, sample, vocabulary) is not None
    html = report.render(load_frame(engine), Filter(), countries, "all-time", _facts(engine, ""), "html").decode()
    assert html.count("The figures include the illustrative sample") == 2  # under the title and in the sources
    assert "none: the period is open" in html
    assert 'class="marking"' not in html  # no marking configured: no banner


def test_cli_report_writes_the_document_and_says_so(loaded: Engine, store_url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCOPS_REPORT_MARKING", "RESTRICTED")
    out = tmp_path / "briefing.html"
    code = main(["--db", store_url, "report", "--region", "Europe", "--since", "2018-01-01",
                 "--until", "2018-12-31", "--format", "html", "--out", str(out)])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert printed["out"] == str(out) and printed["bytes"] == out.stat().st_size
    assert printed["filters"] == {"region": ["Europe"], "since": "2018-01-01", "until": "2018-12-31"}
    text = out.read_text(encoding="utf-8")
    assert "RESTRICTED" in text and "5,165,000" in text
    code = main(["--db", store_url, "report", "--format", "pdf", "--out", str(tmp_path / "missing" / "b.pdf")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == (f"error: Cannot write {tmp_path / 'missing' / 'b.pdf'}: No such file or directory. "
                            "Choose a writable --out path.\n")


def test_world_map_colours_countries_with_records_and_dots_the_small_ones(countries: CountryIndex) -> None:
    table = pd.DataFrame({"iso3": ["FRA", "MLT"], "arrests": [10, 3]})
    svg = world_svg(table, "arrests", countries)
    france = re.search(r'<path d="[^"]+" fill="(#[0-9a-f]{6})"><title>France</title>', svg)
    germany = re.search(r'<path d="[^"]+" fill="(#[0-9a-f]{6})"><title>Germany</title>', svg)
    assert france and germany
    assert germany.group(1) == "#e1e1e1"  # no records: the dashboard map's grey
    assert france.group(1) != germany.group(1)
    assert "<title>Malta</title></circle>" in svg  # too small for the boundaries file
    assert "Arrests" in svg and "0 / no records" in svg


def test_a_filter_that_selects_nothing_still_gives_a_document_that_says_so(loaded: Engine,
                                                                           countries: CountryIndex) -> None:
    nothing = Filter(regions=("Europe",), since=dt.date(2030, 1, 1), until=dt.date(2030, 12, 31))
    html = report.render(load_frame(loaded), nothing, countries, "custom", _facts(loaded), "html").decode()
    assert "Records in the figures</th><td>0</td>" in html
    assert html.count("No records in the filter.") == 5  # monthly, region, crime area, top operations, sources
    assert "+0 against" not in html and "±0 against the comparison period" in html


def test_the_excel_export_of_stored_records_has_real_dates_and_numbers(loaded: Engine,
                                                                        countries: CountryIndex) -> None:
    import openpyxl

    from ocops import export
    from ocops.queries import records

    rows = records(loaded, Filter(operations=("Operation Trigger",)), countries)
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(rows, {"Filter": "Operation Trigger"}).data))
    sheet = book["Records"]
    header = [c.value for c in sheet[1]]
    dates = sorted(sheet.cell(row=r, column=header.index("Date") + 1).value.date() for r in (2, 3, 4))
    assert dates == [dt.date(2017, 11, 20), dt.date(2018, 6, 18), dt.date(2018, 6, 18)]
    arrests = sorted(sheet.cell(row=r, column=header.index("Arrests") + 1).value for r in (2, 3, 4))
    assert arrests == [2, 11, 14]
    assert sheet.cell(row=2, column=header.index("Lead agency") + 1).value in (
        "Carabinieri", "'=Nigeria Police Force")


def test_a_failed_chromium_call_is_tried_once_more_then_said_in_one_sentence() -> None:
    from ocops.report import chromium

    calls: list[int] = []

    async def flaky() -> bytes:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("kaleido_scopes is not defined")
        return b"drawn"

    async def broken() -> bytes:
        raise RuntimeError("boom")

    assert chromium._call("draw a chart", lambda _browser: flaky()) == b"drawn"
    assert len(calls) == 2
    with pytest.raises(chromium.RenderError) as caught:
        chromium._call("draw a chart", lambda _browser: broken())
    assert str(caught.value) == (f"Chromium could not draw a chart (RuntimeError: boom). Try again; if it persists, "
                                 f"check that {chromium.chromium_path()} starts.")
    assert chromium._browser is None  # dropped: the next call starts a fresh browser
