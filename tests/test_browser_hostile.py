"""Hostile text in a real browser: names, file names and links that hold Markdown, LaTeX and HTML
are shown as text on every surface, and the browser makes no request outside the dashboard."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from tests.browser import serve_dashboard
from tests.conftest import CHROMIUM_ARGS

ARTIFACTS = Path(__file__).parent / "artifacts"
LINK_OP = "[Session expired - sign in again](http://evil.invalid/login)"
IMAGE_OP = "![x](http://evil.invalid/pixel.png) $x^2$ www.evil.invalid"
HTML_OP = '<a href="http://evil.invalid/">Op Gantt</a> <span style="font-size:80px">big</span>'
FILE_NAME = "![f](http:evil.invalid) [f](http:evil.invalid).csv"
HOSTILE_HEADER = "![h](http://evil.invalid/h.png)"
CSV = (f'operation,date,country,crime_area,arrests,"{HOSTILE_HEADER}"\n'
       f'"{LINK_OP}",2018-03-01,France,Drugs,3,a\n'
       f'"{IMAGE_OP}",2018-04-01,Peru,Drugs,4,b\n'
       f'"{HTML_OP.replace(chr(34), chr(34) * 2)}",2018-05-01,Kenya,Wildlife,5,c\n')

pytestmark = pytest.mark.browser


def _no_markup(page: object) -> None:
    """No link, image, LaTeX or styled span from the data anywhere on the page."""
    links = page.locator('a[href*="evil"]')  # type: ignore[attr-defined]
    assert links.count() == 0, [a.evaluate("e => e.parentElement.parentElement.outerHTML.slice(0, 400)")
                                for a in links.all()]
    assert page.locator('img[src*="evil"]').count() == 0  # type: ignore[attr-defined]
    assert page.locator(".katex").count() == 0  # type: ignore[attr-defined]
    styled = page.locator('[style*="font-size:80px"], [style*="font-size: 80px"]')  # type: ignore[attr-defined]
    assert styled.count() == 0, [e.evaluate("e => e.parentElement.outerHTML.slice(0, 600)") for e in styled.all()]
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]


def _shows(page: object, text: str) -> None:
    """Wait until the page shows ``text`` (ignoring the invisible word joiners that break bare URLs)."""
    page.wait_for_function("t => document.body.innerText.replaceAll('\\u2060', '').includes(t)",  # type: ignore[attr-defined]
                           arg=text, timeout=60_000)


def test_hostile_names_file_names_and_links_show_as_text(tmp_path: Path, chromium: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    env = {"OCOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'hostile.db'}", "OCOPS_LOAD_SAMPLE": "false"}
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_dashboard(env) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url)
                    if r.url.startswith("http") and urlparse(r.url).hostname != "127.0.0.1" else None)

            # the file goes in through the upload page: a hostile file name and column header
            page.goto(base + "/upload")
            page.get_by_text("Import history").wait_for(timeout=60_000)
            page.locator("input[type=file]").wait_for(state="attached", timeout=60_000)
            page.set_input_files("input[type=file]", files=[{"name": FILE_NAME, "mimeType": "text/csv",
                                                              "buffer": CSV.encode()}])
            page.get_by_role("button", name=re.compile(r"Dry run$")).click()
            page.get_by_text("Every row is valid.").wait_for(timeout=60_000)
            _shows(page, f"Columns not imported as fields: {HOSTILE_HEADER}.")
            page.get_by_role("button", name=re.compile(r"Import$")).click()
            _shows(page, f"Imported {FILE_NAME} as batch #1: 3 new, 0 updated, 0 unchanged, 0 rejected.")
            page.get_by_role("button", name=re.compile(r"Remove$")).click()
            _shows(page, f"Remove batch #1 ({FILE_NAME})? Its 3 current records are deleted")
            _no_markup(page)
            page.screenshot(path=str(ARTIFACTS / "hostile_upload.png"), full_page=True)

            # link values that do not exist: shown in the notice as written
            page.goto(base + "/?operation=" + quote(LINK_OP.replace("login", "x")) + "&region="
                      + quote("![](http://evil.invalid/y)"))
            _shows(page, "Ignored unknown region in the link: '![](http://evil.invalid/y)'.")
            _shows(page, f"Ignored unknown operation in the link: '{LINK_OP.replace('login', 'x')}'.")
            _no_markup(page)

            # a stored name in the filter caption
            page.goto(base + "/?operation=" + quote(IMAGE_OP))
            _shows(page, f"{IMAGE_OP} · last 12 months")
            _no_markup(page)

            # the drill-down heading and the Gantt chart
            page.goto(base + "/operations")
            _shows(page, f"{HTML_OP}: records per country")
            _no_markup(page)
            page.goto(base + "/timeline")
            gantt = page.locator('[data-testid="stPlotlyChart"]').nth(1)
            expect(gantt.get_by_text("<a href=\"http://evil.invalid/\">Op Gantt</a>", exact=False).first) \
                .to_be_attached(timeout=60_000)
            _no_markup(page)
            page.screenshot(path=str(ARTIFACTS / "hostile_timeline.png"), full_page=True)
        finally:
            browser.close()
    assert outside == []
