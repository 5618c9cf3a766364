"""A static choropleth of the bundled world boundaries as an SVG string (no plotly geo, no CDN).

Countries are coloured with the dashboard map's own classes (``maps.legend_bins`` /
``maps.colour_of``) over ``maps.country_table`` (the query layer), on a plain
longitude/latitude (equirectangular) projection. Countries too small for the
boundaries file are drawn as dots at their ``countries.csv`` location.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

import pandas as pd

from ocops import maps
from ocops.geo import CountryIndex, load_boundaries

WIDTH = 720
NORTH, SOUTH = 84.0, -58.0  # Antarctica left out: it holds no records and half the picture
HEIGHT = round(WIDTH * (NORTH - SOUTH) / 360)
LEGEND_HEIGHT = 28


def _xy(lon: float, lat: float) -> tuple[float, float]:
    lat = min(max(lat, SOUTH), NORTH)
    return (lon + 180) / 360 * WIDTH, (NORTH - lat) / (NORTH - SOUTH) * HEIGHT


def _ring(points: Iterable[Sequence[float]]) -> str:
    """One closed ring as path commands, 1 decimal, repeated points dropped."""
    out: list[str] = []
    last = ""
    for lon, lat, *_ in points:
        x, y = _xy(lon, lat)
        text = f"{x:.1f} {y:.1f}"
        if text != last:
            out.append(text)
            last = text
    return "M" + "L".join(out) + "Z" if len(out) > 2 else ""


def _path(geometry: dict) -> str:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return "".join(_ring(ring) for polygon in polygons for ring in polygon)


def _rgb(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _legend(bins: Sequence[maps.LegendBin], measure: str) -> str:
    label = maps.MAP_MEASURES[measure]
    y = HEIGHT + 10
    parts = [f'<text x="0" y="{y + 9}" font-size="11" font-weight="bold">{escape(label)}</text>']
    x = 8.0 + 7 * len(label)
    entries = [(b.color, b.label) for b in bins] + [(maps.NO_DATA, "0 / no records")]
    if not bins:
        entries = [(maps.NO_DATA, "no values above 0 in the filter")]
    for color, text in entries:
        parts.append(f'<rect x="{x}" y="{y}" width="14" height="10" fill="{_rgb(color)}" stroke="#999" '
                     f'stroke-width="0.5"/><text x="{x + 18}" y="{y + 9}" font-size="11">{escape(text)}</text>')
        x += 30 + 6.5 * len(text)
    return "".join(parts)


def world_svg(table: pd.DataFrame, measure: str, countries: CountryIndex) -> str:
    """The SVG map of ``measure`` per country (``maps.country_table``), with its legend."""
    values = dict(zip(table["iso3"], table[measure].astype(float), strict=True)) if len(table) else {}
    bins = maps.legend_bins(list(values.values())) if values else []
    shapes, drawn = [], set()
    for feature in load_boundaries()["features"]:
        iso3 = feature["properties"]["iso3"]
        drawn.add(iso3)
        fill = _rgb(maps.colour_of(values.get(iso3, 0.0), bins))
        shapes.append(f'<path d="{_path(feature["geometry"])}" fill="{fill}"><title>'
                      f'{escape(countries.get(iso3).name)}</title></path>')
    for iso3, value in values.items():
        if iso3 in drawn or value <= 0:
            continue
        country = countries.get(iso3)
        x, y = _xy(country.lon, country.lat)
        shapes.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{_rgb(maps.colour_of(value, bins))}" '
                      f'stroke="#555" stroke-width="0.6"><title>{escape(country.name)}</title></circle>')
    height = HEIGHT + LEGEND_HEIGHT
    return (f'<svg class="worldmap" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
            f'role="img" aria-label="{escape(maps.MAP_MEASURES[measure])} by country">'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f4f8fb"/>'
            f'<g stroke="#ffffff" stroke-width="0.4" stroke-linejoin="round">{"".join(shapes)}</g>'
            f'{_legend(bins, measure)}</svg>')
