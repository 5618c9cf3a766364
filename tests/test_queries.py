"""The query layer against tests/fixtures/core_operations.csv.

Every expected figure below was added up by hand from the 18 rows of the
fixture (see the table in the comment), never computed by ocops or pandas.

  id op        date        iso3 region  area     arr sz vic  seized            usd
  01 Andes     2018-12-03  COL  Amer    PS       10  0  0   -                 -
  02 Andes     2018-12-04  PER  Amer    PS        8  1  2   15 items          -
  03 Andes     2018-12-31  BRA  Amer    PS        5  0  0   -                 -
  04 Lionfish  2018-10-15  COL  Amer    Drug     12  4  0   1500 kg           45,000,000
  05 Lionfish  2018-10-20  ESP  Eur     Drug      6  3  0   2 t = 2000 kg     60,000,000
  06 Lionfish  2019-01-10  FRA  Eur     Drug      3  2  0   500 g = 0.5 kg    15,000
  07 Pangea    2018-10-09  FRA  Eur     Illicit   4  7  0   12000 items       250,000
  08 Pangea    2018-10-10  THA  ASP     Illicit   9 11  0   350 l             80,000
  09 Pangea    2019-06-30  NGA  Afr     Illicit   2  5  0   800 g = 0.8 kg    1,200.5
  10 Thunder   2019-03-01  KEN  Afr     Env       7  2  0   250 kg            100,000
  11 Thunder   2019-03-15  THA  ASP     Env       1  1  0   0.5 t = 500 kg    -
  12 Thunder   2019-12-31  CIV  Afr     Env       0  1  0   3 t = 3000 kg     50,000
  13 Libertad  2018-09-20  SDN  Afr     THB       0  0 100  -                 -
  14 Libertad  2018-09-21  NGA  Afr     THB       6  0 22   -                 -
  15 Libertad  2019-01-01  DEU  Eur     THB       2  0  5   -                 -
  16 Lionfish  2019-01-10  EGY  MENA    Drug      4  1  0   750 kg            -
  17 Pangea    2019-06-30  EGY  MENA    Illicit   1  1  0   40 l              2,000
  18 Andes     2018-12-31  COL  Amer    PS        3  0  1   -                 -
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from ocops import queries
from ocops.errors import BadFilter
from ocops.geo import DEFAULT_COUNTRIES_CSV, DEFAULT_REGIONS_CSV, CountryIndex, load_countries
from ocops.importer import Vocabulary, import_path
from ocops.schema import EXPORT_COLUMNS
from ocops.taxonomy import Taxonomy

FIXTURE = Path(__file__).parent / "fixtures" / "core_operations.csv"
MEASURE_NAMES = ("records", "operations", "countries", "arrests", "seizures", "victims_rescued",
                 "seized_value_usd", "seized_kg", "seized_l", "seized_items")


def m(records: int, operations: int, countries: int, arrests: int, seizures: int, victims: int,
      usd: float, kg: float, litres: float, items: int) -> dict[str, Any]:
    """Measures in contract order (hand-computed numbers only)."""
    return dict(zip(MEASURE_NAMES, (records, operations, countries, arrests, seizures, victims,
                                    usd, kg, litres, items), strict=True))


ZERO = m(0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0)
ALL = m(18, 5, 12, 83, 39, 130, 105_498_200.5, 8001.3, 390.0, 12015)

BY_REGION = {
    "Africa": m(5, 3, 4, 15, 8, 122, 151_200.5, 3250.8, 0.0, 0),
    "Americas": m(5, 2, 3, 38, 5, 3, 45_000_000.0, 1500.0, 0.0, 15),
    "Asia and South Pacific": m(2, 2, 1, 10, 12, 0, 80_000.0, 500.0, 350.0, 0),
    "Europe": m(4, 3, 3, 15, 12, 5, 60_265_000.0, 2000.5, 0.0, 12000),
    "Middle East and North Africa": m(2, 2, 1, 5, 2, 0, 2000.0, 750.0, 40.0, 0),
}
BY_CRIME_AREA = {
    "Drug trafficking": m(4, 1, 4, 25, 10, 0, 105_015_000.0, 4250.5, 0.0, 0),
    "Environmental crime": m(3, 1, 3, 8, 4, 0, 150_000.0, 3750.0, 0.0, 0),
    "Illicit goods and counterfeiting": m(4, 1, 4, 16, 24, 0, 333_200.5, 0.8, 390.0, 12000),
    "People smuggling": m(4, 1, 3, 26, 1, 3, 0.0, 0.0, 0.0, 15),
    "Trafficking in human beings": m(3, 1, 3, 8, 0, 127, 0.0, 0.0, 0.0, 0),
}
BY_COUNTRY = {
    "BRA": m(1, 1, 1, 5, 0, 0, 0.0, 0.0, 0.0, 0),
    "CIV": m(1, 1, 1, 0, 1, 0, 50_000.0, 3000.0, 0.0, 0),
    "COL": m(3, 2, 1, 25, 4, 1, 45_000_000.0, 1500.0, 0.0, 0),
    "DEU": m(1, 1, 1, 2, 0, 5, 0.0, 0.0, 0.0, 0),
    "EGY": m(2, 2, 1, 5, 2, 0, 2000.0, 750.0, 40.0, 0),
    "ESP": m(1, 1, 1, 6, 3, 0, 60_000_000.0, 2000.0, 0.0, 0),
    "FRA": m(2, 2, 1, 7, 9, 0, 265_000.0, 0.5, 0.0, 12000),
    "KEN": m(1, 1, 1, 7, 2, 0, 100_000.0, 250.0, 0.0, 0),
    "NGA": m(2, 2, 1, 8, 5, 22, 1200.5, 0.8, 0.0, 0),
    "PER": m(1, 1, 1, 8, 1, 2, 0.0, 0.0, 0.0, 15),
    "SDN": m(1, 1, 1, 0, 0, 100, 0.0, 0.0, 0.0, 0),
    "THA": m(2, 2, 1, 10, 12, 0, 80_000.0, 500.0, 350.0, 0),
}
BY_MONTH = {
    "2018-09": m(2, 1, 2, 6, 0, 122, 0.0, 0.0, 0.0, 0),
    "2018-10": m(4, 2, 4, 31, 25, 0, 105_330_000.0, 3500.0, 350.0, 12000),
    "2018-12": m(4, 1, 3, 26, 1, 3, 0.0, 0.0, 0.0, 15),
    "2019-01": m(3, 2, 3, 9, 3, 5, 15_000.0, 750.5, 0.0, 0),
    "2019-03": m(2, 1, 2, 8, 3, 0, 100_000.0, 750.0, 0.0, 0),
    "2019-06": m(2, 1, 2, 3, 6, 0, 3200.5, 0.8, 40.0, 0),
    "2019-12": m(1, 1, 1, 0, 1, 0, 50_000.0, 3000.0, 0.0, 0),
}
BY_OPERATION = {
    "Operation Andes": BY_CRIME_AREA["People smuggling"],
    "Operation Libertad": BY_CRIME_AREA["Trafficking in human beings"],
    "Operation Lionfish": BY_CRIME_AREA["Drug trafficking"],
    "Operation Pangea": BY_CRIME_AREA["Illicit goods and counterfeiting"],
    "Operation Thunder": BY_CRIME_AREA["Environmental crime"],
}
GROUPS = {"region": BY_REGION, "crime_area": BY_CRIME_AREA, "country": BY_COUNTRY,
          "month": BY_MONTH, "operation": BY_OPERATION}

FRANCE = m(2, 2, 1, 7, 9, 0, 265_000.0, 0.5, 0.0, 12000)  # rows 06, 07
# (filter keyword arguments of make_filter, hand-computed totals); also used by the CLI tests.
FILTER_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "one region": ({"regions": ["Africa"]}, BY_REGION["Africa"]),
    "region, any case": ({"regions": ["  africa "]}, BY_REGION["Africa"]),
    "two regions": ({"regions": ["Africa", "Europe"]},
                    m(9, 4, 7, 30, 20, 127, 60_416_200.5, 5251.3, 0.0, 12000)),
    "country by name": ({"country_values": ["France"]}, FRANCE),
    "country by ISO3": ({"country_values": ["FRA"]}, FRANCE),
    "country by ISO2": ({"country_values": ["fr"]}, FRANCE),
    "country by alias": ({"country_values": ["Ivory Coast"]}, BY_COUNTRY["CIV"]),
    "two countries": ({"country_values": ["Colombia", "PE"]},
                      m(4, 2, 2, 33, 5, 3, 45_000_000.0, 1500.0, 0.0, 15)),
    "crime area": ({"crime_areas": ["Drug trafficking"]}, BY_CRIME_AREA["Drug trafficking"]),
    "crime area alias": ({"crime_areas": ["narcotics"]}, BY_CRIME_AREA["Drug trafficking"]),
    "operation": ({"operations": ["Operation Thunder"]}, BY_CRIME_AREA["Environmental crime"]),
    "operation, spaces collapsed": ({"operations": ["  Operation   Thunder "]}, BY_CRIME_AREA["Environmental crime"]),
    # rows 04, 05 (from 2018-10-15 exactly) and 01, 02, 03, 18 (03 and 18 exactly on until)
    "since and until inclusive": ({"since": "2018-10-15", "until": "2018-12-31"},
                                  m(6, 2, 4, 44, 8, 3, 105_000_000.0, 3500.0, 0.0, 15)),
    # one day earlier: rows 03 and 18 fall out
    "until excludes the next day": ({"since": "2018-10-15", "until": "2018-12-30"},
                                    m(4, 2, 3, 36, 8, 2, 105_000_000.0, 3500.0, 0.0, 15)),
    # rows 09, 17 (2019-06-30, exactly on since) and 12
    "since only": ({"since": "2019-06-30"}, m(3, 2, 3, 3, 7, 0, 53_200.5, 3000.8, 40.0, 0)),
    # rows 13, 14 (September 2018)
    "until only": ({"until": "2018-09-30"}, BY_MONTH["2018-09"]),
    "region + crime area + since": ({"regions": ["Europe"], "crime_areas": ["drugs"], "since": "2019-01-01"},
                                    m(1, 1, 1, 3, 2, 0, 15_000.0, 0.5, 0.0, 0)),
    "region + operation + until": ({"regions": ["Americas"], "operations": ["Operation Andes"],
                                    "until": "2018-12-04"},
                                   m(2, 1, 2, 18, 1, 2, 0.0, 0.0, 0.0, 15)),
    "region and country intersect": ({"regions": ["Africa"], "country_values": ["Nigeria", "France"]},
                                     BY_COUNTRY["NGA"]),
    "nothing matches": ({"crime_areas": ["Cybercrime"]}, ZERO),
    "disjoint region and country": ({"regions": ["Europe"], "country_values": ["Colombia"]}, ZERO),
    "period with no records": ({"since": "2020-01-01", "until": "2020-12-31"}, ZERO),
}


@pytest.fixture
def loaded(engine: Engine, vocabulary: Vocabulary) -> Engine:
    """The store with the hand-checked fixture imported."""
    report = import_path(engine, FIXTURE, vocabulary)
    assert (report.imported, report.rejected) == (18, 0)
    return engine


def assert_measures(actual: dict[str, Any], expected: dict[str, Any], label: str = "") -> None:
    """Exact integers, floats to 1e-9 relative."""
    assert set(actual) >= set(MEASURE_NAMES), label
    for name in MEASURE_NAMES:
        want = expected[name]
        if isinstance(want, int):
            assert actual[name] == want and isinstance(actual[name], int), f"{label} {name}: {actual[name]!r}"
        else:
            assert actual[name] == pytest.approx(want, rel=1e-9, abs=1e-9), f"{label} {name}: {actual[name]!r}"


def assert_groups(groups: list[dict[str, Any]], expected: dict[str, dict[str, Any]], label: str = "") -> None:
    """Groups sorted by key, each with the hand-computed measures."""
    assert [g["key"] for g in groups] == sorted(expected), label
    for group in groups:
        assert_measures(group, expected[group["key"]], f"{label} {group['key']}")


def both_paths(engine: Engine, flt: queries.Filter, countries: CountryIndex, by: str | None = None) -> dict[str, Any]:
    """The figures (filter applied to the in-memory frame) and the export (the same filter in SQL),
    which must select the same records."""
    result = queries.summary(queries.load_frame(engine), flt, countries, by=by)
    exported = queries.records(engine, flt, countries, columns=("record_id", "arrests", "seizures", "victims_rescued"))
    assert result["totals"]["records"] == len(exported)
    for measure in ("arrests", "seizures", "victims_rescued"):
        assert result["totals"][measure] == sum(exported[measure]), measure
    return result


def test_totals_without_a_filter(loaded: Engine, countries: CountryIndex) -> None:
    result = both_paths(loaded, queries.Filter(), countries)
    assert result["filters"] == {}
    assert "groups" not in result
    assert_measures(result["totals"], ALL)


@pytest.mark.parametrize("by", sorted(GROUPS))
def test_groups(loaded: Engine, countries: CountryIndex, by: str) -> None:
    result = both_paths(loaded, queries.Filter(), countries, by=by)
    assert_groups(result["groups"], GROUPS[by], by)
    assert_measures(result["totals"], ALL)


def test_every_filter(loaded: Engine, countries: CountryIndex, taxonomy: Taxonomy) -> None:
    for label, (words, expected) in FILTER_CASES.items():
        flt = queries.make_filter(countries, taxonomy, **words)
        assert_measures(both_paths(loaded, flt, countries)["totals"], expected, label)
        assert len(queries.records(loaded, flt, countries)) == expected["records"], label


def test_filter_groups_combine(loaded: Engine, countries: CountryIndex, taxonomy: Taxonomy) -> None:
    flt = queries.make_filter(countries, taxonomy, regions=["Africa", "Europe"])
    result = both_paths(loaded, flt, countries, by="region")
    assert_groups(result["groups"], {"Africa": BY_REGION["Africa"], "Europe": BY_REGION["Europe"]})
    nothing = queries.make_filter(countries, taxonomy, crime_areas=["Cybercrime"])
    for by in GROUPS:
        assert both_paths(loaded, nothing, countries, by=by)["groups"] == []


def test_filters_are_normalised_and_echoed(countries: CountryIndex, taxonomy: Taxonomy) -> None:
    flt = queries.make_filter(countries, taxonomy, regions=["africa"], country_values=["Ivory Coast", "CIV", "ci"],
                              crime_areas=["narcotics", "drugs"], operations=[" Operation  Andes "],
                              since="2018-01-01", until=dt.date(2018, 12, 31))
    assert flt == queries.Filter(regions=("Africa",), countries=("CIV",), crime_areas=("Drug trafficking",),
                                 operations=("Operation Andes",), since=dt.date(2018, 1, 1),
                                 until=dt.date(2018, 12, 31))
    # the keys of the contract's `summary` "filters" object (named like the CLI flags)
    assert flt.to_dict() == {"region": ["Africa"], "country": ["CIV"], "crime_area": ["Drug trafficking"],
                             "operation": ["Operation Andes"], "since": "2018-01-01", "until": "2018-12-31"}
    assert queries.Filter().to_dict() == {}


@pytest.mark.parametrize("words, fragment", [
    ({"country_values": ["Atlantis"]}, "Unknown country 'Atlantis'"),
    ({"regions": ["Narnia"]}, "Unknown region 'Narnia'"),
    ({"crime_areas": ["jaywalking"]}, "Unknown crime area 'jaywalking'"),
    ({"since": "31/12/2018"}, "--since '31/12/2018' is not a date"),
    ({"until": "2018-02-30"}, "--until '2018-02-30' is not a date"),
])
def test_bad_filter_values_raise(countries: CountryIndex, taxonomy: Taxonomy, words: dict[str, Any],
                                 fragment: str) -> None:
    with pytest.raises(BadFilter) as caught:
        queries.make_filter(countries, taxonomy, **words)
    assert fragment in str(caught.value)


def test_region_is_resolved_when_figures_are_computed(loaded: Engine, tmp_path: Path) -> None:
    """Moving Egypt to Africa in a replaced regions file changes the figures without a re-import."""
    with DEFAULT_REGIONS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    moved = [[iso3, "Africa" if iso3 == "EGY" else region] for iso3, region in rows]
    assert moved != rows
    replaced = tmp_path / "regions.csv"
    with replaced.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(moved)
    remapped = load_countries(DEFAULT_COUNTRIES_CSV, regions_csv=replaced)

    result = both_paths(loaded, queries.Filter(), remapped, by="region")
    expected = {key: value for key, value in BY_REGION.items() if key != "Middle East and North Africa"}
    # Africa + rows 16, 17 (Egypt)
    expected["Africa"] = m(7, 4, 5, 20, 10, 122, 153_200.5, 4000.8, 40.0, 0)
    assert_groups(result["groups"], expected)
    africa = queries.Filter(regions=("Africa",))
    assert_measures(both_paths(loaded, africa, remapped)["totals"], expected["Africa"])
    assert set(queries.records(loaded, africa, remapped)["region"]) == {"Africa"}
    # the bundled mapping still gives the original figures, from the same store
    assert_groups(both_paths(loaded, queries.Filter(), load_countries(), by="region")["groups"], BY_REGION)


@pytest.mark.parametrize("since, until, previous", [
    ((2019, 1, 1), (2019, 1, 31), ((2018, 12, 1), (2018, 12, 31))),       # 31 days
    ((2019, 3, 1), (2019, 3, 1), ((2019, 2, 28), (2019, 2, 28))),         # one day
    ((2020, 3, 1), (2020, 3, 31), ((2020, 1, 30), (2020, 2, 29))),        # across a leap February
    ((2018, 1, 1), (2018, 12, 31), ((2017, 1, 1), (2017, 12, 31))),       # a whole year
])
def test_previous_period(since: tuple[int, int, int], until: tuple[int, int, int],
                         previous: tuple[tuple[int, int, int], tuple[int, int, int]]) -> None:
    flt = queries.Filter(regions=("Africa",), since=dt.date(*since), until=dt.date(*until))
    before = flt.previous_period()
    assert before == queries.Filter(regions=("Africa",), since=dt.date(*previous[0]), until=dt.date(*previous[1]))


def test_previous_period_needs_both_dates() -> None:
    assert queries.Filter(since=dt.date(2019, 1, 1)).previous_period() is None
    assert queries.Filter(until=dt.date(2019, 1, 1)).previous_period() is None
    assert queries.Filter().previous_period() is None


def test_seized_quantities_are_normalised(loaded: Engine, countries: CountryIndex) -> None:
    """g / 1000, t * 1000, l and items as given (rows 02, 05, 06, 08, 11)."""
    cases = {"PER": (0.0, 0.0, 15), "ESP": (2000.0, 0.0, 0), "THA": (500.0, 350.0, 0)}
    for iso3, (kg, litres, items) in cases.items():
        totals = both_paths(loaded, queries.Filter(countries=(iso3,)), countries)["totals"]
        assert (totals["seized_kg"], totals["seized_l"], totals["seized_items"]) == (kg, litres, items), iso3
    heroin = both_paths(loaded, queries.Filter(countries=("FRA",), crime_areas=("Drug trafficking",)), countries)
    assert heroin["totals"]["seized_kg"] == pytest.approx(0.5)


def test_records_have_the_export_columns(loaded: Engine, countries: CountryIndex) -> None:
    frame = queries.records(loaded, queries.Filter(countries=("COL",)), countries)
    assert list(frame.columns) == [*EXPORT_COLUMNS, "quantities"]
    assert "region" in frame.columns and "batch_id" in frame.columns
    # newest first: 18 (2018-12-31), 01 (2018-12-03), 04 (2018-10-15)
    assert frame["record_id"].tolist() == ["CORE-18", "CORE-01", "CORE-04"]
    first = frame[frame["record_id"] == "CORE-01"].iloc[0].to_dict()
    assert first["operation"] == "Operation Andes"
    assert first["date"] == dt.date(2018, 12, 3) and first["end_date"] == dt.date(2018, 12, 7)
    assert (first["country"], first["country_name"], first["region"]) == ("COL", "Colombia", "Americas")
    assert (first["city"], first["latitude"], first["longitude"]) == ("Bogotá", 4.711, -74.07)
    assert (first["arrests"], first["seizures"], first["victims_rescued"]) == (10, 0, 0)
    assert first["seized_quantity"] is None and first["notes"] is None
    assert first["lead_agency"] == "Policía Nacional"
    assert first["batch_id"] == 1
    limited = queries.records(loaded, queries.Filter(), countries, limit=5, columns=("record_id", "region"))
    assert list(limited.columns) == ["record_id", "region"] and len(limited) == 5


def test_empty_store_gives_zero_totals(engine: Engine, countries: CountryIndex) -> None:
    frame = queries.load_frame(engine)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 0
    result = queries.summary(frame, queries.Filter(), countries, by="region")
    assert_measures(result["totals"], ZERO)
    assert result["groups"] == []
    assert len(queries.records(engine, queries.Filter(), countries)) == 0
