"""Offline maps: layer data equal hand-computed totals; no base map or URL in the deck JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from ocops import maps
from ocops.gazetteer import load_gazetteer
from ocops.geo import CountryIndex
from ocops.importer import Vocabulary, import_bytes
from ocops.queries import Filter, load_frame, points

# Op A: FRA Paris (coords) + FRA Lyon (city only) + ESP (nothing) + SGP (coords, no polygon)
# Op B: FRA Atlantisville (unknown city) + DEU Berlin twice (coords in one 0.1-degree cell)
FIXTURE = """operation,date,country,city,latitude,longitude,crime_area,arrests,seizures,victims_rescued,seized_value_usd
Op A,2020-01-10,FRA,Paris,48.8566,2.3522,Drug trafficking,3,1,0,100
Op A,2020-01-11,FRA,Lyon,,,Drug trafficking,2,0,1,
Op A,2020-01-12,ESP,,,,Drug trafficking,5,2,0,50
Op A,2020-01-12,SGP,Singapore,1.2897,103.8501,Drug trafficking,4,0,2,
Op B,2020-02-01,FRA,Atlantisville,,,Firearms trafficking,1,1,0,10
Op B,2020-02-02,DEU,Berlin,52.52,13.40,Firearms trafficking,6,3,0,
Op B,2020-02-03,DEU,Berlin,52.54,13.41,Firearms trafficking,1,0,0,
"""


@pytest.fixture
def loaded(engine: Engine, vocabulary: Vocabulary) -> Engine:
    report = import_bytes(engine, FIXTURE.encode(), "fixture.csv", vocabulary)
    assert report.imported == 7 and report.rejected == 0
    return engine


def _features(deck: maps.pdk.Deck) -> dict[str, dict]:
    spec = json.loads(deck.to_json())
    layer = next(layer for layer in spec["layers"] if layer["id"] == maps.COUNTRY_LAYER)
    return {f["properties"]["iso3"]: f["properties"] for f in layer["data"]["features"]}


def test_choropleth_values_are_country_totals(loaded: Engine, countries: CountryIndex) -> None:
    frame = load_frame(loaded)
    expected = {  # by hand from FIXTURE
        "arrests": {"FRA": 6, "ESP": 5, "DEU": 7},
        "seizures": {"FRA": 2, "ESP": 2, "DEU": 3},
        "victims_rescued": {"FRA": 1, "ESP": 0, "DEU": 0},
        "records": {"FRA": 3, "ESP": 1, "DEU": 2},
        "seized_value_usd": {"FRA": 110, "ESP": 50, "DEU": 0},
    }
    small = {"arrests": 4, "seizures": 0, "victims_rescued": 2, "records": 1, "seized_value_usd": 0}
    for measure, values in expected.items():
        world = maps.choropleth(frame, Filter(), countries, measure)
        props = _features(world.deck)
        assert len(props) == 177
        assert {iso3: props[iso3]["value"] for iso3 in values} == values
        assert props["ITA"]["value"] == 0 and props["ITA"]["fill"][:3] == list(maps.NO_DATA)
        spec = json.loads(world.deck.to_json())
        singapore = next(layer for layer in spec["layers"] if layer["id"] == maps.SMALL_COUNTRY_LAYER)["data"]
        assert [(p["iso3"], p["value"]) for p in singapore] == [("SGP", small[measure])]
    assert "Arrests: 6" in props["FRA"]["tip"] and "Europe" in props["FRA"]["tip"]


def test_filter_and_selection_highlight(loaded: Engine, countries: CountryIndex) -> None:
    frame = load_frame(loaded)
    world = maps.choropleth(frame, Filter(operations=("Op B",)), countries, "arrests", selected=("DEU",))
    props = _features(world.deck)
    assert (props["FRA"]["value"], props["DEU"]["value"], props["ESP"]["value"]) == (1, 7, 0)
    assert props["DEU"]["width"] == 3 and props["FRA"]["width"] == 0.5  # highlighted, others still drawn
    assert props["FRA"]["fill"][:3] != list(maps.NO_DATA)


def test_boundaries_are_one_feature_per_country_and_only_fills_are_picked(countries: CountryIndex) -> None:
    # Picking the outlines too makes a pointerdown take > 250 ms without a GPU, and deck.gl then
    # drops the click (tests/test_browser_map.py); the fill still picks the whole country.
    table = pd.DataFrame(columns=["iso3", "arrests"])
    spec = json.loads(maps.make_deck(maps.country_layers(table, "arrests", [], countries)).to_json())
    layer = next(layer for layer in spec["layers"] if layer["id"] == maps.COUNTRY_LAYER)
    assert layer["pickable"] is True
    assert layer["_subLayerProps"] == {"polygons-stroke": {"pickable": False}}
    russia = [f for f in layer["data"]["features"] if f["properties"]["iso3"] == "RUS"]
    assert len(layer["data"]["features"]) == 177 and len(russia) == 1
    assert russia[0]["geometry"]["type"] == "MultiPolygon"


def test_points_are_grouped_on_the_server_and_placed(loaded: Engine, countries: CountryIndex) -> None:
    raw = points(load_frame(loaded), Filter(), countries)
    by_place = {(r.placed, r.country, r.city, r.lat, r.lon): (r.records, r.arrests) for r in raw.itertuples()}
    nan = float("nan")
    keyed = {(k[0], k[1], k[2] if isinstance(k[2], str) else None,
              None if k[3] != k[3] else k[3], None if k[4] != k[4] else k[4]): v for k, v in by_place.items()}
    assert keyed == {
        ("coordinates", "FRA", None, 48.9, 2.4): (1, 3),
        ("coordinates", "SGP", None, 1.3, 103.9): (1, 4),
        ("coordinates", "DEU", None, 52.5, 13.4): (2, 7),
        ("city", "FRA", "Lyon", None, None): (1, 2),
        ("city", "FRA", "Atlantisville", None, None): (1, 1),
        ("country", "ESP", None, None, None): (1, 5),
    }, nan
    placement = maps.place_points(raw, countries, load_gazetteer())
    assert (placement.by_coordinates, placement.by_city, placement.by_centroid) == (4, 1, 2)
    spots = {(round(r.lat), round(r.lon)): r.records for r in placement.frame.itertuples()}
    assert spots[(46, 5)] == 1   # Lyon from the gazetteer (45.75, 4.85)
    assert spots[(52, 13)] == 2  # both Berlin records in one point
    france = countries.get("FRA")  # Atlantisville falls back to the country point
    assert spots[(round(france.lat), round(france.lon))] == 1
    only_b = points(load_frame(loaded), Filter(operations=("Op B",)), countries)
    assert int(only_b["records"].sum()) == 3 and int(only_b["arrests"].sum()) == 8


def test_operation_links_width_by_shared_results(loaded: Engine, countries: CountryIndex) -> None:
    frame = load_frame(loaded)
    links = maps.operation_links(frame, Filter(), countries, "arrests")
    # Op A: FRA 5, ESP 5, SGP 4 -> ESP-FRA 10, ESP-SGP 9, FRA-SGP 9; Op B: DEU 7, FRA 1 -> DEU-FRA 8
    assert [tuple(r) for r in links.itertuples(index=False)] == [
        ("ESP", "FRA", 1, 10.0), ("ESP", "SGP", 1, 9.0), ("FRA", "SGP", 1, 9.0), ("DEU", "FRA", 1, 8.0)]
    one = maps.operation_links(frame, Filter(), countries, "records", operation="Op B")
    assert [tuple(r) for r in one.itertuples(index=False)] == [("DEU", "FRA", 1, 3.0)]
    layer = json.loads(maps.make_deck([maps.arc_layer(links, countries, "arrests")]).to_json())["layers"][0]
    assert [d["width"] for d in layer["data"]] == [12.0, 10.9, 10.9, 9.8]


def test_deck_json_has_no_base_map_and_every_layer_an_id(loaded: Engine, countries: CountryIndex) -> None:
    frame = load_frame(loaded)
    raw = points(load_frame(loaded), Filter(), countries)
    for style in ("points", "hexagons", "heat"):
        options = maps.MapOptions(measure="arrests", point_style=style, links=True)
        world = maps.world_map(frame, Filter(), countries, options, raw, load_gazetteer())
        text = world.deck.to_json()
        spec = json.loads(text)
        assert spec["mapStyle"] == "__MAP_STYLE__"  # Streamlit drops it; a missing key means Carto
        assert spec.get("mapProvider") is None
        assert "http" not in text and "cartocdn" not in text and "mapbox" not in text
        assert all(layer.get("id") for layer in spec["layers"])
        assert len(spec["layers"]) == 4
        assert spec["layers"][0]["@@type"] == "GeoJsonLayer" and spec["layers"][0]["wrapLongitude"] is True


def test_legend_bins() -> None:
    assert maps.legend_bins([0, 0]) == []
    one = maps.legend_bins([0, 10, 10, 10])
    assert [(b.lower, b.upper) for b in one] == [(10, 10)]
    bins = maps.legend_bins([1.5, 2, 3, 4, 5])  # linear quantiles 1.9, 2.6, 3.4, 4.2, 5
    assert [b.upper for b in bins] == [1.9, 2.6, 3.4, 4.2, 5]
    assert maps.colour_of(3, bins) == maps.PALETTE[2] and maps.colour_of(0, bins) == maps.NO_DATA
    assert maps.colour_of(5, bins) == maps.PALETTE[4]
    counts = maps.legend_bins([1, 2, 3, 4, 5])  # counts: quantiles 1.8, 2.6, 3.4, 4.2, 5 rounded up
    # whole-number classes never overlap, and a class of one value reads as that value, not "3 – 3"
    assert [(b.lower, b.upper, b.label) for b in counts] == [
        (1, 2, "1 – 2"), (3, 3, "3"), (4, 4, "4"), (5, 5, "5")]
    skewed = maps.legend_bins([1, 1, 1, 1, 7])  # quantiles 1, 1, 1, 3 (2.2 up), 7
    assert [b.label for b in skewed] == ["1", "2 – 3", "4 – 7"]
    assert maps.colour_of(2, skewed) == maps.colour_of(3, skewed) != maps.colour_of(1, skewed)
    large = maps.legend_bins([10, 11, 12, 24_999, 130_000])  # quantiles 10.8, 11.6, 10 006.8, 46 000, 130 000
    assert [b.label for b in large] == ["10 – 11", "12", "13 – 11,000", "11,001 – 46,000", "46,001 – 130,000"]


def test_view_fits_the_filtered_countries(loaded: Engine, countries: CountryIndex) -> None:
    frame = load_frame(loaded)
    france = maps.choropleth(frame, Filter(countries=("FRA",)), countries, selected=("FRA",), viewport=(680, 560))
    view = france.deck.initial_view_state
    # mainland France spans about 5W-8E and 42N-51N: centred there and zoomed well in
    assert -1 < view.longitude < 5 and 44 < view.latitude < 49 and view.zoom > 3
    world = maps.choropleth(frame, Filter(), countries, viewport=(680, 560)).deck.initial_view_state
    # FRA, ESP, DEU, SGP: Europe to Singapore, wider than Europe, narrower than the world
    assert 1 < world.zoom < view.zoom and 0 < world.longitude < 80
    # a country added by a click on the map does not move the view
    assert sorted(maps.view_countries(frame, Filter(countries=("FRA",)), countries, clicked=("FRA",))) == \
        ["DEU", "ESP", "FRA", "SGP"]
    assert maps.view_countries(frame, Filter(countries=("DEU", "FRA")), countries, clicked=("FRA",)) == ["DEU"]
    everywhere = maps.fit_view([], countries, 680, 560)
    assert 512 * 2 ** everywhere.zoom <= 680  # the whole world fits the width: nothing cut at the sides


def test_world_map_draws_only_the_strongest_links(loaded: Engine, countries: CountryIndex) -> None:
    frame = load_frame(loaded)
    options = maps.MapOptions(measure="arrests", point_style=None, links=True, max_links=2)
    world = maps.world_map(frame, Filter(), countries, options)
    arcs = next(layer for layer in json.loads(world.deck.to_json())["layers"] if layer["id"] == maps.ARC_LAYER)
    # the four pairs of test_operation_links_width_by_shared_results; the two strongest drawn
    assert (world.links, world.link_pairs) == (2, 4) and len(arcs["data"]) == 2
    assert [d["tip"].splitlines()[0] for d in arcs["data"]] == ["Spain – France", "Spain – Singapore"]


def test_size_legend_names_the_largest_bubble() -> None:
    html = maps.size_legend_html(pd.DataFrame({"arrests": [400.0, 20.0]}), "arrests")
    assert "</svg>400" in html and "</svg>100" in html and "</svg>16" in html
    assert 'r="20.0"' in html  # the largest value gets the largest bubble radius


def test_click_selection_to_country() -> None:
    feature = {"type": "Feature", "geometry": {}, "properties": {"iso3": "FRA", "name": "France"}}
    assert maps.clicked_iso3({"indices": {"countries": [60]}, "objects": {"countries": [feature]}}) == "FRA"
    assert maps.clicked_iso3({"indices": {"small-countries": [0]},
                              "objects": {"small-countries": [{"iso3": "SGP"}]}}) == "SGP"
    assert maps.clicked_iso3({"indices": {"records": [0]}, "objects": {"records": [{"w": 3, "iso3": "DEU"}]}}) == "DEU"
    assert maps.clicked_iso3({"indices": {"operation-links": [0]},
                              "objects": {"operation-links": [{"width": 3}]}}) is None
    assert maps.clicked_iso3({"indices": {}, "objects": {}}) is None
    assert maps.toggle_country(("DEU",), "FRA") == ("DEU", "FRA")
    assert maps.toggle_country(("DEU", "FRA"), "DEU") == ("FRA",)


def test_payload_for_a_million_records_stays_under_1mb(countries: CountryIndex) -> None:
    """1M records spread over 150 000 grid cells, 5 000 cities and 200 countries
    (synthetic aggregated rows shaped like ``queries.points``)."""
    rng = np.random.default_rng(7)
    iso3 = np.array([c.iso3 for c in countries.countries()])
    n_cells, n_cities, n_countries = 150_000, 5_000, 200
    records = rng.multinomial(1_000_000 - n_cells - n_cities - n_countries,
                              np.full(n_cells + n_cities + n_countries, 1 / (n_cells + n_cities + n_countries))) + 1
    n = len(records)
    raw = pd.DataFrame({
        "placed": ["coordinates"] * n_cells + ["city"] * n_cities + ["country"] * n_countries,
        "country": rng.choice(iso3, n),
        "city": [None] * n_cells + [f"Town {i}" for i in range(n_cities)] + [None] * n_countries,
        "lat": np.r_[np.round(rng.uniform(-60, 70, n_cells), 1), np.full(n_cities + n_countries, np.nan)],
        "lon": np.r_[np.round(rng.uniform(-180, 180, n_cells), 1), np.full(n_cities + n_countries, np.nan)],
        "records": records, "arrests": records * 2, "seizures": records, "victims_rescued": records // 3,
        "seized_value_usd": records * 1000.0,
    })
    assert int(raw["records"].sum()) == 1_000_000
    placement = maps.place_points(raw, countries, load_gazetteer())
    assert len(placement.frame) <= 4000 and int(placement.frame["records"].sum()) == 1_000_000
    frame_rows = pd.DataFrame({"date": ["2020-01-01"] * 300, "country": rng.choice(iso3, 300),
                               "crime_area": "Other", "operation": [f"Op {i % 40}" for i in range(300)],
                               "arrests": 5, "seizures": 1, "victims_rescued": 0, "seized_value_usd": 1.0,
                               "seized_kind": None, "seized_amount": None, "batch_id": 1})
    from ocops.queries import compact_frame
    frame = compact_frame(frame_rows)
    for style in ("points", "hexagons", "heat"):
        world = maps.world_map(frame, Filter(), countries,
                               maps.MapOptions(measure="arrests", point_style=style, links=True),
                               raw, load_gazetteer())
        size = maps.deck_bytes(world.deck)
        print(f"deck JSON with {style} for 1M records: {size / 1e6:.2f} MB")
        assert size <= 1_000_000
