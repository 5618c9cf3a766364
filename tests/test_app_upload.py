"""The upload page driven by Streamlit's AppTest: mapping, dry run, import, presets, history and remove.

Figures are added up by hand (see tests/test_uploads.py for the European file's rows):
valid rows 1-3 give arrests 1234 + 7 + 15 = 1256, seizures 12 + 2 + 4 = 18, victims 3 + 0 + 1 = 4,
value 12500.5 + 1000.75 = 13501.25; row 5 mapped to "Other" adds arrests 3, seizures 1, victims 2.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ocops import queries
from tests.conftest import REALDATA, require
from ocops.importer import list_batches
from ocops.store import make_engine, open_store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
EUROPEAN = FIXTURES / "upload_european.csv"
VICTIMS = REALDATA / "toronto_victims_of_crime.csv"
KPI_LABELS = ["Records", "Operations", "Countries", "Arrests", "Seizures", "Victims rescued", "Seized value (USD)"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty SQLite store the dashboard uses (no sample)."""
    url = f"sqlite:///{tmp_path / 'upload.db'}"
    open_store(url).dispose()
    monkeypatch.setenv("OCOPS_DATABASE_URL", url)
    monkeypatch.setenv("OCOPS_LOAD_SAMPLE", "false")
    monkeypatch.setenv("OCOPS_USER", "tester")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield url
    st.cache_resource.clear()
    st.cache_data.clear()


def _upload_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.exception
    return at


def _upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> str:
    at.file_uploader(key="upload_file").set_value((name, data, mime))
    at.run()
    assert not at.exception, at.exception
    return hashlib.sha256(data).hexdigest()[:16]


def _facts(at: AppTest, filename: str) -> str:
    """The one line of small text that says what was detected about the file."""
    return next(c.value for c in at.caption if c.value.startswith(f"{filename} · "))


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _button(at: AppTest, label: str):  # AppTest's Button type is private
    return next(b for b in at.button if b.label == label)


def _table(at: AppTest, column: str):  # a DataFrame
    """The first st.dataframe that has ``column`` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _totals(url: str) -> dict[str, float]:
    engine = make_engine(url)
    try:
        return queries.totals(queries.load_frame(engine))
    finally:
        engine.dispose()


def test_map_dry_run_import_and_remove(store: str) -> None:
    at = _upload_page()
    assert at.title[0].value == "Upload"
    assert [c.value for c in at.caption if c.value == "No imports yet."] == ["No imports yet."]
    digest = _upload(at, EUROPEAN.name, EUROPEAN.read_bytes())

    assert _facts(at, EUROPEAN.name) == ("upload_european.csv · cp1252, semicolon-separated · date order: day first"
                                         " · 5 data rows below the header in row 1")
    assert not at.metric  # detected facts are small text, not metric cards
    assert at.selectbox(key=f"col:{digest}:Crime Type").value == "crime_area"
    assert at.selectbox(key=f"col:{digest}:Arrests").value == "arrests"
    unknown_area = at.selectbox(key=f"val:{digest}:crime_area:Crimes Against the Person")
    assert unknown_area.value == ""
    assert at.selectbox(key=f"val:{digest}:country:Atlantis").value == ""
    unknown_area.set_value("Other")
    at.run()

    mapping = json.loads(at.code[0].value)
    assert mapping["values"] == {"crime_area": {"Crimes Against the Person": "Other"}}
    assert mapping["columns"]["Seized Value USD"] == "seized_value_usd"
    assert "dayfirst" not in mapping
    at.selectbox(key=f"dayorder:{digest}").set_value("day-first")
    at.run()
    assert json.loads(at.code[0].value)["dayfirst"] is True

    _button(at, "Dry run").click()
    at.run()
    figures = _metrics(at)
    assert [figures[k] for k in ("Rows read", "New", "Updated", "Unchanged", "Rejected")] == ["5", "4", "0", "0", "1"]
    preview = _table(at, "Country name")
    assert preview["Row"].tolist() == [1, 2, 3, 5]
    assert preview["Arrests"].tolist() == [1234, 7, 15, 3]
    errors = _table(at, "message")
    assert errors.values.tolist() == [[4, "country", "Atlantis", "unknown country 'Atlantis'"]]
    assert list_batches(make_engine(store)) == []

    _button(at, "Import").click()
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        "Imported upload_european.csv as batch #1: 4 new, 0 updated, 0 unchanged, 1 rejected."]
    totals = _totals(store)
    assert (totals["records"], totals["arrests"], totals["seizures"], totals["victims_rescued"]) == (4, 1259, 19, 6)
    assert totals["seized_value_usd"] == pytest.approx(13501.25)
    assert totals["seized_kg"] == pytest.approx(1512.75)
    history = _table(at, "Records now")
    assert history[["Batch", "File", "User", "Rows read", "New", "Rejected", "Records now"]].values.tolist() == [
        [1, "upload_european.csv", "tester", 5, 4, 1, 4]]

    # Every page sees the new figures at once: the Overview KPIs (default period: the 12 months to 2024-04-05).
    at.switch_page("pages/overview.py")
    at.run()
    kpis = {m.label: m.value for m in at.metric if m.label in KPI_LABELS}
    assert kpis == {"Records": "4", "Operations": "3", "Countries": "4", "Arrests": "1,259", "Seizures": "19",
                    "Victims rescued": "6", "Seized value (USD)": "13,501"}

    at.switch_page("pages/upload.py")
    at.run()
    _button(at, "Remove").click()
    at.run()
    assert "Remove batch #1 (upload_european.csv)?" in at.warning[-1].value
    _button(at, "Yes, remove this batch").click()
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        "Removed batch #1 (upload_european.csv): 4 records removed, 0 restored to their earlier values."]
    assert _totals(store)["records"] == 0
    assert [(b["batch_id"], b["removed_by"]) for b in list_batches(make_engine(store))] == [(1, "tester")]
    history = _table(at, "Records now")  # the removed batch stays, struck through, with who and when
    assert history["File"].tolist() == ["".join(c + "\u0336" for c in "upload_european.csv")]
    assert history["Removed"].iloc[0].endswith(" UTC by tester")
    assert not [b for b in at.button if b.label == "Remove"]


def test_all_or_nothing_imports_nothing_when_a_row_is_rejected(store: str) -> None:
    at = _upload_page()
    _upload(at, EUROPEAN.name, EUROPEAN.read_bytes())
    at.radio(key="upload_mode").set_value("All or nothing")
    at.run()
    _button(at, "Dry run").click()
    at.run()
    assert _metrics(at)["New"] == "0"
    assert any(i.value.startswith("All or nothing: 2 rejected rows") for i in at.info)
    _button(at, "Import").click()
    at.run()
    assert at.warning[0].value.startswith("Nothing was imported from upload_european.csv")
    assert _totals(store)["records"] == 0
    assert list_batches(make_engine(store)) == []


def test_binary_and_oversized_files_are_refused_before_any_write(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _upload_page()
    _upload(at, "scan.csv", b"\x00\x01\x02\x03binary\xff\x00" * 100)
    assert "looks like a binary file, not text" in at.error[0].value
    assert not [b for b in at.button if b.label in ("Dry run", "Import")]
    assert list_batches(make_engine(store)) == []

    monkeypatch.setenv("OCOPS_MAX_UPLOAD_MB", "1")
    st.cache_resource.clear()
    at = _upload_page()
    _upload(at, "big.csv", EUROPEAN.read_bytes() + b"Op;01/01/2024;France;drugs;1;1;1;;;;\r\n" * 40_000)
    assert "over the 1 MB limit: split it into smaller files" in at.error[0].value  # as the uploader says: "up to 1 MB"
    assert list_batches(make_engine(store)) == []


# (file, preset, rows, measure, total): totals added up with pandas straight from the CSVs
# (ARREST_COUNT of 32,000 rows, COUNT_ of 1,244 rows); the shootings file counts events (one per row).
SHIPPED = [
    ("toronto_arrested_charged_persons.csv", "Toronto arrested and charged persons", 32000, "arrests", 111873),
    ("toronto_shootings_firearm_discharges.csv", "Toronto shootings and firearm discharges", 6295, "records", 6295),
    ("toronto_victims_of_crime.csv", "Toronto victims of crime", 1244, "victims_rescued", 272885),
]


@pytest.mark.parametrize(("name", "preset", "rows", "measure", "total"), SHIPPED, ids=[s[0] for s in SHIPPED])
def test_each_realdata_file_imports_with_its_shipped_preset(store: str, name: str, preset: str, rows: int,
                                                             measure: str, total: int) -> None:
    path = REALDATA / name
    if not path.exists():
        require(False, f"{path} is not present")
    at = _upload_page()
    _upload(at, name, path.read_bytes())
    assert f" · {rows:,} data rows below the header" in _facts(at, name)
    assert any(w.value.startswith("Still needed:") for w in at.warning)
    _button(at, f"Apply preset “{preset}”").click()
    at.run()
    assert not any(w.value.startswith("Still needed:") for w in at.warning)
    _button(at, "Dry run").click()
    at.run()
    assert (_metrics(at)["New"], _metrics(at)["Rejected"]) == (f"{rows:,}", "0")
    _button(at, "Import").click()
    at.run()
    assert not at.exception, at.exception
    totals = _totals(store)
    assert (totals["records"], totals[measure], totals["countries"]) == (rows, total, 1)
    _button(at, "Remove").click()
    at.run()
    _button(at, "Yes, remove this batch").click()
    at.run()
    assert _totals(store)["records"] == 0


def test_a_preset_fills_the_widgets_and_a_second_import_changes_nothing(store: str) -> None:
    """Toronto victims of crime: 1,244 rows, all 'Crimes Against the Person'."""
    require(VICTIMS.exists(), f"{VICTIMS} is not present")
    at = _upload_page()
    digest = _upload(at, VICTIMS.name, VICTIMS.read_bytes())
    assert any("Still needed: operation, country" in w.value for w in at.warning)  # ARREST_YEAR holds "year"
    _button(at, "Apply preset “Toronto victims of crime”").click()
    at.run()
    assert at.selectbox(key=f"col:{digest}:REPORT_YEAR").value == "date"
    assert at.selectbox(key=f"col:{digest}:_id").value == "ignore"
    assert at.selectbox(key=f"const:{digest}:country").value == "Canada"
    assert at.text_input(key=f"const:{digest}:city").value == "Toronto"
    mapping = json.loads(at.code[0].value)
    assert mapping["constants"] == {"operation": "Toronto victims of crime (open data format fixture)",
                                    "country": "Canada", "city": "Toronto"}
    assert mapping["values"] == {"crime_area": {"Crimes Against the Person": "Other"}}
    _button(at, "Import").click()
    at.run()
    assert _totals(store)["records"] == 1244

    # The same file again: the preset is offered again, and a dry run says nothing would change.
    at = _upload_page()
    _upload(at, VICTIMS.name, VICTIMS.read_bytes())
    _button(at, "Apply preset “Toronto victims of crime”").click()
    at.run()
    _button(at, "Dry run").click()
    at.run()
    assert (_metrics(at)["New"], _metrics(at)["Unchanged"]) == ("0", "1,244")


def test_a_saved_preset_is_offered_for_the_next_file_with_those_columns(store: str) -> None:
    at = _upload_page()
    digest = _upload(at, EUROPEAN.name, EUROPEAN.read_bytes())
    at.selectbox(key=f"val:{digest}:crime_area:Crimes Against the Person").set_value("Other")
    at.run()
    at.text_input(key=f"preset_name:{digest}").set_value("  European  ops ")
    at.run()
    _button(at, "Save preset").click()
    at.run()
    assert "Saved preset “European ops”" in at.success[0].value

    at = _upload_page()
    # Next month's file: same columns, one more row (Italy, drugs).
    extra = "Opération Nord;14/01/2024;Italy;drugs;1;0;0;;;;\r\n".encode("cp1252")
    digest = _upload(at, "next.csv", EUROPEAN.read_bytes() + extra)
    assert at.selectbox(key=f"val:{digest}:crime_area:Crimes Against the Person").value == ""
    _button(at, "Apply preset “European ops”").click()
    at.run()
    assert at.selectbox(key=f"val:{digest}:crime_area:Crimes Against the Person").value == "Other"
    _button(at, "Dry run").click()
    at.run()
    assert (_metrics(at)["New"], _metrics(at)["Rejected"]) == ("5", "1")


def _messy_workbook() -> bytes:
    """A European Excel export: French headers, numbers as text with decimal commas, mixed dates."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Opération", "Date", "Pays", "Domaine", "Interpellations", "Valeur (USD)", "Réf. interne"])
    sheet.append(["Pangea XVII", "25.03.2024", "Belgique", "Stupéfiants", "1.234", "2.500,50", "A-1"])
    sheet.append(["Pangea XVII", "26/03/2024", "Netherlands", "Médicaments contrefaits", "12", "100", "A-2"])
    sheet.append(["Pangea XVII", "31/13/2024", "France", "Stupéfiants", "3", "", "A-3"])
    sheet.append(["Pangea XVII", "27.03.2024", "Belgique", "Stupéfiants", "-2", "", "A-4"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_messy_european_excel_export(store: str) -> None:
    """Rows by hand: 1 Belgium 1234 arrests, value 2500.5; 2 Netherlands 12 arrests, value 100;
    3 rejected (31/13/2024 is no date); 4 rejected (-2 arrests). 'Belgique' and the French crime
    areas are mapped on the page; 'Réf. interne' is kept out of the fields."""
    at = _upload_page()
    digest = _upload(at, "export.xlsx", _messy_workbook(),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert _facts(at, "export.xlsx").startswith("export.xlsx · Excel workbook · ")
    assert _facts(at, "export.xlsx").endswith(" · 4 data rows below the header in row 1")
    assert any("Still needed: crime_area" in w.value for w in at.warning)
    at.selectbox(key=f"col:{digest}:Domaine").set_value("crime_area")
    at.selectbox(key=f"col:{digest}:Interpellations").set_value("arrests")
    at.selectbox(key=f"col:{digest}:Valeur (USD)").set_value("seized_value_usd")
    at.run()
    at.selectbox(key=f"val:{digest}:crime_area:Stupéfiants").set_value("Drug trafficking")
    at.selectbox(key=f"val:{digest}:crime_area:Médicaments contrefaits").set_value(
        "Illicit goods and counterfeiting")
    at.selectbox(key=f"val:{digest}:country:Belgique").set_value("Belgium")
    at.run()
    _button(at, "Dry run").click()
    at.run()
    assert [_metrics(at)[k] for k in ("New", "Rejected")] == ["2", "2"]
    errors = _table(at, "message")
    assert errors[["row", "column", "value"]].values.tolist() == [[3, "date", "31/13/2024"],
                                                                 [4, "arrests", "-2"]]
    _button(at, "Import").click()
    at.run()
    totals = _totals(store)
    assert (totals["records"], totals["arrests"], totals["countries"]) == (2, 1246, 2)
    assert totals["seized_value_usd"] == pytest.approx(2600.5)


def test_the_sidebar_filters_are_not_on_the_upload_page_and_keep_their_values(store: str) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.multiselect(key="f_region").set_value(["Europe"])
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.exception
    assert not [m for m in at.sidebar.multiselect if m.key == "f_region"]
    at.switch_page("pages/overview.py")
    at.run()
    assert at.multiselect(key="f_region").value == ["Europe"]
def test_a_preset_with_quantities_imports_every_quantity(store: str) -> None:
    """The upload page keeps a preset's `quantities`: per-item totals as tests/test_quantities.py adds them up."""
    from ocops.ingest.mapping import Mapping
    from ocops.presets import save_preset
    from tests.test_quantities import SEIZURES_FILE, SEIZURES_MAPPING

    engine = make_engine(store)
    headers = SEIZURES_FILE.split("\n", 1)[0].split(",")
    save_preset(engine, "Seizure columns", headers, Mapping.from_data(SEIZURES_MAPPING))
    engine.dispose()
    at = _upload_page()
    _upload(at, "seizures.csv", SEIZURES_FILE.encode())
    _button(at, "Apply preset “Seizure columns”").click()
    at.run()
    _button(at, "Dry run").click()
    at.run()
    assert any("counted under Other: Solar panels" in i.value for i in at.info)
    _button(at, "Import").click()
    at.run()
    assert not at.exception, at.exception
    totals = _totals(store)
    assert (totals["records"], totals["seized_kg"], totals["seized_items"], totals["seized_value_usd"]) == (
        4, 151.0, 22, 2000000.0)
