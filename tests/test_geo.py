"""Countries, regions and boundaries (ocops.geo and the bundled data files)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pycountry
import pytest

from ocops.errors import BadFilter, DataFileError
from ocops.geo import (DEFAULT_BOUNDARIES, DEFAULT_COUNTRIES_CSV, DEFAULT_REGIONS_CSV, CountryIndex, load_boundaries,
                       load_countries)
from ocops.links import filter_from_params
from ocops.queries import make_filter
from ocops.taxonomy import Taxonomy

FIVE_REGIONS = ["Africa", "Americas", "Asia and South Pacific", "Europe",
                "Middle East and North Africa"]


@pytest.fixture(scope="module")
def index():
    return load_countries()


def test_every_iso_country_and_kosovo_has_exactly_one_of_the_five_regions():
    expected = {c.alpha_3 for c in pycountry.countries} | {"XKX"}
    with DEFAULT_REGIONS_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    codes = [r["iso3"] for r in rows]
    assert len(codes) == len(set(codes))
    assert set(codes) == expected
    assert {r["region"] for r in rows} == set(FIVE_REGIONS)


def test_the_five_regions(index):
    assert index.regions() == FIVE_REGIONS


@pytest.mark.parametrize(("value", "iso3"), [
    ("France", "FRA"), ("FRA", "FRA"), ("FR", "FRA"), ("fr", "FRA"),
    ("Ivory Coast", "CIV"), ("Côte d'Ivoire", "CIV"), ("cote divoire", "CIV"),
    ("DRC", "COD"), ("Democratic Republic of the Congo", "COD"),
    ("USA", "USA"), ("United States of America", "USA"), ("UK", "GBR"),
    ("Russia", "RUS"), ("Russian Federation", "RUS"), ("South Korea", "KOR"),
    ("Kosovo", "XKX"), ("XK", "XKX"), ("XKX", "XKX"), ("NA", "NAM"),
    ("Türkiye", "TUR"), ("Turkey", "TUR"),
    ("  the  Gambia ", "GMB"), ("Bosnia & Herzegovina", "BIH"), ("St. Lucia", "LCA"),
    ("Korea, Republic of", "KOR"), ("Burma", "MMR"), ("Swaziland", "SWZ"),
    ("Holy See", "VAT"), ("UAE", "ARE"), ("Holland", "NLD"), ("Czech Republic", "CZE"),
])
def test_resolves_names_aliases_and_codes(index, value, iso3):
    assert index.resolve(value).iso3 == iso3


def test_canonical_names_are_what_a_manager_expects(index):
    assert index.get("BOL").name == "Bolivia"
    assert index.get("COD").name == "Democratic Republic of the Congo"
    assert index.get("RUS").name == "Russia"
    assert index.get("TUR").name == "Türkiye"
    assert index.get("prk").name == "North Korea"


def test_unknown_country_resolves_to_none_with_suggestions(index):
    assert index.resolve("Atlantis") is None
    assert index.resolve("England") is None
    assert "France" in index.suggest("Frnace")


def test_get_and_region_of(index):
    france = index.get("FRA")
    assert (france.iso2, france.region) == ("FR", "Europe")
    assert index.region_of("EGY") == "Middle East and North Africa"
    assert index.region_of("KAZ") == "Europe"
    assert index.region_of("IRN") == "Asia and South Pacific"
    assert index.region_of("FJI") == "Asia and South Pacific"
    with pytest.raises(KeyError):
        index.get("ZZZ")


def test_iso3_in_regions(index):
    mena = index.iso3_in_regions(["Middle East and North Africa"])
    assert mena == sorted(["DZA", "BHR", "EGY", "IRQ", "ISR", "JOR", "KWT", "LBN", "LBY", "MAR",
                           "OMN", "PSE", "QAT", "SAU", "SYR", "TUN", "ARE", "YEM", "ESH"])
    with pytest.raises(BadFilter, match="Unknown region 'Narnia'"):
        index.iso3_in_regions(["Narnia"])


def test_countries_sorted_by_name_with_points_in_range(index):
    countries = index.countries()
    assert len(countries) == 250
    assert countries[0].name == "Afghanistan"
    for c in countries:
        assert -90 <= c.lat <= 90 and -180 <= c.lon <= 180, c
    singapore = index.get("SGP")
    assert abs(singapore.lat - 1.29) < 0.2 and abs(singapore.lon - 103.85) < 0.2
    france = index.get("FRA")  # metropolitan France, not a mean with French Guiana
    assert 42 < france.lat < 51 and -5 < france.lon < 8


def _polygons(feature: dict) -> list:
    geometry = feature["geometry"]
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def test_boundaries_file():
    assert DEFAULT_BOUNDARIES.stat().st_size < 600 * 1024
    collection = load_boundaries()
    assert collection["type"] == "FeatureCollection"
    with DEFAULT_COUNTRIES_CSV.open(encoding="utf-8") as f:
        known = {r["iso3"] for r in csv.DictReader(f)}
    by_iso3 = {f["properties"]["iso3"]: f for f in collection["features"]}
    assert set(by_iso3) <= known
    assert {"FRA", "BRA", "RUS", "FJI", "XKX"} <= set(by_iso3)
    for feature in collection["features"]:
        polygons = _polygons(feature)
        assert polygons, feature["properties"]
        for polygon in polygons:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1], feature["properties"]
    for iso3 in ("FJI", "RUS"):  # split at the antimeridian: no edge jumps across the map
        for polygon in _polygons(by_iso3[iso3]):
            for (x1, _), (x2, _) in zip(polygon[0], polygon[0][1:], strict=False):
                assert abs(x1 - x2) < 180


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_regions_file_with_a_missing_country_is_refused(tmp_path):
    lines = DEFAULT_REGIONS_CSV.read_text(encoding="utf-8").splitlines()
    without_france = [line for line in lines if not line.startswith("FRA,")]
    bad = _write(tmp_path / "regions.csv", "\n".join(without_france) + "\n")
    with pytest.raises(DataFileError, match=r"regions\.csv: 1 countries have no region \(FRA\)"):
        load_countries(regions_csv=bad)


def test_regions_file_with_a_misspelt_region_names_line_and_fix(tmp_path):
    text = DEFAULT_REGIONS_CSV.read_text(encoding="utf-8").replace("FRA,Europe", "FRA,Europ")
    line = text.splitlines().index("FRA,Europ") + 1
    bad = _write(tmp_path / "regions.csv", text)
    with pytest.raises(DataFileError, match=rf"line {line}: unknown region 'Europ' for FRA "
                                            r"\(did you mean 'Europe'\?\)"):
        load_countries(regions_csv=bad)


def test_regions_file_without_region_column_is_refused(tmp_path):
    bad = _write(tmp_path / "regions.csv", "code;area\nFRA;Europe\n")
    with pytest.raises(DataFileError, match="line 1: the header must name the columns iso3, region"):
        load_countries(regions_csv=bad)


def test_regions_file_may_use_its_own_region_names(tmp_path):
    text = DEFAULT_REGIONS_CSV.read_text(encoding="utf-8").replace("KAZ,Europe", "KAZ,Central Asia")
    index = load_countries(regions_csv=_write(tmp_path / "regions.csv", text))
    assert index.region_of("KAZ") == "Central Asia"
    assert "Central Asia" in index.regions()


def test_countries_file_columns_match_the_documented_header():
    header = DEFAULT_COUNTRIES_CSV.read_text(encoding="utf-8").splitlines()[0]
    assert header == "iso3,iso2,name,aliases,lat,lon"
    geojson = json.loads(DEFAULT_BOUNDARIES.read_text(encoding="utf-8"))
    assert set(geojson["features"][0]["properties"]) == {"iso3", "name"}


def test_region_names_are_matched_in_one_place_like_country_names(index: CountryIndex, taxonomy: Taxonomy) -> None:
    """The command line's filter, a link and iso3_in_regions all match region names by CountryIndex.region."""
    assert index.region(" middle east & north africa ") == "Middle East and North Africa"
    assert index.region("EUROPE") == "Europe" and index.region("Europa") is None
    assert make_filter(index, taxonomy, regions=["asia & south pacific"]).regions == ("Asia and South Pacific",)
    flt, _period, notices = filter_from_params({"region": ["Asia & South Pacific", "Europa"]}, index, taxonomy, [],
                                               dt.date(2026, 12, 1))
    assert flt.regions == ("Asia and South Pacific",) and len(notices) == 1 and "Europa" in notices[0]
