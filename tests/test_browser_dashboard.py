"""The dashboard in a real browser: Debian's Chromium through Playwright against `streamlit run`.

The store is a temporary SQLite file loaded from tests/fixtures/app_operations.csv;
the expected KPI values were added up by hand (Europe, 2018: rows A-03, P-01, P-02,
L-01, L-02, G-01, N-01; previous period 2017: L-05, L-06, T-03, G-03).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import serve_dashboard
from tests.conftest import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
LINK = "/?region=Europe&since=2018-01-01&until=2018-12-31"
EXPECTED = ["7", "5", "4", "40", "116", "2", "5,165,000"]
PAGES = ("Timeline", "Breakdown", "Operations", "Overview")

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free port, on a store loaded from the fixture."""
    env = {"OCOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'browser.db'}", "OCOPS_LOAD_SAMPLE": "false"}
    subprocess.run([sys.executable, "-m", "ocops", "import", str(FIXTURE)], cwd=ROOT, env={**os.environ, **env},
                   check=True, capture_output=True)
    with serve_dashboard(env) as base:
        yield base


def _query(page_url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(page_url).query)


def _assert_no_error(page: object) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0  # type: ignore[attr-defined]


def test_shared_link_shows_hand_computed_figures_on_every_page(server: str, chromium: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url)
                    if urlparse(r.url).hostname not in (None, "127.0.0.1") and r.url.startswith("http") else None)
            page.goto(server + LINK)
            values = page.locator('[data-testid="stMetricValue"]')
            expect(values.nth(6)).to_be_visible(timeout=30_000)
            expect(page.locator('[data-testid="stMetricLabel"]').first).to_have_text("Records")
            assert [values.nth(i).inner_text().strip() for i in range(7)] == EXPECTED
            _assert_no_error(page)
            for title in PAGES:
                page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
                expect(page.locator("h1", has_text=title)).to_be_visible(timeout=30_000)
                page.wait_for_function("() => window.location.search.includes('region=Europe')", timeout=15_000)
                page.wait_for_timeout(500)
                _assert_no_error(page)
                query = _query(page.url)
                assert query.get("region") == ["Europe"], (title, page.url)
                assert query.get("since") == ["2018-01-01"] and query.get("until") == ["2018-12-31"], page.url
            assert [values.nth(i).inner_text().strip() for i in range(7)] == EXPECTED

            # a click on the Drug trafficking bar (March 2018) filters on that crime area
            page.locator('[data-testid="stSidebarNav"] a', has_text="Timeline").first.click()
            bars = page.locator('[data-testid="stPlotlyChart"]').first.locator(".point path")
            expect(bars.first).to_be_attached(timeout=30_000)
            # every month has a bar, empty months a flat one: click the first that has a height
            drawn = next(bar for bar in bars.all() if (bar.bounding_box() or {"height": 0})["height"] > 2)
            drawn.click(force=True)
            page.wait_for_function("() => window.location.search.includes('crime_area=Drug')", timeout=15_000)
            assert _query(page.url)["crime_area"] == ["Drug trafficking"]
            assert _query(page.url)["region"] == ["Europe"]
            _assert_no_error(page)
            assert outside == [], "the dashboard fetched from the internet"
        finally:
            browser.close()


def test_a_seized_item_link_shows_that_items_kilograms(server: str, chromium: Path) -> None:
    """`/?seized_item=cocaine`: the default period (2018) holds L-01 120 + L-02 80 + L-03 500 = 700 kg
    of cocaine worth 3,000,000 + 2,000,000 + 12,500,000 USD, in 3 records."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(server + "/?seized_item=cocaine")
            values = page.locator('[data-testid="stMetricValue"]')
            expect(values.nth(6)).to_be_visible(timeout=30_000)
            assert [values.nth(i).inner_text().strip() for i in (0, 6)] == ["3", "17,500,000"]
            table = page.locator('[data-testid="stDataFrame"]').first
            expect(table).to_be_visible(timeout=15_000)
            # the grid's accessible table: one row, Cocaine, with 700 in the kg column
            expect(table.locator('th[role="columnheader"]').nth(2)).to_have_text("kg", timeout=15_000)
            expect(table.locator('[data-testid="glide-cell-0-0"]')).to_have_text("Cocaine")
            expect(table.locator('[data-testid="glide-cell-2-0"]')).to_have_text("700")
            assert table.locator('td[role="gridcell"]').count() == 6
            expect(page.locator('[data-testid="stSidebar"]').get_by_text("Cocaine", exact=True)).to_be_visible()
            assert _query(page.url).get("seized_item") == ["Cocaine"]
            _assert_no_error(page)
            Path(ROOT / "tests" / "artifacts").mkdir(exist_ok=True)
            page.screenshot(path=str(ROOT / "tests" / "artifacts" / "overview-seized-item-cocaine.png"), full_page=True)
        finally:
            browser.close()


def test_briefing_downloads_from_the_overview_with_the_filter_and_its_figures(server: str, chromium: Path) -> None:
    """The sidebar's Briefing (PDF) on the Overview of a filtered link: built on click, named after
    the filter, holding the hand-computed KPIs of that filter and the filter in words."""
    import io

    import pypdf
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
            page.goto(server + LINK)
            expect(page.locator('[data-testid="stMetricValue"]').nth(6)).to_be_visible(timeout=90_000)
            button = page.locator('[data-testid="stSidebar"] [data-testid="stDownloadButton"] button',
                                  has_text="Briefing (PDF)")
            with page.expect_download(timeout=90_000) as info:
                button.click()
            download = info.value
            data = Path(download.path()).read_bytes()
            page.screenshot(path=str(ROOT / "tests" / "artifacts" / "briefing_sidebar.png"))
            _assert_no_error(page)
        finally:
            browser.close()
    assert download.suggested_filename.startswith("ocops-briefing_europe_2018-01-01-to-2018-12-31_")
    assert download.suggested_filename.endswith(".pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "Filter Europe · 1 Jan 2018 – 31 Dec 2018" in text
    for label, value in zip(["Records", "Operations", "Countries", "Arrests", "Seizures", "Victims rescued",
                             "Seized value (USD)"], EXPECTED, strict=True):
        assert f"{label} {value} " in text, label
    assert "Arrests 40 +31 against the comparison period" in text
