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
    assert state[map_select.CLICKED] == ["FRA"]  # the map view will not jump to France
    handler()  # the same country again: removed
    assert state[COUNTRY] == ["DEU"] and state[map_select.CLICKS] == 2
    assert state[map_select.CLICKED] == []
    state["map_0"] = SimpleNamespace(selection={"indices": {}, "objects": {}})
    handler()  # a click on the sea changes no filter
    assert state[COUNTRY] == ["DEU"]


def test_map_view_fits_a_filtered_country_and_draws_the_chosen_number_of_links(map_page: AppTest) -> None:
    map_page.toggle(key="map_links").set_value(True)
    map_page.run()
    map_page.select_slider(key="map_top_links").set_value(10)
    map_page.run()
    spec = _spec(map_page)
    arcs = next(layer for layer in spec["layers"] if layer["id"] == "operation-links")
    caption = " ".join(c.value for c in map_page.caption)
    pairs = int(caption.split("The 10 strongest of ")[1].split()[0])
    assert pairs > 10 and len(arcs["data"]) == 10  # the sample links more pairs than the 10 drawn
    widths = [arc["width"] for arc in arcs["data"]]
    assert widths == sorted(widths, reverse=True) and widths[0] == 12.0  # the strongest first

    map_page.sidebar.multiselect(key=COUNTRY).set_value(["FRA"])
    map_page.run()
    view = _spec(map_page)["initialViewState"]
    # mainland France: about 5W-8E, 42N-51N
    assert -1 < view["longitude"] < 5 and 44 < view["latitude"] < 49 and view["zoom"] > 3


def test_a_country_without_records_keeps_the_map_to_click_it_off_again(map_page: AppTest) -> None:
    map_page.sidebar.multiselect(key=COUNTRY).set_value(["AUS"])  # the sample has no Australian records
    map_page.run()
    assert not map_page.exception
    assert any("No records match" in i.value for i in map_page.info)
    features = {f["properties"]["iso3"]: f["properties"] for f in _spec(map_page)["layers"][0]["data"]["features"]}
    assert features["AUS"]["width"] == 3 and features["AUS"]["tip"].endswith("no records in the filter")
