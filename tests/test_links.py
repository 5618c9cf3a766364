"""Shareable links: parsing and writing the dashboard's query parameters (ocops.links)."""

from __future__ import annotations

import datetime as dt

from ocops import links
from ocops.geo import CountryIndex
from ocops.links import describe_filter, filter_from_params, params_from_filter, period_range
from ocops.queries import Filter
from ocops.taxonomy import Taxonomy

OPERATIONS = ["Operation Andes", "Operation Pangea"]
ANCHOR = dt.date(2018, 12, 31)


def test_full_link_round_trip(countries: CountryIndex, taxonomy: Taxonomy) -> None:
    params = {"region": ["Europe", "Africa"], "country": ["FRA"], "crime_area": ["Drug trafficking"],
              "operation": ["Operation Andes"], "since": ["2018-01-01"], "until": ["2018-12-31"]}
    flt, period, notices = filter_from_params(params, countries, taxonomy, OPERATIONS, ANCHOR)
    assert flt == Filter(regions=("Europe", "Africa"), countries=("FRA",), crime_areas=("Drug trafficking",),
                         operations=("Operation Andes",), since=dt.date(2018, 1, 1), until=dt.date(2018, 12, 31))
    assert period == "custom" and notices == []
    assert params_from_filter(flt, period) == params


def test_values_are_normalised_like_the_importer(countries: CountryIndex, taxonomy: Taxonomy) -> None:
    params = {"region": "europe", "country": ["France", "de"], "crime_area": "narcotics",
              "operation": "operation  pangea"}
    flt, _period, notices = filter_from_params(params, countries, taxonomy, OPERATIONS, ANCHOR)
    assert flt.regions == ("Europe",) and flt.countries == ("FRA", "DEU")
    assert flt.crime_areas == ("Drug trafficking",) and flt.operations == ("Operation Pangea",)
    assert notices == []


def test_unknown_values_are_dropped_with_notices(countries: CountryIndex, taxonomy: Taxonomy) -> None:
    params = {"region": ["Atlantis", "Europe"], "country": ["Narnia", "BRA", "ESP"], "crime_area": "Knitting",
              "operation": "Operation Nowhere", "since": "yesterday", "period": "forever"}
    flt, period, notices = filter_from_params(params, countries, taxonomy, OPERATIONS, ANCHOR)
    assert flt.regions == ("Europe",) and flt.countries == ("ESP",)
    assert flt.crime_areas == () and flt.operations == ()
    assert period == "last-12-months" and (flt.since, flt.until) == (dt.date(2018, 1, 1), ANCHOR)
    assert notices == [
        "Ignored unknown region in the link: 'Atlantis'.",
        "Ignored unknown country in the link: 'Narnia'.",
        "Ignored countries outside the chosen regions: Brazil.",
        "Ignored unknown crime area in the link: 'Knitting'.",
        "Ignored unknown operation in the link: 'Operation Nowhere'.",
        "Ignored since='yesterday' in the link: dates are written YYYY-MM-DD.",
        "Ignored unknown period 'forever' in the link: use one of last-30-days, last-quarter, last-12-months, "
        "year-to-date, previous-year, all-time, a year (2018) or a quarter (2018-Q3).",
    ]


def test_reversed_dates_are_dropped(countries: CountryIndex, taxonomy: Taxonomy) -> None:
    flt, period, notices = filter_from_params({"since": "2018-05-01", "until": "2018-01-01"}, countries, taxonomy,
                                              [], ANCHOR)
    assert period == "last-12-months" and flt.since == dt.date(2018, 1, 1)
    assert len(notices) == 1 and "before" in notices[0]


def test_rolling_presets_end_on_the_anchor() -> None:
    assert period_range("last-30-days", ANCHOR) == (dt.date(2018, 12, 2), ANCHOR)
    assert period_range("last-quarter", ANCHOR) == (dt.date(2018, 10, 1), ANCHOR)
    assert period_range("last-12-months", ANCHOR) == (dt.date(2018, 1, 1), ANCHOR)
    assert period_range("year-to-date", dt.date(2019, 3, 15)) == (dt.date(2019, 1, 1), dt.date(2019, 3, 15))
    assert period_range("all-time", ANCHOR) == (None, None)
    # 31 May minus 3 months is 28 Feb (clamped), so the quarter starts on 1 March
    assert period_range("last-quarter", dt.date(2018, 5, 31)) == (dt.date(2018, 3, 1), dt.date(2018, 5, 31))
    assert period_range("last-12-months", dt.date(2020, 2, 29)) == (dt.date(2019, 3, 1), dt.date(2020, 2, 29))


def test_presets_roll_and_default_is_implicit(countries: CountryIndex, taxonomy: Taxonomy) -> None:
    flt, period, _ = filter_from_params({"period": "year-to-date"}, countries, taxonomy, [], dt.date(2019, 6, 30))
    assert (flt.since, flt.until, period) == (dt.date(2019, 1, 1), dt.date(2019, 6, 30), "year-to-date")
    assert params_from_filter(flt, period) == {"period": ["year-to-date"]}
    default, period, _ = filter_from_params({}, countries, taxonomy, [], ANCHOR)
    assert params_from_filter(default, period) == {}


def test_describe_filter() -> None:
    flt = Filter(regions=("Europe",), countries=("FRA",), since=dt.date(2018, 1, 1), until=dt.date(2018, 12, 31))
    assert describe_filter(flt, "custom", {"FRA": "France"}) == "Europe · France · 1 Jan 2018 – 31 Dec 2018"
    assert describe_filter(Filter(), "all-time") == "All regions, countries, crime areas and operations · all time"


def test_calendar_years_and_quarters(countries: CountryIndex, taxonomy: Taxonomy) -> None:
    assert links.calendar_range("2018") == (dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    assert links.calendar_range("2020-Q1") == (dt.date(2020, 1, 1), dt.date(2020, 3, 31))
    assert links.calendar_range("2018-Q4") == (dt.date(2018, 10, 1), dt.date(2018, 12, 31))
    assert [links.calendar_range(k) for k in ("2018-Q5", "18", "last-year", "")] == [None] * 4
    assert links.calendar_label("2018-Q3") == "Q3 2018" and links.calendar_label("2018") == "2018"
    # records in Mar 2018, Jun 2018 and Dec 2017: latest year first, each followed by its quarters
    assert links.calendar_periods([201803, 201806, 201712]) == ["2018", "2018-Q2", "2018-Q1", "2017", "2017-Q4"]
    flt, period, notices = filter_from_params({"period": "2018-q2"}, countries, taxonomy, [], ANCHOR)
    assert (flt.since, flt.until, period, notices) == (dt.date(2018, 4, 1), dt.date(2018, 6, 30), "2018-Q2", [])
    assert params_from_filter(flt, period) == {"period": ["2018-Q2"]}
    assert describe_filter(flt, period) == ("All regions, countries, crime areas and operations · "
                                            "q2 2018 (1 Apr 2018 – 30 Jun 2018)")
    assert period_range("previous-year", ANCHOR) == (dt.date(2017, 1, 1), dt.date(2017, 12, 31))


def test_comparison_with_the_same_period_last_year() -> None:
    quarter = Filter(regions=("Europe",), since=dt.date(2020, 1, 1), until=dt.date(2020, 3, 31))
    assert links.comparison_filter(quarter, "last-year") == Filter(
        regions=("Europe",), since=dt.date(2019, 1, 1), until=dt.date(2019, 3, 31))
    # a calendar quarter (year) is compared with the quarter (year) before, other periods with
    # the period of equal length just before
    assert links.comparison_filter(quarter, "previous") == Filter(
        regions=("Europe",), since=dt.date(2019, 10, 1), until=dt.date(2019, 12, 31))
    year = Filter(since=dt.date(2020, 1, 1), until=dt.date(2020, 12, 31))
    assert links.comparison_filter(year, "previous") == Filter(since=dt.date(2019, 1, 1), until=dt.date(2019, 12, 31))
    days = Filter(since=dt.date(2020, 1, 1), until=dt.date(2020, 1, 10))
    assert links.comparison_filter(days, "previous") == Filter(since=dt.date(2019, 12, 22),
                                                               until=dt.date(2019, 12, 31))
    leap = Filter(since=dt.date(2020, 2, 1), until=dt.date(2020, 2, 29))
    assert links.comparison_filter(leap, "last-year") == Filter(since=dt.date(2019, 2, 1), until=dt.date(2019, 2, 28))
    assert links.comparison_filter(Filter(), "last-year") is None
    assert links.compare_from_params({"compare": "last-year"}) == ("last-year", [])
    assert links.compare_from_params({}) == ("previous", [])
    assert links.compare_from_params({"compare": "never"}) == (
        "previous", ["Ignored unknown comparison 'never' in the link: use compare=last-year."])
    assert links.compare_params("previous") == {} and links.compare_params("last-year") == {"compare": ["last-year"]}
