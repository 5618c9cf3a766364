"""The upload page in Debian's Chromium: an import moves the Overview KPIs by exactly the file's totals,
Remove moves them back.

tests/fixtures/upload_european.csv (Windows-1252, semicolons, day-first dates, ``1.234`` thousands,
``12,5`` decimals) has three valid rows, added up by hand:
arrests 1234 + 7 + 15 = 1256, seizures 12 + 2 + 4 = 18, victims 3 + 0 + 1 = 4,
seized value 12500.5 + 1000.75 = 13501.25 USD; rows 4 (Atlantis) and 5 (unknown crime area) are rejected.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
EUROPEAN = Path(__file__).parent / "fixtures" / "upload_european.csv"
ADDED = {"Records": 3, "Arrests": 1256, "Seizures": 18, "Victims rescued": 4}
ADDED_VALUE = 13501.25
SCREENSHOT = Path(os.environ.get("OCOPS_SCREENSHOTS", "/tmp")) / "upload_page.png"


pytestmark = pytest.mark.browser


def _kpis(page, url: str) -> dict[str, float]:  # a playwright Page
    """The Overview metric cards over all time, label -> number."""
    page.goto(f"{url}/?period=all-time")
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    values: dict[str, float] = {}
    for card in page.locator('[data-testid="stMetric"]').all():
        label = card.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        value = card.locator('[data-testid="stMetricValue"]').inner_text().strip()
        number = re.sub(r"[^\d.\-]", "", value.split(" ")[0])
        if number:
            values[label] = float(number)
    return values


def _open_upload(page, url: str, name: str, data: bytes, mime: str) -> None:
    page.goto(f"{url}/upload")
    page.get_by_text("Import history").wait_for(timeout=60_000)  # the page has run: the uploader is live
    page.locator("input[type=file]").wait_for(state="attached", timeout=60_000)
    page.set_input_files("input[type=file]", files=[{"name": name, "mimeType": mime, "buffer": data}])


def test_import_raises_the_kpis_by_the_file_totals_and_a_binary_file_changes_nothing(
        chromium: Path, app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        before = _kpis(page, app_url)
        assert set(ADDED) <= set(before), before

        _open_upload(page, app_url, EUROPEAN.name, EUROPEAN.read_bytes(), "text/csv")
        facts = page.get_by_text(re.compile(r"^upload_european\.csv · cp1252, semicolon-separated · "))
        facts.wait_for(timeout=60_000)  # one line of small text, the file name whole
        page.get_by_role("button", name=re.compile(r"Dry run$")).click()
        page.get_by_text("Validation report: 2 problems in 2 rows").wait_for(timeout=60_000)
        assert page.get_by_text(re.compile(r"^“Atlantis” · 1 row")).count() == 1  # offered for value mapping
        page.get_by_role("button", name=re.compile(r"Import$")).click()
        page.get_by_text(re.compile(r"Imported upload_european\.csv as batch #\d+: 3 new, 0 updated, 0 unchanged, "
                                    r"2 rejected\.")).wait_for(timeout=60_000)

        after = _kpis(page, app_url)
        for label, added in ADDED.items():
            assert after[label] - before[label] == added, (label, before[label], after[label])
        # Money is shown without decimals: the shown rise may differ from 13,501.25 by rounding only.
        assert abs(after["Seized value (USD)"] - before["Seized value (USD)"] - ADDED_VALUE) <= 1

        _open_upload(page, app_url, "scan.csv", b"\x00\x01\x02\x03binary\xff\x00" * 100, "text/csv")
        page.get_by_text("looks like a binary file, not text").wait_for(timeout=60_000)
        assert page.get_by_role("button", name=re.compile(r"Import$")).count() == 0
        assert _kpis(page, app_url) == after

        # Undo: the newest batch (this import) is preselected; Remove asks first, then the KPIs are back.
        page.goto(f"{app_url}/upload")
        page.get_by_role("button", name=re.compile(r"Remove$")).click()
        page.get_by_role("button", name=re.compile(r"Yes, remove this batch$")).click()
        page.get_by_text(re.compile(r"Removed batch #\d+ \(upload_european\.csv\): 3 records removed")).wait_for(
            timeout=60_000)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert _kpis(page, app_url) == before
        browser.close()


def test_a_messy_european_excel_export_with_a_saved_preset(chromium: Path, app_url: str, tmp_path: Path) -> None:
    """The workbook of tests/test_app_upload.py (French headers, numbers as text, mixed dates), mapped by a
    preset saved earlier. By hand: row 1 Belgium 1,234 arrests and 2,500.50 USD, row 2 Netherlands 12 arrests
    and 100 USD; rows 3 (31/13/2024) and 4 (-2 arrests) are rejected."""
    from playwright.sync_api import sync_playwright

    from ocops.ingest.mapping import Mapping
    from ocops.presets import save_preset
    from ocops.store import open_store
    from tests.test_app_upload import _messy_workbook

    engine = open_store(f"sqlite:///{tmp_path / 'ocops.db'}")  # the store app_url serves
    headers = ["Opération", "Date", "Pays", "Domaine", "Interpellations", "Valeur (USD)", "Réf. interne"]
    save_preset(engine, "Customs export (FR)", headers, Mapping(
        columns={"Domaine": "crime_area", "Interpellations": "arrests", "Valeur (USD)": "seized_value_usd",
                 "Réf. interne": "ignore"},
        values={"crime_area": {"Stupéfiants": "Drug trafficking",
                               "Médicaments contrefaits": "Illicit goods and counterfeiting"},
                "country": {"Belgique": "Belgium"}}))
    engine.dispose()
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        before = _kpis(page, app_url)
        _open_upload(page, app_url, "export.xlsx", _messy_workbook(),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        page.get_by_role("button", name="Apply preset “Customs export (FR)”").click()
        page.wait_for_timeout(1000)
        page.get_by_role("button", name=re.compile(r"Dry run$")).click()
        page.get_by_text("Validation report: 2 problems in 2 rows").wait_for(timeout=60_000)
        page.get_by_role("button", name=re.compile(r"Import$")).click()
        page.get_by_text(re.compile(r"Imported export\.xlsx as batch #\d+: 2 new, 0 updated, 0 unchanged, "
                                    r"2 rejected\.")).wait_for(timeout=60_000)
        after = _kpis(page, app_url)
        assert after["Records"] - before["Records"] == 2
        assert after["Arrests"] - before["Arrests"] == 1246
        assert abs(after["Seized value (USD)"] - before["Seized value (USD)"] - 2600.5) <= 1
        browser.close()


def test_a_realdata_file_with_its_shipped_preset(chromium: Path, app_url: str) -> None:
    """The Toronto victims file (a format fixture, not operation results) through the browser with the
    shipped preset; the rise in records and victims is summed from the file with the csv module."""
    import csv

    from playwright.sync_api import sync_playwright

    from tests.conftest import REALDATA, require

    path = REALDATA / "toronto_victims_of_crime.csv"
    require(path.exists(), f"{path} is not present")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    victims = sum(int(row["COUNT_"]) for row in rows)
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        before = _kpis(page, app_url)
        _open_upload(page, app_url, path.name, path.read_bytes(), "text/csv")
        page.get_by_role("button", name="Apply preset “Toronto victims of crime”").click()
        page.wait_for_timeout(1000)
        page.get_by_role("button", name=re.compile(r"Import$")).click()
        page.get_by_text(re.compile(rf"Imported {re.escape(path.name)} as batch #\d+: {len(rows):,} new, 0 updated, "
                                    r"0 unchanged, 0 rejected\.")).wait_for(timeout=120_000)
        after = _kpis(page, app_url)
        assert after["Records"] - before["Records"] == len(rows) == 1244
        assert after["Victims rescued"] - before["Victims rescued"] == victims
        browser.close()
