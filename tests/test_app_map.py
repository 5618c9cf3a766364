"""The Map page through the router (AppTest) and the click callback that sets the country filter."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ocops.ui import map_select
from ocops.ui.filters import COUNTRY

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")


@pytest.fixture
def map_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("OCOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'ocops.db'}")
    monkeypatch.setenv("OCOPS_LOAD_SAMPLE", "true")
    at = AppTest.from_file(DASHBOARD, default_timeout=90)
    at.run()
    at.switch_page("pages/map.py")
    at.run()
    assert not at.exception
    return at


def _spec(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def test_map_page_sends_an_offline_deck(map_page: AppTest) -> None:
    spec = _spec(map_page)
    assert spec["mapStyle"] == "__MAP_STYLE__" and spec.get("mapProvider") is None
    assert [layer["id"] for layer in spec["layers"]] == ["countries", "small-countries", "records"]
    assert "http" not in map_page.get("deck_gl_json_chart")[0].proto.json
    assert len(map_page.get("deck_gl_json_chart")[0].proto.json) < 1_000_000
    assert any("records placed:" in caption.value for caption in map_page.caption)


def test_country_filter_outlines_the_country_and_links_layer(map_page: AppTest) -> None:
    map_page.sidebar.multiselect(key=COUNTRY).set_value(["CHN"])
    map_page.toggle(key="map_links").set_value(True)
    map_page.run()
    spec = _spec(map_page)
    assert [layer["id"] for layer in spec["layers"]][-1] == "operation-links"
    widths = {f["properties"]["iso3"]: f["properties"]["width"] for f in spec["layers"][0]["data"]["features"]}
    assert widths["CHN"] == 3 and widths["IND"] == 0.5  # highlighted, the others still drawn


def test_click_callback_toggles_the_country_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    france = {"type": "Feature", "properties": {"iso3": "FRA"}, "geometry": {}}
    state = {"map_0": SimpleNamespace(selection={"indices": {"countries": [3]}, "objects": {"countries": [france]}}),
             COUNTRY: ["DEU"]}
    monkeypatch.setattr(map_select, "st", SimpleNamespace(session_state=state))
    handler = map_select.country_click_handler("map_0")
    handler()
    assert state[COUNTRY] == ["DEU", "FRA"] and state[map_select.CLICKS] == 1
    handler()  # the same country again: removed
    assert state[COUNTRY] == ["DEU"] and state[map_select.CLICKS] == 2
    state["map_0"] = SimpleNamespace(selection={"indices": {}, "objects": {}})
    handler()  # a click on the sea changes no filter
    assert state[COUNTRY] == ["DEU"]
