"""The Map page in Debian's Chromium: draws the world offline, a click filters by country."""

from __future__ import annotations

import io
import math
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
WEBGL_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]  # WebGL without a GPU


pytestmark = pytest.mark.browser


def _initial_view(store: Path) -> tuple[float, float, float]:
    """(longitude, latitude, zoom) the map page opens on for the store's default filter
    (``maps.fit_view`` of the countries with records in the last 12 months of data)."""
    from ocops import maps
    from ocops.geo import load_countries
    from ocops.links import DEFAULT_PERIOD, period_range
    from ocops.queries import Filter, load_frame
    from ocops.store import make_engine

    engine = make_engine(f"sqlite:///{store}")
    frame = load_frame(engine)
    engine.dispose()
    countries = load_countries()
    since, until = period_range(DEFAULT_PERIOD, frame["date"].max().date())
    flt = Filter(since=since, until=until)
    view = maps.fit_view(maps.view_countries(frame, flt, countries), countries, 560, 560)
    return view.longitude, view.latitude, view.zoom


def _screen_point(lon: float, lat: float, box: dict, view: tuple[float, float, float]) -> tuple[float, float]:
    """Web Mercator pixel position of lon/lat in a deck.gl MapView canvas (its initial view)."""
    view_lon, view_lat, zoom = view
    size = 512 * 2 ** zoom

    def merc_y(latitude: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2))

    x = box["x"] + box["width"] / 2 + (lon - view_lon) / 360 * size
    y = box["y"] + box["height"] / 2 - (merc_y(lat) - merc_y(view_lat)) / (2 * math.pi) * size
    return x, y


def _open_map(play, chromium: Path, app_url: str, foreign: list[str]):
    """A browser page on /map (after a warm-up visit of the router), the deck canvas drawn;
    every request to another host than the app's is appended to ``foreign``."""
    own = urlparse(app_url).netloc
    browser = play.chromium.launch(executable_path=str(chromium), args=[*CHROMIUM_ARGS, *WEBGL_ARGS])
    # A first visit opens the store and loads the sample, so /map below loads at normal speed.
    warm = browser.new_page()
    warm.goto(app_url)
    warm.get_by_text("Reset filters").first.wait_for(timeout=60_000)
    warm.close()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})

    def note(request) -> None:  # a playwright Request
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != own:
            foreign.append(request.url)

    page.on("request", note)
    page.goto(f"{app_url}/map", wait_until="domcontentloaded")
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for(state="visible", timeout=60_000)
    page.wait_for_timeout(3000)  # let deck.gl draw
    return browser, page, canvas


def test_map_canvas_shows_the_world(chromium: Path, app_url: str) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser, _, canvas = _open_map(play, chromium, app_url, [])
        shot = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        browser.close()
    pixels = list(shot.getdata())
    background = max(set(pixels[::97]), key=pixels[::97].count)
    drawn = sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, background, strict=True)) > 30)
    assert drawn > 0.15 * len(pixels), f"only {drawn} of {len(pixels)} pixels differ from the background"


def test_map_page_requests_only_the_app(chromium: Path, app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    foreign: list[str] = []
    with sync_playwright() as play:
        browser, page, _ = _open_map(play, chromium, app_url, foreign)
        page.wait_for_timeout(2000)
        browser.close()
    assert foreign == [], f"requests to other hosts: {foreign}"


def _click_after_rerun(page, box: dict, view: tuple[float, float, float], lon_lat: tuple[float, float],
                       tooltip: str, query: str) -> None:
    """Hover ``lon_lat`` until the tooltip shows ``tooltip``, click, wait for ``query`` in the URL.

    The rerun after a click replaces the chart (its key rotates per click): a click on the old
    chart while the script runs is lost, so first wait for the run to end and the chart to draw."""
    page.wait_for_timeout(1000)
    page.wait_for_function("() => !document.querySelector('[data-testid^=stStatusWidgetRunning]')", timeout=30_000)
    page.wait_for_timeout(1500)
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    x, y = _screen_point(*lon_lat, canvas.bounding_box() or box, view)
    page.mouse.move(x, y)
    page.wait_for_function("text => (document.querySelector('.deck-tooltip')?.innerText || '').includes(text)",
                           arg=tooltip, timeout=15_000)
    page.mouse.click(x, y)
    page.wait_for_function("q => window.location.search.includes(q)", arg=query, timeout=15_000)


def test_click_on_a_country_sets_the_country_filter(chromium: Path, app_url: str, tmp_path: Path) -> None:
    # Needs the boundary outlines out of picking (maps.UNPICKABLE_OUTLINES): otherwise the
    # pointerdown pick takes > 250 ms here and deck.gl drops the click as a long press.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser, page, canvas = _open_map(play, chromium, app_url, [])
        box = canvas.bounding_box()
        assert box is not None
        view = _initial_view(tmp_path / "ocops.db")  # the app_url fixture's store
        x, y = _screen_point(-62.0, -6.0, box, view)  # Amazonas, Brazil (away from Brazil's record point)
        page.mouse.move(x, y)
        page.wait_for_timeout(500)
        assert "Brazil" in page.locator(".deck-tooltip").inner_text()  # hovering picks Brazil
        page.mouse.click(x, y)
        page.wait_for_function("() => window.location.search.includes('country=')", timeout=15_000)
        first = page.url
        # the view did not move to Brazil: Poland is where it was
        _click_after_rerun(page, box, view, (20.0, 52.0), "Poland", "country=POL")  # a second country
        second = page.url
        _click_after_rerun(page, box, view, (134.0, -25.0), "no records in the filter", "country=AUS")  # Australia
        third = page.url
        browser.close()
    assert parse_qs(urlparse(first).query)["country"] == ["BRA"]
    assert parse_qs(urlparse(second).query)["country"] == ["BRA", "POL"]
    assert parse_qs(urlparse(third).query)["country"] == ["BRA", "POL", "AUS"]
