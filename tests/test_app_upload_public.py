"""Public-statistics shapes through the upload page (AppTest): header row, row filters, long format,
fiscal years, repeated rows, the field <- column table and country forms.

The files are tests/fixtures/public/ (hand totals in tests/test_import_public.py's docstring); every
import is repeated and must change nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ocops import queries
from ocops.store import make_engine
from tests.test_app_upload import (
    _button,
    _facts,
    _metrics,
    _table,
    _upload,
    _upload_page,
    store,
)
from tests.test_import_public import PUBLIC, title_rows_workbook

__all__ = ["store"]  # a fixture used by this module's tests
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _totals(url: str, since: str | None = None, until: str | None = None) -> dict[str, float]:
    engine = make_engine(url)
    try:
        frame = queries.load_frame(engine)
        flt = queries.Filter(since=dt.date.fromisoformat(since) if since else None,
                             until=dt.date.fromisoformat(until) if until else None)
        return queries.totals(queries.select(frame, flt, None))
    finally:
        engine.dispose()


def _import_twice(at: AppTest) -> None:
    """Dry run, import, then import again: the second import is all unchanged."""
    _button(at, "Dry run").click()
    at.run()
    assert not at.exception, at.exception
    _button(at, "Import").click()
    at.run()
    assert not at.exception, at.exception
    new = int(at.success[0].value.split(": ", 1)[1].split(" new")[0])
    _button(at, "Import").click()
    at.run()
    assert f": 0 new, 0 updated, {new} unchanged, " in at.success[0].value


def _columns(at: AppTest) -> list[list[str]]:
    return _table(at, "how matched").values.tolist()


def test_a_title_row_workbook(store: str, tmp_path: Path) -> None:
    at = _upload_page()
    digest = _upload(at, "results.xlsx", title_rows_workbook(tmp_path / "results.xlsx").read_bytes(), XLSX)
    assert _facts(at, "results.xlsx").endswith(" · 3 data rows below the header in row 4")
    assert at.number_input(key=f"hdr:{digest}").value == 4
    assert ["date", "Date of seizure", "words"] in _columns(at)
    assert ["arrests", "Number of persons arrested", "words"] in _columns(at)
    _import_twice(at)
    totals = _totals(store)
    assert (totals["records"], totals["countries"], totals["arrests"], totals["seizures"]) == (3, 2, 12, 3)


def test_the_header_row_can_be_changed(store: str) -> None:
    at = _upload_page()
    data = b"Operation,Date,Country,Crime area,Arrests\nnote,x,y,z,1\nOperation,Date,Country,Crime area,Arrests\n" \
           b"Op,2020-01-01,Peru,drugs,6\n"
    digest = _upload(at, "ops.csv", data)
    at.number_input(key=f"hdr:{digest}").set_value(3)
    at.run()
    assert _facts(at, "ops.csv").endswith(" · 1 data rows below the header in row 3")
    _import_twice(at)
    assert _totals(store)["arrests"] == 6


def test_a_long_format_sheet_with_row_filters(store: str) -> None:
    at = _upload_page()
    digest = _upload(at, "long_format.csv", (PUBLIC / "long_format.csv").read_bytes())
    at.multiselect(key=f"filters:{digest}").set_value(["Dimension", "Sex"])
    at.run()
    sex = at.multiselect(key=f"where:{digest}:Sex")
    assert sex.options == ["Total · 8 rows", "Male · 1 row", "Female · 1 row"]
    sex.set_value(["Total"])
    at.multiselect(key=f"where:{digest}:Dimension").set_value(["Total"])
    at.toggle(key=f"long:{digest}").set_value(True)
    at.run()
    at.selectbox(key=f"ind:{digest}").set_value("Indicator")
    at.selectbox(key=f"valcol:{digest}").set_value("VALUE")
    at.run()
    at.selectbox(key=f"meas:{digest}:Persons arrested").set_value("arrests")
    at.selectbox(key=f"meas:{digest}:Seizure cases").set_value("seizures")
    at.selectbox(key=f"meas:{digest}:Arms seized").set_value("seized_quantity")
    at.run()
    at.text_input(key=f"mitem:{digest}:Arms seized").set_value("firearms")
    at.text_input(key=f"munit:{digest}:Arms seized").set_value("items")
    at.text_input(key=f"const:{digest}:operation").set_value("National firearms statistics")
    at.selectbox(key=f"const:{digest}:crime_area").set_value("Firearms trafficking")
    at.run()
    assert ["arrests", "VALUE", "measures: rows whose Indicator goes to arrests"] in _columns(at)
    assert ["country", "Country", "name (over Iso3_code)"] in _columns(at)
    _button(at, "Dry run").click()
    at.run()
    figures = _metrics(at)
    assert [figures[k] for k in ("Rows read", "New", "Rejected", "Skipped")] == ["10", "5", "1", "4"]
    skipped = _table(at, "reason").values.tolist()
    assert skipped == [["where Dimension", 1], ["where Sex", 2], ["Indicator 'Persons prosecuted' not in measures", 1]]
    assert _table(at, "message").values.tolist()[0][:3] == [10, "country", "Caribbean"]
    _import_twice(at)
    totals = _totals(store)
    assert (totals["records"], totals["arrests"], totals["seizures"], totals["seized_items"]) == (5, 30, 4, 65)


def test_fiscal_years_with_month_abbreviations(store: str) -> None:
    at = _upload_page()
    digest = _upload(at, "fiscal_year.csv", (PUBLIC / "fiscal_year.csv").read_bytes())
    at.selectbox(key=f"col:{digest}:FY").set_value("year")
    at.selectbox(key=f"col:{digest}:Month").set_value("month")
    at.selectbox(key=f"fiscal:{digest}").set_value(10)
    at.run()
    at.text_input(key=f"const:{digest}:operation").set_value("Border seizures")
    at.selectbox(key=f"const:{digest}:country").set_value("United States")
    at.selectbox(key=f"const:{digest}:crime_area").set_value("Drug trafficking")
    at.run()
    _import_twice(at)
    in_2020 = _totals(store, "2020-01-01", "2020-12-31")
    in_2019 = _totals(store, "2019-01-01", "2019-12-31")
    assert (in_2020["records"], in_2020["arrests"], in_2020["seizures"]) == (2, 5, 2)
    assert (in_2019["records"], in_2019["arrests"], in_2019["seizures"]) == (2, 5, 3)


@pytest.mark.parametrize(("rule", "new", "skipped", "items"), [("keep", "4", "0", 503), ("sum", "2", "2", 503)])
def test_repeated_line_items(store: str, rule: str, new: str, skipped: str, items: int) -> None:
    at = _upload_page()
    digest = _upload(at, "line_items.csv", (PUBLIC / "line_items.csv").read_bytes())
    at.radio(key=f"dups:{digest}").set_value(rule)
    at.run()
    _button(at, "Dry run").click()
    at.run()
    assert [_metrics(at)[k] for k in ("New", "Rejected", "Skipped")] == [new, "2", skipped]
    _import_twice(at)
    assert _totals(store)["seized_items"] == items


def test_date_beside_year_bare_value_and_a_code_column(store: str) -> None:
    at = _upload_page()
    _upload(at, "date_beside_year.csv", (PUBLIC / "date_beside_year.csv").read_bytes())
    assert ["date", "Date of seizure", "words (over Year)"] in _columns(at)
    _import_twice(at)
    assert _totals(store, "2019-03-01", "2019-03-31")["arrests"] == 2
    _upload(at, "bare_value.csv", (PUBLIC / "bare_value.csv").read_bytes())
    assert "seized_value_usd" not in [row[0] for row in _columns(at)]
    _import_twice(at)
    assert _totals(store)["seized_value_usd"] == 0.0
    digest = _upload(at, "code_column.csv", (PUBLIC / "code_column.csv").read_bytes())
    offered = sorted(s.key.rsplit(":", 1)[1] for s in at.selectbox if s.key and s.key.startswith(f"val:{digest}:"))
    assert offered == ["CAR", "Peru", "WLD"]  # an ISO3 column takes only codes: not 'CAR' as an abbreviation
    _import_twice(at)
    assert _totals(store, "2021-01-01", "2021-12-31")["victims_rescued"] == 7


def test_un_style_names_and_skipping_an_aggregate(store: str) -> None:
    at = _upload_page()
    digest = _upload(at, "un_names.csv", (PUBLIC / "un_names.csv").read_bytes())
    unknown = [s.key for s in at.selectbox if s.key and s.key.startswith(f"val:{digest}:country:")]
    assert sorted(unknown) == [f"val:{digest}:country:Various", f"val:{digest}:country:World"]
    at.selectbox(key=f"val:{digest}:country:Various").set_value("(skip these rows: not a country / not wanted)")
    at.run()
    _button(at, "Dry run").click()
    at.run()
    assert [_metrics(at)[k] for k in ("New", "Rejected", "Skipped")] == ["5", "1", "1"]
    _import_twice(at)
    totals = _totals(store)
    assert (totals["records"], totals["countries"], totals["arrests"]) == (5, 5, 31)
