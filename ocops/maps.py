"""Offline world maps as pydeck decks: country choropleth, points, hexagons/heat, operation links.

Every deck is built with ``map_provider=None`` and ``map_style`` left unset: pydeck then
writes the sentinel ``"mapStyle": "__MAP_STYLE__"``, which Streamlit drops; passing None
as the map style instead leaves the key out, and Streamlit then loads Carto's style from
the internet.
The base layer is the bundled world boundaries (``geo.load_boundaries``); countries too
small for them are drawn as points at their ``countries.csv`` location. All figures come
from the query layer (``queries.select``/``grouped``/``points``) for the same Filter as the
rest of the dashboard; this module only colours, places and scales them.

Streamlit sends a chart's spec whole on each change; an unchanged spec (same filter, same
options) is sent once and then referenced by hash (its ForwardMsg cache, >= 10 KB
messages). So the base layer keeps a fixed feature order and 2-decimal coordinates.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from ocops.gazetteer import Gazetteer
from ocops.geo import CountryIndex, load_boundaries
from ocops.queries import Filter, grouped, select

MAP_MEASURES: dict[str, str] = {
    "arrests": "Arrests", "seizures": "Seizures", "victims_rescued": "Victims rescued",
    "records": "Records", "seized_value_usd": "Seized value (USD)",
}
COUNTRY_LAYER, SMALL_COUNTRY_LAYER = "countries", "small-countries"
POINT_LAYER, HEX_LAYER, HEAT_LAYER, ARC_LAYER = "records", "hexagons", "heat", "operation-links"
PALETTE: tuple[tuple[int, int, int], ...] = (  # ColorBrewer YlOrRd, 5 classes
    (255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38))
NO_DATA = (225, 225, 225)
BUBBLE_FILL, BUBBLE_LINE = (30, 60, 160, 50), (20, 40, 120, 230)  # see-through: the country colour shows
MAX_LINKS = 25  # arcs drawn by default: the strongest country pairs
OCEAN_VIEW = pdk.ViewState(latitude=20, longitude=10, zoom=0.8, min_zoom=0, max_zoom=8)
TOOLTIP = {"text": "{tip}"}
GRID_STEPS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
# Clicks need the boundary outlines out of picking. deck.gl picks synchronously on pointerdown
# and its tap recogniser (mjolnir.js) only reports a click when pointerup follows within 250 ms
# (Date.now). Picking the outlines' PathLayer of the whole world takes ~200-330 ms in Chromium
# without a GPU (SwiftShader; ~14 ms with fills alone), so the click is dropped as a long press
# and Streamlit never gets a selection, while hover (no time limit) still shows the tooltip.
UNPICKABLE_OUTLINES = {"polygons-stroke": {"pickable": False}}


@dataclass(frozen=True)
class LegendBin:
    """One colour class of the choropleth: values in [lower, upper]."""

    lower: float
    upper: float
    color: tuple[int, int, int]
    label: str


@dataclass(frozen=True)
class Placement:
    """Map points of the filtered records and how many records each method placed."""

    frame: pd.DataFrame  # lat, lon, label, country, records + POINT measures
    by_coordinates: int
    by_city: int
    by_centroid: int
    cell_degrees: float  # grid the coordinates were binned on


@dataclass(frozen=True)
class MapOptions:
    """What the map shows: measure, point style (None/points/hexagons/heat), links."""

    measure: str = "arrests"
    point_style: str | None = "points"
    links: bool = False
    operation: str | None = None  # links of one operation; None: all in the filter
    selected: tuple[str, ...] = ()
    max_links: int = MAX_LINKS  # draw only the strongest country pairs
    clicked: tuple[str, ...] = ()  # countries added to the filter by clicks on the map: the view ignores them


@dataclass(frozen=True)
class WorldMap:
    """A deck plus what the page prints next to it."""

    deck: pdk.Deck
    legend: list[LegendBin]
    placement: Placement | None = None
    links: int = 0
    notes: list[str] = field(default_factory=list)
    link_pairs: int = 0  # country pairs linked in the filter; ``links`` of them are drawn


def _fmt(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e4 or float(value).is_integer():  # whole numbers: "25,001", never "25k" after "12 – 25k"
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _check_measure(measure: str) -> None:
    if measure not in MAP_MEASURES:
        raise ValueError(f"unknown map measure {measure!r}; use one of {', '.join(MAP_MEASURES)}")


def country_table(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> pd.DataFrame:
    """Every measure per country for ``flt`` (query layer), with name and region; key = ISO3."""
    table = grouped(select(frame, flt, countries), "country", countries)
    table = table.rename(columns={"key": "iso3"})
    table.insert(1, "name", [countries.get(c).name for c in table["iso3"]])
    table.insert(2, "region", [countries.region_of(c) for c in table["iso3"]])
    return table


def _nice(value: float) -> float:
    """``value`` rounded up to 2 significant digits."""
    if value <= 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(value)) - 1)
    return round(math.ceil(round(value / scale, 9)) * scale, 9)


def legend_bins(values: Sequence[float], classes: int = 5) -> list[LegendBin]:
    """Colour classes for the positive ``values``: quantile breaks rounded up to 2 significant
    digits, at most ``classes`` (fewer when values repeat); empty when nothing is positive.

    Counts get whole-number classes that never overlap: "1", "2 – 3", "4 – 10" (each class
    starts one above the previous upper bound; a class of one value is labelled by it alone)."""
    positive = np.sort(np.asarray([v for v in values if v and v > 0], dtype=float))
    if positive.size == 0:
        return []
    whole = bool(np.all(positive == np.floor(positive)))
    breaks = (float(np.quantile(positive, q)) for q in np.linspace(0, 1, classes + 1)[1:])
    uppers = sorted({_nice(math.ceil(b) if whole else b) for b in breaks})
    uppers[-1] = max(uppers[-1], float(positive[-1]))
    if whole:
        uppers = [u for u in uppers if u >= positive[0]]
    palette = PALETTE[-len(uppers):] if len(uppers) > 1 else PALETTE[2:3]
    bins, lower = [], float(positive[0])
    for upper, color in zip(uppers, palette, strict=True):
        label = _fmt(lower) if whole and lower == upper else f"{_fmt(lower)} – {_fmt(upper)}"
        bins.append(LegendBin(lower, upper, color, label))
        lower = upper + 1 if whole else upper
    return bins


def colour_of(value: float, bins: Sequence[LegendBin]) -> tuple[int, int, int]:
    """The colour of ``value``: the first class whose upper bound holds it; grey for 0."""
    if not value or value <= 0 or not bins:
        return NO_DATA
    return next((b.color for b in bins if value <= b.upper), bins[-1].color)


def _tip(name: str, region: str, row: Mapping[Any, Any] | None) -> str:
    lines = [name, region]
    if row is None:
        lines.append("no records in the filter")
    else:
        lines += [f"{label}: {_fmt(float(row[m]))}" for m, label in MAP_MEASURES.items()]
    return "\n".join(lines)


def country_layers(table: pd.DataFrame, measure: str, bins: Sequence[LegendBin], countries: CountryIndex,
                   selected: Sequence[str] = ()) -> list[pdk.Layer]:
    """Base boundaries coloured by ``measure`` (GeoJsonLayer) and the small countries with
    data as points; countries in ``selected`` get a thick dark outline (never hidden)."""
    _check_measure(measure)
    rows = {r["iso3"]: r for r in table.to_dict("records")}
    chosen = set(selected)
    features, drawn = [], set()
    for feature, shape in zip(load_boundaries()["features"], _shapes()[0], strict=True):
        iso3 = feature["properties"]["iso3"]
        drawn.add(iso3)
        country, row = countries.get(iso3), rows.get(iso3)
        value = float(row[measure]) if row else 0.0
        props = {"iso3": iso3, "name": country.name, "value": value,
                 "fill": [*colour_of(value, bins), 230],
                 "line": [20, 20, 20] if iso3 in chosen else [255, 255, 255],
                 "width": 3 if iso3 in chosen else 0.5,
                 "tip": _tip(country.name, country.region, row)}
        features.append({"type": "Feature", "geometry": shape, "properties": props})
    small = []
    for iso3, row in rows.items():
        if iso3 in drawn:
            continue
        country = countries.get(iso3)
        small.append({"iso3": iso3, "name": country.name, "lon": country.lon, "lat": country.lat,
                      "value": float(row[measure]), "fill": [*colour_of(float(row[measure]), bins), 240],
                      "line": [20, 20, 20] if iso3 in chosen else [90, 90, 90],
                      "width": 3 if iso3 in chosen else 1, "tip": _tip(country.name, country.region, row)})
    return [
        pdk.Layer("GeoJsonLayer", id=COUNTRY_LAYER, data={"type": "FeatureCollection", "features": features},
                  wrap_longitude=True, pickable=True, auto_highlight=True, stroked=True, filled=True,
                  get_fill_color="properties.fill", get_line_color="properties.line",
                  get_line_width="properties.width", line_width_units="'pixels'",
                  _subLayerProps=UNPICKABLE_OUTLINES),
        pdk.Layer("ScatterplotLayer", id=SMALL_COUNTRY_LAYER, data=small, pickable=True, auto_highlight=True,
                  stroked=True, get_position=["lon", "lat"], get_fill_color="fill", get_line_color="line",
                  get_line_width="width", line_width_units="'pixels'", get_radius=6, radius_units="'pixels'"),
    ]


def place_points(raw: pd.DataFrame, countries: CountryIndex, gazetteer: Gazetteer,
                 max_points: int = 4000) -> Placement:
    """Map points from ``queries.points`` rows: coordinates as they are, cities from the
    gazetteer, the rest at the country's point; binned on a coarser grid (0.1 to 10
    degrees) until at most ``max_points`` remain, so the page payload stays small."""
    frame = raw.copy()
    placed = frame["placed"].to_numpy(dtype=object, copy=True)
    lat, lon = frame["lat"].to_numpy(dtype=float, copy=True), frame["lon"].to_numpy(dtype=float, copy=True)
    labels = np.asarray([""] * len(frame), dtype=object)
    for i, (how, iso3, city) in enumerate(zip(placed, frame["country"], frame["city"], strict=True)):
        country = countries.get(iso3)
        if how == "city":
            hit = gazetteer.lookup(country.iso2, city)
            if hit is not None:
                lat[i], lon[i], labels[i] = hit.lat, hit.lon, f"{hit.name}, {country.name}"
                continue
            placed[i] = "country"
        if placed[i] == "country":
            lat[i], lon[i], labels[i] = country.lat, country.lon, f"{country.name} (country point)"
        else:
            labels[i] = country.name
    frame = frame.assign(placed=placed, lat=lat, lon=lon, label=labels)
    counts = frame.groupby("placed")["records"].sum()
    step = GRID_STEPS[0]
    for step in GRID_STEPS:
        binned = _bin(frame, step)
        if len(binned) <= max_points:
            break
    binned = binned.nlargest(max_points, "records") if len(binned) > max_points else binned
    return Placement(binned.reset_index(drop=True), int(counts.get("coordinates", 0)),
                     int(counts.get("city", 0)), int(counts.get("country", 0)), step)


def _bin(frame: pd.DataFrame, step: float) -> pd.DataFrame:
    """Points summed per grid cell of ``step`` degrees (mean position, label of the largest)."""
    cell_lat = np.floor(frame["lat"] / step).astype(int)
    cell_lon = np.floor(frame["lon"] / step).astype(int)
    keyed = frame.assign(cell_lat=cell_lat, cell_lon=cell_lon, w_lat=frame["lat"] * frame["records"],
                         w_lon=frame["lon"] * frame["records"]).sort_values("records", ascending=False)
    sums = ["records", "arrests", "seizures", "victims_rescued", "seized_value_usd", "w_lat", "w_lon"]
    groups = keyed.groupby(["cell_lat", "cell_lon"], sort=True)
    out = groups[sums].sum()
    out["label"] = groups["label"].first()
    out["country"] = groups["country"].first()
    out["places"] = groups.size()
    out["lat"] = (out.pop("w_lat") / out["records"]).round(4)
    out["lon"] = (out.pop("w_lon") / out["records"]).round(4)
    return out.reset_index(drop=True)


def _point_rows(points: pd.DataFrame, measure: str) -> list[dict]:
    """Compact JSON rows for the point layers: position, weight, tooltip."""
    rows = []
    r: Any  # a row of the frame (untyped)
    for r in points.itertuples(index=False):
        extra = f" (+{r.places - 1} nearby places)" if r.places > 1 else ""
        tip = "\n".join([f"{r.label}{extra}"] + [f"{label}: {_fmt(float(getattr(r, m)))}"
                                                 for m, label in MAP_MEASURES.items()])
        rows.append({"lon": float(r.lon), "lat": float(r.lat), "w": float(getattr(r, measure)), "tip": tip,
                     "iso3": str(r.country)})
    return rows


def point_layer(points: pd.DataFrame, measure: str, style: str = "points") -> pdk.Layer:
    """Aggregated record points drawn as circles (area ~ measure), hexagons or a heat map."""
    _check_measure(measure)
    rows = _point_rows(points, measure)
    if style == "hexagons":
        rows = [{"lon": r["lon"], "lat": r["lat"], "w": r["w"]} for r in rows]
        return pdk.Layer("HexagonLayer", id=HEX_LAYER, data=rows, get_position=["lon", "lat"],
                         get_elevation_weight="w", get_color_weight="w", elevation_aggregation="'SUM'",
                         color_aggregation="'SUM'", radius=150_000, coverage=0.9, extruded=False,
                         pickable=False, opacity=0.7)
    if style == "heat":
        rows = [{"lon": r["lon"], "lat": r["lat"], "w": r["w"]} for r in rows]
        return pdk.Layer("HeatmapLayer", id=HEAT_LAYER, data=rows, get_position=["lon", "lat"],
                         get_weight="w", radius_pixels=40, aggregation="'SUM'", pickable=False)
    if style != "points":
        raise ValueError(f"unknown point style {style!r}; use points, hexagons or heat")
    top = max((r["w"] for r in rows), default=0.0) or 1.0
    for r in rows:
        r["r"] = bubble_radius(r["w"], top)
    return pdk.Layer("ScatterplotLayer", id=POINT_LAYER, data=rows, get_position=["lon", "lat"],
                     get_radius="r", radius_units="'pixels'", get_fill_color=list(BUBBLE_FILL),
                     get_line_color=list(BUBBLE_LINE), stroked=True, line_width_min_pixels=1.5, pickable=True)


def bubble_radius(value: float, top: float) -> float:
    """The pixel radius of a record bubble: 3 px plus up to 17 px, area growing with ``value``."""
    return round(3 + 17 * math.sqrt(max(value, 0.0) / (top or 1.0)), 1)


def size_legend_html(points: pd.DataFrame, measure: str) -> str:
    """An inline legend of bubble sizes (largest value, and two round values below it)."""
    top = float(points[measure].max()) if len(points) else 0.0
    if top <= 0:
        return ""
    values = sorted({top, *(_nice(top / k) for k in (4, 25) if _nice(top / k) < top)}, reverse=True)
    fill = "rgba({},{},{},{:.2f})".format(*BUBBLE_FILL[:3], BUBBLE_FILL[3] / 255)
    line = "rgb({},{},{})".format(*BUBBLE_LINE[:3])
    parts = []
    for value in values:
        r = bubble_radius(value, top)
        parts.append(f'<svg width="{2 * r + 4}" height="{2 * r + 4}" style="vertical-align:middle;margin:0 4px 0 10px">'
                     f'<circle cx="{r + 2}" cy="{r + 2}" r="{r}" fill="{fill}" stroke="{line}" stroke-width="1.5"/>'
                     f'</svg>{_fmt(value)}')
    return f"<small><b>Bubbles: {MAP_MEASURES[measure].lower()} per place</b>{''.join(parts)}</small>"


def operation_links(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, measure: str,
                    operation: str | None = None, max_links: int | None = 300) -> pd.DataFrame:
    """Pairs of countries that took part in the same operation (``operation``, or every
    operation in ``flt``): operations shared and the ``measure`` both reported in them
    (sum over shared operations of the pair's two country totals), largest first."""
    _check_measure(measure)
    chosen = select(frame, flt, countries)
    if operation is not None:
        chosen = chosen[chosen["operation"] == operation]
    pairs: dict[tuple[str, str], list[float]] = {}
    for _, part in chosen.groupby("operation", observed=True):
        per_country = grouped(part, "country", countries)
        values = dict(zip(per_country["key"], per_country[measure].astype(float), strict=True))
        for a, b in itertools.combinations(sorted(values), 2):
            entry = pairs.setdefault((a, b), [0, 0.0])
            entry[0] += 1
            entry[1] += values[a] + values[b]
    columns = ["source", "target", "operations", "shared"]
    table = pd.DataFrame([(a, b, n, v) for (a, b), (n, v) in pairs.items()], columns=columns)
    table = table.sort_values(["shared", "operations", "source", "target"],
                              ascending=[False, False, True, True], kind="stable")
    return (table if max_links is None else table.head(max_links)).reset_index(drop=True)


def arc_layer(links: pd.DataFrame, countries: CountryIndex, measure: str) -> pdk.Layer:
    """Arcs between linked countries' points, width 1-12 px by shared results."""
    top = float(links["shared"].max()) if len(links) else 1.0
    rows = []
    r: Any  # a row of the frame (untyped)
    for r in links.itertuples(index=False):
        a, b = countries.get(r.source), countries.get(r.target)
        rows.append({"from": [a.lon, a.lat], "to": [b.lon, b.lat],
                     "width": round(1 + 11 * (float(r.shared) / top if top else 0.0), 1),
                     "tip": f"{a.name} – {b.name}\n{r.operations} shared operation(s)\n"
                            f"{MAP_MEASURES[measure]} in them: {_fmt(float(r.shared))}"})
    return pdk.Layer("ArcLayer", id=ARC_LAYER, data=rows, get_source_position="from",
                     get_target_position="to", get_width="width", width_units="'pixels'",
                     get_source_color=[0, 128, 128, 200], get_target_color=[128, 0, 128, 200],
                     get_height=0.3, pickable=True)  # seen from above: a line between the two points


@lru_cache(maxsize=1)
def _country_boxes() -> dict[str, tuple[float, float, float, float]]:
    """ISO3 -> (west, south, east, north) of the country's largest polygon (its mainland:
    France without French Guiana, the United States without Alaska)."""
    boxes = {}
    for feature in load_boundaries()["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        ring = np.asarray(max((p[0] for p in polygons), key=len), dtype=float)
        boxes[feature["properties"]["iso3"]] = (float(ring[:, 0].min()), float(ring[:, 1].min()),
                                                float(ring[:, 0].max()), float(ring[:, 1].max()))
    return boxes


def _mercator(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(max(min(lat, 85.0), -85.0)) / 2))


def fit_view(iso3s: Sequence[str], countries: CountryIndex, width: int = 560, height: int = 560) -> pdk.ViewState:
    """The view that shows every country in ``iso3s`` (mainland box, or its point for a small
    country) in a ``width`` x ``height`` px map, with a margin; the whole world, fitted to
    the width so nothing is cut at the sides, when ``iso3s`` is empty or spans most of it."""
    boxes = _country_boxes()
    west, south, east, north = 180.0, 90.0, -180.0, -90.0
    for iso3 in iso3s:
        country = countries.get(iso3)
        box = boxes.get(iso3) or (country.lon - 1, country.lat - 1, country.lon + 1, country.lat + 1)
        west, south, east, north = min(west, box[0]), min(south, box[1]), max(east, box[2]), max(north, box[3])
    if not iso3s or east - west > 200:
        west, south, east, north = -170.0, -50.0, 180.0, 75.0
    lon_span = max(east - west, 8.0) * 1.2  # a margin, and small countries not blown up
    y_south, y_north = _mercator(south), _mercator(north)
    y_span = max(y_north - y_south, 0.15) * 1.2
    zoom = min(math.log2(width / 512 * 360 / lon_span), math.log2(height / 512 * 2 * math.pi / y_span), 6.0)
    # deck.gl normalises a Web Mercator view so the world fills the map's height: never below
    # that zoom, and the centre no nearer the poles than half the visible height
    zoom = round(max(zoom, math.log2(height / 512)), 2)
    half = height / 2 / (512 * 2 ** zoom) * 2 * math.pi
    centre = min(max((y_south + y_north) / 2, -math.pi + half), math.pi - half)
    latitude = math.degrees(2 * math.atan(math.exp(centre)) - math.pi / 2)
    return pdk.ViewState(latitude=round(latitude, 3), longitude=round((west + east) / 2, 3),
                         zoom=zoom, min_zoom=-1, max_zoom=8)


class Shape(Mapping[str, Any]):
    """The geometry of one bundled boundary (``geo.load_boundaries``), as a read-only mapping.

    A deck writes it from a copy serialised once per process instead of serialising the
    world's coordinates again for every filter (most of a country map's JSON)."""

    def __init__(self, index: int, geometry: Mapping[str, Any]) -> None:
        self.index, self._geometry = index, geometry

    def __getitem__(self, key: str) -> Any:
        return self._geometry[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._geometry)

    def __len__(self) -> int:
        return len(self._geometry)


_SHAPE_MARK = re.compile(r'"@@ocops-shape:(\d+)@@"')


@lru_cache(maxsize=1)
def _shapes() -> tuple[list[Shape], list[str]]:
    """Each bundled boundary's geometry as a Shape and as compact JSON with sorted keys."""
    geometries = [feature["geometry"] for feature in load_boundaries()["features"]]
    return ([Shape(i, g) for i, g in enumerate(geometries)],
            [json.dumps(g, sort_keys=True, separators=(",", ":")) for g in geometries])


def _serialise(value: Any) -> Any:
    if isinstance(value, Shape):
        return f"@@ocops-shape:{value.index}@@"
    return default_serialize(value)


class OfflineDeck(pdk.Deck):
    """A pydeck Deck whose JSON is compact (pydeck indents by 2, which triples the size of
    the boundaries); Streamlit sends ``to_json()`` as it is."""

    def to_json(self) -> str:
        """The deck spec as compact JSON with sorted keys, written once: a deck is not changed
        after it is built (the dashboard keeps decks per filter and sends one on every rerun)."""
        written = self.__dict__.get("_compact_json")
        if written is None:
            text = json.dumps(self, sort_keys=True, default=_serialise, separators=(",", ":"))
            shapes = _shapes()[1]
            written = _SHAPE_MARK.sub(lambda found: shapes[int(found.group(1))], text)
            self.__dict__["_compact_json"] = written
        return str(written)


def make_deck(layers: Sequence[pdk.Layer], view: pdk.ViewState = OCEAN_VIEW) -> pdk.Deck:
    """A deck with no base map at all (offline): ``map_provider=None``, map_style unset."""
    return OfflineDeck(layers=list(layers), initial_view_state=view, map_provider=None, tooltip=TOOLTIP)


def view_countries(frame: pd.DataFrame, flt: Filter, countries: CountryIndex,
                   clicked: Sequence[str] = (), table: pd.DataFrame | None = None) -> list[str]:
    """The countries the view fits: those of the country filter, else those with records in
    ``flt`` (``table``: its ``country_table`` when already at hand); countries added by clicks
    on the map (``clicked``) are left out, so a click filters without moving the map."""
    kept = tuple(c for c in flt.countries if c not in set(clicked))
    if kept:
        return list(kept)
    if clicked:
        return list(country_table(frame, replace(flt, countries=()), countries)["iso3"])
    return list((country_table(frame, flt, countries) if table is None else table)["iso3"])


def choropleth(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, measure: str = "arrests",
               selected: Sequence[str] = (), viewport: tuple[int, int] = (380, 320),
               clicked: Sequence[str] = ()) -> WorldMap:
    """The compact country map (overview): boundaries coloured by ``measure`` plus legend, the
    view fitted (``view_countries``) for a map of ``viewport`` (width, height) px."""
    table = country_table(frame, flt, countries)
    bins = legend_bins(table[measure].tolist()) if len(table) else []
    view = fit_view(view_countries(frame, flt, countries, clicked, table), countries, *viewport)
    return WorldMap(make_deck(country_layers(table, measure, bins, countries, selected), view), bins)


def world_map(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, options: MapOptions,
              raw_points: pd.DataFrame | None = None, gazetteer: Gazetteer | None = None,
              viewport: tuple[int, int] = (560, 560)) -> WorldMap:
    """The full map page deck: choropleth, optional points (from ``queries.points`` rows,
    placed with ``gazetteer``) and the ``options.max_links`` strongest operation links."""
    base = choropleth(frame, flt, countries, options.measure, options.selected, viewport, options.clicked)
    layers = list(base.deck.layers)
    placement, n_links, n_pairs = None, 0, 0
    if options.point_style and raw_points is not None and gazetteer is not None:
        placement = place_points(raw_points, countries, gazetteer)
        layers.append(point_layer(placement.frame, options.measure, options.point_style))
    if options.links:
        links = operation_links(frame, flt, countries, options.measure, options.operation, max_links=None)
        n_pairs, links = len(links), links.head(options.max_links)
        n_links = len(links)
        layers.append(arc_layer(links, countries, options.measure))
    return WorldMap(make_deck(layers, base.deck.initial_view_state), base.legend, placement, n_links,
                    link_pairs=n_pairs)


def legend_html(bins: Sequence[LegendBin], measure: str) -> str:
    """A one-line HTML legend (colour swatches with value ranges) for ``st.markdown``."""
    if not bins:
        return f"<small>{MAP_MEASURES[measure]}: no values above 0 in the filter.</small>"
    swatch = ('<span style="display:inline-block;width:14px;height:10px;margin:0 4px 0 10px;'
              'background:rgb({},{},{});border:1px solid #999"></span>{}')
    parts = [swatch.format(*b.color, b.label) for b in bins]
    parts.append(swatch.format(*NO_DATA, "0 / no records"))
    return f"<small><b>{MAP_MEASURES[measure]}</b>{''.join(parts)}</small>"


def clicked_iso3(selection: Mapping | None) -> str | None:
    """The ISO3 code of the country a ``st.pydeck_chart`` selection picked (boundary,
    small-country point, or a record point: its country), or None for anything else."""
    objects = (selection or {}).get("objects") or {}
    for layer in (COUNTRY_LAYER, SMALL_COUNTRY_LAYER, POINT_LAYER):
        for obj in objects.get(layer) or []:
            iso3 = (obj.get("properties") or {}).get("iso3") or obj.get("iso3")
            if iso3:
                return str(iso3)
    return None


def toggle_country(current: Sequence[str], iso3: str) -> tuple[str, ...]:
    """The country filter after clicking ``iso3``: added if absent, removed if present."""
    return tuple(c for c in current if c != iso3) if iso3 in current else (*current, iso3)


def deck_bytes(deck: pdk.Deck) -> int:
    """Size in bytes of the deck JSON Streamlit would send (compact separators)."""
    return len(deck.to_json().encode())


def operations_in(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> list[str]:
    """The operations with records in ``flt``, sorted (choices for the links of one operation)."""
    return sorted(str(o) for o in select(frame, flt, countries)["operation"].unique())


def placement_line(placement: Placement) -> str:
    """How the records on the map were placed, in words."""
    total = placement.by_coordinates + placement.by_city + placement.by_centroid
    grid = f"; shown on a {placement.cell_degrees:g}° grid" if placement.cell_degrees > GRID_STEPS[0] else ""
    return (f"{total:,} records placed: {placement.by_coordinates:,} by their coordinates, "
            f"{placement.by_city:,} by city (offline gazetteer), {placement.by_centroid:,} at the "
            f"country's point{grid}.")
