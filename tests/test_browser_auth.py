"""Sign-in for real: an OIDC mock provider on loopback, the dashboard with an [auth] secrets file,
and Debian's Chromium signing in as users of each role and scope.

Store: tests/fixtures/app_operations.csv. Europe (ESP, FRA, DEU, ITA) over all time, by hand:
11 records, 6 operations, 4 countries, 49 arrests; Africa is NGA, KEN, GHA.
The tests run in file order against one server; the last one reads the admin's Audit page.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocops.geo import load_countries
from ocops.importer import Vocabulary, import_path
from ocops.store import open_store
from ocops.taxonomy import load_taxonomy
from tests.browser import free_port, serve_dashboard
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, require
from tests.test_browser_map import WEBGL_ARGS

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
ARTIFACTS = Path(__file__).parent / "artifacts"
COOKIE_SECRET = "ocops-test-cookie-secret-5f0c9d2a"
USERS = {
    "eu-viewer": {"roles": ["viewer"], "regions": ["Europe"]},
    "eu-officer": {"roles": ["data_officer"], "regions": ["Europe"]},
    "admin": {"roles": ["admin"]},
}
AFRICAN = ("Africa", "Nigeria", "Kenya", "Ghana", "Lagos", "Sea Shield", "NAFDAC", "Nigerian Navy")


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """oidc-provider-mock on a free loopback port with the users above."""
    port = free_port()
    claims = [arg for sub, extra in USERS.items()
              for arg in ("--user-claims", json.dumps({"sub": sub, "email": f"{sub}@example.org", **extra}))]
    mock = Path(sys.executable).parent / "oidc-provider-mock"
    process = subprocess.Popen([str(mock), "-p", str(port), *claims], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("oidc-provider-mock did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def team_app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard with sign-in configured in a temporary secrets file (never in the project)."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium")
    folder = tmp_path_factory.mktemp("team")
    url = f"sqlite:///{folder / 'ocops.db'}"
    engine = open_store(url)
    assert import_path(engine, FIXTURE, Vocabulary(load_countries(), load_taxonomy())).imported == 21
    engine.dispose()
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"
client_id = "ocops"
client_secret = "ocops-client-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    env = {"OCOPS_DATABASE_URL": url, "OCOPS_LOAD_SAMPLE": "false"}
    with serve_dashboard(env, port=port, args=["--secrets.files", str(secrets)]) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium for the module (each test signs in in its own context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *WEBGL_ARGS])
        yield chromium
        chromium.close()


def _context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    # Offline: the mock's form links a CSS file on a CDN; nothing may leave this machine.
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                  else route.abort())
    return context


def _sign_in(page, link: str, sub: str) -> None:
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.get_by_role("button", name=sub, exact=True).click()
    page.get_by_text(re.compile(rf"Signed in as {sub}\u2060?@example\.org")).wait_for(timeout=60_000)  # shown as text


def _signed_in(browser, team_app: str, path: str, sub: str):
    """A fresh browser context signed in as ``sub`` through a link to ``path``, on that page."""
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, f"{team_app}{path}", sub)
    page.wait_for_function(f"() => window.location.pathname.endsWith('{path.split('?')[0]}')", timeout=30_000)
    return context, page


def _settle(page) -> None:
    page.wait_for_timeout(800)
    page.wait_for_function("() => !document.querySelector('[data-testid^=stStatusWidgetRunning]')", timeout=60_000)
    page.wait_for_timeout(500)


def _kpis(page) -> dict[str, str]:
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
    cards = {}
    for card in page.locator('[data-testid="stMetric"]').all():
        label = card.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        cards[label] = card.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return {k: cards[k] for k in ("Records", "Operations", "Countries", "Arrests") if k in cards}


def _no_africa(page, where: str) -> None:
    text = page.locator("body").inner_text()
    assert [w for w in AFRICAN if w in text] == [], where


def test_europe_viewer_sees_no_african_figure_and_cannot_export(team_app: str, browser) -> None:
    # The link survives sign-in (its page and period), the region outside the scope does not.
    context, page = _signed_in(browser, team_app, "/map?region=Africa&period=all-time", "eu-viewer")
    page.wait_for_function("() => window.location.search.includes('period=all-time')", timeout=30_000)
    assert "region=Africa" not in page.url
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for(state="visible", timeout=60_000)
    _settle(page)
    page.wait_for_timeout(2500)  # let deck.gl draw
    _no_africa(page, "map")
    # The map now opens fitted to the records in scope (Europe), so Nigeria is off-canvas: the click on an
    # out-of-scope country is checked through the map's click callback in tests/test_app_auth.py.
    page.screenshot(path=str(ARTIFACTS / "auth_viewer_map.png"))

    page.goto(f"{team_app}/?period=all-time&operation=Operation+Sea+Shield")  # an African-only operation
    assert _kpis(page) == {"Records": "11", "Operations": "6", "Countries": "4", "Arrests": "49"}
    page.goto(f"{team_app}/?period=all-time&operation=Operation+Pangea")  # FRA, DEU, NGA, KEN
    assert _kpis(page) == {"Records": "2", "Operations": "1", "Countries": "2", "Arrests": "10"}
    _settle(page)
    _no_africa(page, "overview of Operation Pangea")
    page.screenshot(path=str(ARTIFACTS / "auth_viewer_overview.png"), full_page=True)

    page.goto(f"{team_app}/operations?period=all-time")
    page.get_by_text("Record drill-down and downloads need the analyst role.").wait_for(timeout=60_000)
    assert page.get_by_role("button", name=re.compile("Download")).count() == 0
    _no_africa(page, "operations")
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Upload" not in nav and "Audit" not in nav and "Overview" in nav

    page.goto(f"{team_app}/upload")
    page.get_by_text("Your role (viewer) cannot open the Upload page.").wait_for(timeout=60_000)
    assert page.locator("input[type=file]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "auth_viewer_upload_refused.png"))
    context.close()


def test_data_officer_imports_within_scope_only(team_app: str, browser) -> None:
    context, page = _signed_in(browser, team_app, "/upload", "eu-officer")
    page.get_by_text("Import history").wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    # The fixture batch wrote European rows, so the history table (a canvas grid) holds it.
    page.locator("td[role=gridcell]", has_text="app_operations.csv").first.wait_for(state="attached", timeout=60_000)
    data = (b"operation,date,country,crime_area,arrests\n"
            b"Operation Scope,2018-12-01,France,Drug trafficking,5\n"
            b"Operation Scope,2018-12-01,Nigeria,Drug trafficking,7\n")
    page.locator("input[type=file]").wait_for(state="attached", timeout=60_000)
    page.set_input_files("input[type=file]", files=[{"name": "scope.csv", "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name=re.compile(r"Dry run$")).click()
    page.get_by_text("Validation report: 1 problems in 1 rows").wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile(r"Import$")).click()
    page.get_by_text(re.compile(r"Imported scope\.csv as batch #2: 1 new, 0 updated, 0 unchanged, "
                                r"1 rejected\.")).wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "auth_officer_import.png"), full_page=True)
    page.goto(f"{team_app}/?period=all-time")
    assert _kpis(page) == {"Records": "12", "Operations": "7", "Countries": "4", "Arrests": "54"}  # + France's 5
    context.close()


def test_a_cookie_signed_with_another_secret_is_refused(team_app: str, browser) -> None:
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    claims = json.dumps({"sub": "admin", "email": "admin@example.org", "roles": ["admin"], "is_logged_in": True,
                         "provider": "default", "origin": team_app, "iat": int(time.time())})
    for secret, signed_in in (("not-the-" + COOKIE_SECRET, False), (COOKIE_SECRET, True)):
        context = _context(browser)
        value = create_signed_value(secret, "_streamlit_user", claims).decode()
        context.add_cookies([{"name": "_streamlit_user", "value": value, "url": team_app}])
        page = context.new_page()
        page.goto(f"{team_app}/?period=all-time")
        if signed_in:  # control: the same cookie with the server's secret is accepted
            page.get_by_text(re.compile(r"Signed in as admin\u2060?@example\.org")).wait_for(timeout=60_000)
        else:
            page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
            _settle(page)
            assert page.locator('[data-testid="stMetric"]').count() == 0
            assert "admin@example.org" not in page.locator("body").inner_text().replace("\u2060", "")
            page.screenshot(path=str(ARTIFACTS / "auth_forged_cookie.png"))
        context.close()


def test_the_admins_audit_page_shows_each_action(team_app: str, browser) -> None:
    context, page = _signed_in(browser, team_app, "/audit", "admin")
    button = page.get_by_role("button", name=re.compile(r"Download \d+ entries as CSV"))
    button.wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "auth_admin_audit.png"), full_page=True)
    with page.expect_download() as download:
        button.click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    actions = {(row["user"], row["action"]) for row in rows}
    viewer, officer = "eu-viewer@example.org", "eu-officer@example.org"
    assert {(viewer, "sign-in"), (viewer, "view"), (viewer, "access-denied"), (officer, "sign-in"),
            (officer, "import"), ("admin@example.org", "sign-in")} <= actions
    assert (viewer, "export") not in actions
    denied = [json.loads(r["detail"]) for r in rows if r["action"] == "access-denied" and r["user"] == viewer]
    assert {d["what"] for d in denied} >= {"page upload", "records"}
    imported = [json.loads(r["detail"]) for r in rows if r["action"] == "import"]
    assert imported == [{"file": "scope.csv", "batch_id": 2, "imported": 1, "updated": 0, "rejected": 1}]
    views = [json.loads(r["detail"]) for r in rows if r["action"] == "view" and r["user"] == viewer]
    assert {"page": "overview", "filter": {"operation": ["Operation Pangea"]}, "rows": 2} in \
        [{**v, "filter": {k: x for k, x in v["filter"].items() if k == "operation"}} for v in views]
    context.close()
