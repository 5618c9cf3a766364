"""How the dashboard reads in Chromium: tables with names and figures in view, and screenshots.

The store is a temporary SQLite file loaded from tests/fixtures/app_operations.csv plus one
operation with a long name (so a cut name would show). Screenshots of every page at 1440 px
and 1024 px, default and filtered, are written to tests/artifacts/ (git-ignored) for review.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import serve_dashboard
from tests.conftest import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
ARTIFACTS = Path(__file__).parent / "artifacts"
LONG_NAME = "Operation Pangea XVI - Illicit Online Pharmacies"
EXTRA = ("operation,date,country,crime_area,arrests,seizures\n"
         f"{LONG_NAME},2018-11-20,United Kingdom,Illicit goods and counterfeiting,123456,8\n"
         f"{LONG_NAME},2018-11-21,Germany,Illicit goods and counterfeiting,3,1\n")
WEBGL_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]  # deck.gl without a GPU
PAGES = {"overview": "", "map": "map", "timeline": "timeline", "breakdown": "breakdown",
         "operations": "operations", "upload": "upload"}
TITLES = {"overview": "Overview", "map": "Map", "timeline": "Timeline", "breakdown": "Breakdown",
          "operations": "Operations", "upload": "Upload"}
FILTERED = "region=Europe&period=2018"

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free port over the fixture and the long-named operation."""
    env = {"OCOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'views.db'}", "OCOPS_LOAD_SAMPLE": "false"}
    extra = tmp_path / "long_names.csv"
    extra.write_text(EXTRA, encoding="utf-8")
    for path in (FIXTURE, extra):
        subprocess.run([sys.executable, "-m", "ocops", "import", str(path)], cwd=ROOT,
                       env={**os.environ, **env}, check=True, capture_output=True)
    with serve_dashboard(env) as base:
        yield base


def _settle(page: object, title: str) -> None:
    """Wait for the page title and the end of the script run, then for the charts to draw."""
    from playwright.sync_api import expect

    expect(page.locator("h1", has_text=title).first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid^=stStatusWidgetRunning]')"
        " && !document.querySelector('[data-testid^=stSkeleton]')", timeout=60_000)
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]


def _column_edges(grid: object) -> list[int]:
    """The x positions (px, from the grid's left) of the vertical lines between the header cells
    of a st.dataframe, read from the pixels of its canvas: a column of pixels darker than the
    header background from the top to the bottom of the header row."""
    from PIL import Image

    canvas = grid.locator("canvas").first  # type: ignore[attr-defined]
    shot = Image.open(io.BytesIO(canvas.screenshot())).convert("L")
    width = shot.size[0]
    band = range(4, 30)  # inside the 35 px header row
    background = shot.getpixel((width // 2, 2))
    edges = []
    for x in range(1, width):
        dark = sum(1 for y in band if shot.getpixel((x, y)) < background - 6)
        if dark == len(band) and (not edges or x - edges[-1] > 3):
            edges.append(x)
    return edges


def _text_width(page: object, texts: list[str]) -> float:
    """The widest of ``texts`` in the grid's cell font, in CSS px."""
    return float(page.evaluate(  # type: ignore[attr-defined]
        """texts => { const c = document.createElement('canvas').getContext('2d');
                      c.font = '400 14px "Source Sans", sans-serif';
                      return Math.max(...texts.map(t => c.measureText(t).width)); }""", texts))


def _check_names_and_first_figure(page: object, grid: object, names: list[str], figure: str, widest: str) -> None:
    """The first column holds every name in full, the second is ``figure``, holds its
    ``widest`` value in full and ends in view."""
    grid.locator('th[role="columnheader"]').nth(1).wait_for(state="attached", timeout=30_000)  # type: ignore[attr-defined]
    headers = grid.locator('th[role="columnheader"]').all_inner_texts()  # type: ignore[attr-defined]
    assert headers[1] == figure, headers
    box = grid.locator("canvas").first.bounding_box()  # type: ignore[attr-defined]
    edges = _column_edges(grid)
    assert len(edges) >= 2, edges
    name_width, figure_end = edges[0], edges[1]
    needed = _text_width(page, names) + 16  # 8 px cell padding on each side
    assert name_width >= needed, f"names need {needed:.0f} px, the column is {name_width} px"
    assert figure_end <= box["width"], f"{figure} ends at {figure_end} px of {box['width']} px"
    needed = _text_width(page, [widest]) + 16
    assert figure_end - name_width >= needed, f"{widest} needs {needed:.0f} px of {figure_end - name_width} px"


def test_tables_show_full_names_and_the_first_figure_at_1440(server: str, chromium: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            # The first request of the process opens a page's own URL: Streamlit's legacy pages/
            # mode runs the page file, which runs the router (ocops.ui.router), no error.
            page.goto(f"{server}/operations?period=all-time")
            _settle(page, "Operations")
            assert page.locator('[data-testid="stSidebarNav"] a', has_text="Overview").count() == 1
            grids = page.locator('[data-testid="stDataFrame"]')
            operations = ["Operation Andes", "Operation Pangea", "Operation Neptune", "Operation Trigger",
                          "Operation Lionfish", "Operation Thunderbird", "Operation Sea Shield", LONG_NAME]
            _check_names_and_first_figure(page, grids.nth(0), operations, "Arrests", "123,459")

            page.locator('[data-testid="stSelectbox"]', has_text="Operation").last.click()
            page.get_by_role("option", name=LONG_NAME).click()
            _settle(page, "Operations")
            page.get_by_text(f"{LONG_NAME}: records per country").wait_for(timeout=30_000)
            _check_names_and_first_figure(page, grids.nth(1), ["United Kingdom", "Germany"], "Arrests", "123,456")

            page.goto(f"{server}/?period=all-time")
            _settle(page, "Overview")
            latest = page.locator('[data-testid="stDataFrame"]').last
            _check_names_and_first_figure(page, latest, operations, "Arrests", "123,459")
        finally:
            browser.close()


def test_screenshots_of_every_page(server: str, chromium: Path) -> None:
    """Every page at 1440 px and 1024 px wide, default and filtered, saved for review."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    saved = []
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(chromium), args=[*CHROMIUM_ARGS, *WEBGL_ARGS])
        try:
            for width in (1440, 1024):
                page = browser.new_page(viewport={"width": width, "height": 2600})
                for name, path in PAGES.items():
                    for view, query in (("default", ""), ("filtered", FILTERED)):
                        page.goto(f"{server}/{path}?{query}")
                        _settle(page, TITLES[name])
                        if name == "map":
                            page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.wait_for(timeout=60_000)
                            page.wait_for_timeout(2500)
                        target = ARTIFACTS / f"{name}-{width}-{view}.png"
                        page.screenshot(path=str(target))
                        saved.append(target)
                page.close()
        finally:
            browser.close()
    assert len(saved) == 24 and all(p.stat().st_size > 10_000 for p in saved)


def test_copy_link_and_typed_dates(server: str, chromium: Path) -> None:
    """"Copy link" puts the address of the current view on the clipboard; dates typed into the
    custom range apply once the field is left."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
            page = context.new_page()
            page.goto(f"{server}/breakdown?region=Europe&period=2018-Q4&compare=last-year")
            _settle(page, "Breakdown")
            button = page.frame_locator('[data-testid="stSidebar"] iframe').first.locator("#ocops-copy-link")
            button.click()
            page.wait_for_timeout(500)
            assert button.inner_text() == "Link copied"
            copied = page.evaluate("() => navigator.clipboard.readText()")
            assert copied == f"{server}/breakdown?region=Europe&period=2018-Q4&compare=last-year"

            page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]', has_text="Period").click()
            page.get_by_role("option", name="Custom range").click()
            _settle(page, "Breakdown")
            years = page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] [data-type="year"]')
            years.nth(0).click()
            page.keyboard.type("20180101")  # year, month, day: each segment moves on to the next
            years.nth(1).click()
            page.keyboard.type("20180630")
            # Streamlit's date field commits typed dates when the focus leaves it (not on Enter),
            # as the field's help says
            page.locator("h1").first.click()
            page.wait_for_function("() => window.location.search.includes('until=2018-06-30')", timeout=15_000)
            assert "since=2018-01-01" in page.url
        finally:
            browser.close()
