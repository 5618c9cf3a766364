"""Sign-in, roles and scopes on every page, without a browser (AppTest seeds ``st.user``).

Figures are added up by hand from tests/fixtures/app_operations.csv (21 rows, latest 2018-12-31).
Europe (ESP, FRA, DEU, ITA), all time: 11 records, 6 operations (Andes, Pangea, Lionfish,
Thunderbird, Trigger, Neptune), 4 countries, 49 arrests (5+3+7+8+6+4+2+1+11+2+0).
Africa (NGA, KEN, GHA) must never show to a Europe-only user.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from ocops import audit
from ocops.geo import load_countries
from ocops.importer import Vocabulary, import_bytes
from ocops.store import open_store
from ocops.taxonomy import load_taxonomy
from ocops.ui.auth import LOCAL_NOTICE, NO_ACCESS
from tests.test_app_pages import _store

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
PAGES = ("pages/overview.py", "pages/map.py", "pages/timeline.py", "pages/breakdown.py", "pages/operations.py")
AFRICAN = ("Africa", "Nigeria", "Kenya", "Ghana", "NGA", "KEN", "GHA", "Lagos", "Operation Sea Shield", "NAFDAC",
           "Kenya Wildlife Service", "Narcotics Control Commission", "Nigerian Navy", "Nigeria Police Force")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A store holding the 21 fixture rows; the app reads it."""
    yield _store(tmp_path, monkeypatch, load=True)
    st.cache_resource.clear()


def user(sub: str, roles: list[str], **claims: Any) -> dict[str, Any]:
    """What st.user holds after an OIDC sign-in."""
    return {"is_logged_in": True, "sub": sub, "email": f"{sub}@example.org", "roles": roles,
            "iat": int(time.time()) - 60, **claims}


def _app(who: dict[str, Any] | None, page: str | None = None, **params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if who is not None:
        at.user = who
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric if m.label in ("Records", "Operations", "Countries", "Arrests")}


def _deck_text(proto_json: str) -> str:
    """A map's JSON without the boundaries of countries that have no records (they carry only a name)."""
    spec = json.loads(proto_json)
    for layer in spec.get("layers", []):
        data = layer.get("data")
        if isinstance(data, dict) and "features" in data:
            data["features"] = [f for f in data["features"]
                                if not f["properties"]["tip"].endswith("no records in the filter")]
    return json.dumps(spec)


def _page_text(at: AppTest) -> str:
    """Everything a page shows: text, tables, metrics, chart data, map data and widget options."""
    parts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    parts += [e.value.to_string() for e in at.dataframe]
    parts += [e.proto.spec for e in at.get("plotly_chart")]
    parts += [_deck_text(e.proto.json) for e in at.get("deck_gl_json_chart")]
    for widget in (*at.selectbox, *at.multiselect):
        parts += [str(o) for o in widget.options]
    return "\n".join(parts)


def _no_africa(at: AppTest, where: str) -> None:
    text = _page_text(at)
    shown = [word for word in AFRICAN if word in text]
    assert shown == [], f"{where} shows {shown}"


EUROPE_VIEWER = user("eu-viewer", ["viewer"], regions=["Europe"])
EUROPE_ANALYST = user("eu-analyst", ["analyst"], regions=["Europe"])


def test_a_europe_viewer_opening_an_africa_link_sees_only_europe_on_every_page(store: str) -> None:
    at = _app(EUROPE_VIEWER, region="Africa", period="all-time")
    assert _cards(at) == {"Records": "11", "Operations": "6", "Countries": "4", "Arrests": "49"}
    assert at.sidebar.multiselect(key="f_region").value == []
    assert at.sidebar.multiselect(key="f_region").options == ["Europe"]
    countries = load_countries()
    europe = {countries.get(c).name for c in countries.iso3_in_regions(["Europe"])}
    assert set(at.sidebar.multiselect(key="f_country").options) == europe and "Nigeria" not in europe
    for page in PAGES:
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        _no_africa(at, page)
    captions = " ".join(c.value for c in at.sidebar.caption)
    # the address is shown as text (a word joiner keeps Markdown from making it a mailto link)
    assert "Signed in as **eu-viewer\u2060@example.org** (viewer; Europe)" in captions


def test_clicking_or_choosing_african_values_cannot_widen_the_scope(store: str) -> None:
    at = _app(EUROPE_VIEWER, "pages/map.py", period="all-time")
    at.session_state["f_country"] = ["NGA"]  # what a click on Nigeria on the map writes
    at.run()
    assert at.sidebar.multiselect(key="f_country").value == []
    _no_africa(at, "map after a click on Nigeria")
    at = _app(EUROPE_VIEWER, operation="Operation Sea Shield", period="all-time")  # an African-only operation
    assert _cards(at) == {"Records": "11", "Operations": "6", "Countries": "4", "Arrests": "49"}
    at = _app(EUROPE_VIEWER, operation="Operation Pangea", period="all-time")  # FRA, DEU, NGA, KEN
    assert _cards(at) == {"Records": "2", "Operations": "1", "Countries": "2", "Arrests": "10"}
    _no_africa(at, "overview of Operation Pangea")


def test_a_viewer_gets_no_drill_down_downloads_or_upload(store: str) -> None:
    at = _app(EUROPE_VIEWER, "pages/operations.py", period="all-time")
    assert len(at.get("download_button")) == 0
    assert [i.value for i in at.info] == ["Record drill-down and downloads need the analyst role."]
    with pytest.raises(ValueError, match="Could not find a navigation page for .*pages/upload.py"):
        at.switch_page("pages/upload.py")  # not registered for a viewer: no link, no URL reaches it


def test_an_analyst_drills_down_within_scope_and_may_export(store: str) -> None:
    at = _app(EUROPE_ANALYST, "pages/operations.py", period="all-time")
    at.selectbox(key="operations_drilldown").set_value("Operation Pangea")
    at.run()
    per_country = at.dataframe[1].value.set_index("Country")
    assert per_country["Arrests"].to_dict() == {"Germany": 7, "France": 3}
    assert {b.key for b in at.get("download_button")} == {"download_csv", "download_xlsx", "briefing_pdf",
                                                          "briefing_html"}
    _no_africa(at, "operations drill-down")


def test_a_user_without_role_or_scope_sees_only_a_plain_message(store: str) -> None:
    for who in (user("nobody", ["guest"], regions=["Europe"]), user("unscoped", ["viewer"])):
        at = _app(who)
        assert [i.value for i in at.info] == [NO_ACCESS.format(user=who["email"].replace("@", "\u2060@"))]
        assert len(at.metric) == 0 and len(at.dataframe) == 0 and len(at.sidebar.multiselect) == 0
    engine = open_store(store)
    denied = audit.entries(engine, action="access-denied")
    assert [(e["user"], e["detail"]["what"]) for e in denied] == [
        ("nobody@example.org", "no recognised role or scope"), ("unscoped@example.org", "no recognised role or scope")]
    engine.dispose()


def test_signed_out_visitors_see_only_the_sign_in_button(store: str) -> None:
    at = _app({"is_logged_in": False}, region="Europe")
    assert [b.label for b in at.button] == ["Sign in"]
    assert len(at.metric) == 0 and len(at.sidebar.multiselect) == 0


def test_an_old_session_is_signed_out(store: str) -> None:
    at = _app(user("old", ["viewer"], regions=["Europe"], iat=int(time.time()) - 13 * 3600))
    assert len(at.metric) == 0
    engine = open_store(store)
    assert [(e["user"], e["detail"]) for e in audit.entries(engine, action="sign-out")] == [
        ("old@example.org", {"reason": "session older than 12 hours"})]
    engine.dispose()


def test_without_sign_in_every_page_says_it_is_single_user(store: str) -> None:
    at = _app(None)
    for page in (*PAGES, "pages/upload.py", "pages/audit.py"):
        at.switch_page(page)
        at.run()
        assert LOCAL_NOTICE in [c.value for c in at.caption], page


def test_without_sign_in_a_non_loopback_address_is_refused(store: str) -> None:
    previous = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = _app(None)
    finally:
        st_config.set_option("server.address", previous)
    assert [e.value for e in at.error] == [(
        "ocops refuses to serve: no sign-in is configured and server.address is 0.0.0.0, which other machines can "
        "reach. Configure sign-in ([auth] in .streamlit/secrets.toml, see 'Deploying for a team' in the README) or "
        "start with --server.address 127.0.0.1 for use on this machine only.")]
    assert len(at.metric) == 0


def test_views_are_audited_when_the_filter_changes_and_admins_see_the_log(store: str) -> None:
    admin = user("admin", ["admin"])
    at = _app(admin, period="all-time")
    at.run()  # a rerun with the same filter is not a new view
    at.sidebar.multiselect(key="f_region").set_value(["Europe"])
    at.run()
    engine = open_store(store)
    views = audit.entries(engine, action="view")
    assert [(v["detail"]["page"], v["detail"]["filter"].get("region"), v["detail"]["rows"]) for v in views] == [
        ("overview", None, 21), ("overview", ["Europe"], 11)]
    assert [e["detail"]["role"] for e in audit.entries(engine, action="sign-in")] == ["admin"]
    engine.dispose()
    at.switch_page("pages/audit.py")
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["action"])[-2:] == ["view", "sign-in"] and set(table["user"]) == {"admin@example.org"}
    seen = at.dataframe[1].value
    assert seen.to_dict("records")[0]["Role"] == "admin"


def test_only_admins_reach_the_audit_page(store: str) -> None:
    at = _app(EUROPE_ANALYST)
    with pytest.raises(ValueError, match="Could not find a navigation page for .*pages/audit.py"):
        at.switch_page("pages/audit.py")
    at = _app(user("officer", ["data_officer"], regions=["Europe"]), "pages/upload.py")
    assert [t.value for t in at.title] == ["Upload"]
    with pytest.raises(ValueError, match="Could not find a navigation page for .*pages/audit.py"):
        at.switch_page("pages/audit.py")


def test_a_data_officer_sees_and_removes_only_batches_within_scope(store: str) -> None:
    engine = open_store(store)
    vocabulary = Vocabulary(load_countries(), load_taxonomy())
    import_bytes(engine, b"operation,date,country,crime_area\nOp K,2018-05-01,Kenya,Drug trafficking\n",
                 "kenya.csv", vocabulary)  # batch 2: Africa only
    import_bytes(engine, b"operation,date,country,crime_area\nOp I,2018-05-01,Italy,Drug trafficking\n",
                 "italy.csv", vocabulary)  # batch 3: Europe only
    engine.dispose()
    at = _app(user("officer", ["data_officer"], regions=["Europe"]), "pages/upload.py")
    labels = at.selectbox(key="remove_batch_id").options
    assert [label.split(" · ")[1] for label in labels] == ["italy.csv", "app_operations.csv"]
    at.selectbox(key="remove_batch_id").set_value(1)  # the fixture batch also wrote African rows
    at.run()
    at.button(key="remove_batch").click()
    at.run()
    at.button(key="remove_confirm").click()
    at.run()
    assert [w.value for w in at.warning] == [
        "Batch #1 holds records outside your scope (Europe): ask an administrator to remove it."]
    at.selectbox(key="remove_batch_id").set_value(3)
    at.run()
    at.button(key="remove_batch").click()
    at.run()
    at.button(key="remove_confirm").click()
    at.run()
    engine = open_store(store)
    assert [(e["user"], e["detail"]["batch_id"]) for e in audit.entries(engine, action="remove-batch")] == [
        ("officer@example.org", 3)]
    engine.dispose()


def test_an_analysts_download_holds_only_the_scope_and_is_audited(store: str) -> None:
    from ocops.auth import identity_from_claims
    from ocops.config import load_settings
    from ocops.queries import Filter, load_frame
    from ocops.ui.data import Context
    from ocops.ui.downloads import _csv

    engine = open_store(store)
    settings = load_settings()
    who = identity_from_claims(EUROPE_ANALYST, settings.auth, load_countries())
    context = Context(settings, engine, Vocabulary(load_countries(), load_taxonomy()), 1, load_frame(engine), {},
                      Filter(operations=("Operation Pangea",)), "all-time", identity=who)
    lines = _csv(context)().splitlines()
    assert len(lines) == 3 and {line.split(",")[0] for line in lines[1:]} == {"P-01", "P-02"}  # FRA, DEU only
    [event] = audit.entries(engine, action="export")
    assert (event["user"], event["detail"]) == ("eu-analyst@example.org", {
        "format": "csv", "filter": {"operation": ["Operation Pangea"]}, "rows": 2, "data_version": 1})
    engine.dispose()


def test_operation_links_and_points_show_only_in_scope_countries(store: str) -> None:
    at = _app(EUROPE_VIEWER, "pages/map.py", period="all-time")
    at.toggle(key="map_links").set_value(True)
    at.run()
    at.selectbox(key="map_operation").set_value("Operation Pangea")  # FRA, DEU, NGA, KEN
    at.run()
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert "operation-links" in layers
    tips = [arc["tip"] for arc in layers["operation-links"]["data"]]
    assert tips == ["Germany \u2013 France\n1 shared operation(s)\nArrests in them: 10"]  # 3 + 7; no NGA, KEN
    _no_africa(at, "map with the links of Operation Pangea")
