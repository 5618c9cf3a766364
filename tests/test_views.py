"""Page-level figures (ocops.views) against sums done by hand on tests/fixtures/app_operations.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from ocops import queries, views
from ocops.geo import CountryIndex
from ocops.importer import Vocabulary, import_path, list_batches
from ocops.queries import Filter

FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
Y2018 = Filter(since=dt.date(2018, 1, 1), until=dt.date(2018, 12, 31))
EUROPE_2018 = Filter(regions=("Europe",), since=dt.date(2018, 1, 1), until=dt.date(2018, 12, 31))


@pytest.fixture
def loaded(engine: Engine, vocabulary: Vocabulary) -> Engine:
    """The store (SQLite and PostgreSQL) holding the 21 fixture rows."""
    assert import_path(engine, FIXTURE, vocabulary).imported == 21
    return engine


@pytest.fixture
def frame(loaded: Engine) -> pd.DataFrame:
    return queries.load_frame(loaded)


def test_kpis_and_deltas(frame: pd.DataFrame, countries: CountryIndex) -> None:
    got = {k.measure: (k.value, k.delta) for k in views.kpis(frame, EUROPE_2018, countries)}
    assert got == {"records": (7, 3), "operations": (5, 2), "countries": (4, 0), "arrests": (40, 31),
                   "seizures": (116, 111), "victims_rescued": (2, 2), "seized_value_usd": (5165000.0, 3305000.0)}
    all_time = views.kpis(frame, Filter(), countries)
    assert [k.delta for k in all_time] == [None] * 7
    assert [k.value for k in all_time][:4] == [21, 7, 10, 158]


def test_items_table(frame: pd.DataFrame, countries: CountryIndex) -> None:
    # Europe 2018: L-01, L-02 cocaine; P-01, P-02 medicines; G-01 firearms; N-01 fuel.
    table = views.items_table(frame, EUROPE_2018, countries)
    assert table.to_dict("records") == [
        {"key": "Cocaine", "records": 2, "seized_kg": 200.0, "seized_l": 0.0, "seized_items": 0.0,
         "seized_value_usd": 5000000.0},
        {"key": "Counterfeit medicines", "records": 2, "seized_kg": 0.0, "seized_l": 0.0, "seized_items": 3000.0,
         "seized_value_usd": 150000.0},
        {"key": "Fuel", "records": 1, "seized_kg": 0.0, "seized_l": 5000.0, "seized_items": 0.0,
         "seized_value_usd": 15000.0},
        {"key": "Firearms", "records": 1, "seized_kg": 0.0, "seized_l": 0.0, "seized_items": 35.0,
         "seized_value_usd": 0.0},
    ]


def test_items_across_regions_and_years(frame: pd.DataFrame, countries: CountryIndex) -> None:
    kg = views.items_across(frame, Filter(), countries, "region", "seized_kg")
    got = {(i, a): v for i, a, v in kg.itertuples(index=False) if v}
    # cocaine: Europe L-01 120 + L-02 80 + L-05 50, Americas L-03 500; cannabis Africa L-04 200, Europe L-06 300
    assert got == {("Cocaine", "Europe"): 250.0, ("Cocaine", "Americas"): 500.0,
                   ("Cannabis herb", "Africa"): 200.0, ("Cannabis herb", "Europe"): 300.0,
                   ("Ivory", "Africa"): 100.0, ("Pangolins", "Asia and South Pacific"): 50.0}
    records = views.items_across(frame, Filter(seized_items=("Cocaine",)), countries, "year", "records")
    assert records.to_dict("records") == [{"item": "Cocaine", "across": "2017", "value": 1},
                                          {"item": "Cocaine", "across": "2018", "value": 3}]


def test_operation_records_list_each_records_items(frame: pd.DataFrame, countries: CountryIndex) -> None:
    table = views.operation_records(frame, Filter(since=dt.date(2018, 1, 1)), countries, "Operation Lionfish")
    assert table[["country", "arrests", "items"]].values.tolist() == [
        ["Colombia", 30, "Cocaine 500 kg (USD 12,500,000)"], ["France", 8, "Cocaine 120 kg (USD 3,000,000)"],
        ["Ghana", 9, "Cannabis herb 200 kg (USD 100,000)"], ["Spain", 6, "Cocaine 80 kg (USD 2,000,000)"]]


def test_formatting() -> None:
    assert views.format_number(5165000.0, "seized_value_usd") == "5,165,000"
    assert views.format_number(1234) == "1,234"
    assert views.format_number(2.25) == "2.2"
    assert views.format_delta(-75000.0, "seized_value_usd") == "-75,000"
    assert views.format_delta(0) == "±0"
    assert views.format_delta(None) is None


def test_time_series_by_quarter_and_region(frame: pd.DataFrame, countries: CountryIndex) -> None:
    series = views.time_series(frame, Y2018, countries, "arrests", "quarter", "region")
    got = {(str(p.date()), s): v for p, s, v in series.itertuples(index=False)}
    # Q1: L-01..L-04; Q2: G-01, G-02; Q3: N-01; Q4: Andes and Pangea; every quarter for every region
    assert got == {("2018-01-01", "Africa"): 9, ("2018-01-01", "Americas"): 30, ("2018-01-01", "Europe"): 14,
                   ("2018-04-01", "Africa"): 14, ("2018-04-01", "Americas"): 0, ("2018-04-01", "Europe"): 11,
                   ("2018-07-01", "Africa"): 0, ("2018-07-01", "Americas"): 0, ("2018-07-01", "Europe"): 0,
                   ("2018-10-01", "Africa"): 16, ("2018-10-01", "Americas"): 30, ("2018-10-01", "Europe"): 15}


def test_time_series_weeks_count_distinct_operations(frame: pd.DataFrame, countries: CountryIndex) -> None:
    series = views.time_series(frame, Y2018, countries, "operations", "week", None)
    got = {str(p.date()): v for p, _s, v in series.itertuples(index=False)}
    # weeks start on Monday; Andes has records on 3 Dec and 31 Dec 2018 (both Mondays);
    # 1 Jan 2018 was a Monday, so 2018 spans the 53 weeks from 1 Jan to 31 Dec, the quiet ones as 0
    assert {week: n for week, n in got.items() if n} == {"2018-03-05": 1, "2018-06-18": 1, "2018-07-30": 1,
                                                          "2018-10-08": 1, "2018-12-03": 1, "2018-12-31": 1}
    assert len(got) == 53 and min(got) == "2018-01-01" and max(got) == "2018-12-31"


def test_time_series_has_every_month_with_zeros(frame: pd.DataFrame, countries: CountryIndex) -> None:
    series = views.time_series(frame, EUROPE_2018, countries, "arrests", "month", None)
    # Europe 2018: March L-01 8 + L-02 6, June G-01 11, October P-01 3 + P-02 7, December A-03 5
    assert [str(p.date()) for p in series["period"]] == [f"2018-{m:02d}-01" for m in range(1, 13)]
    assert list(series["value"]) == [0, 0, 14, 0, 0, 11, 0, 0, 0, 10, 0, 5]
    all_time = views.time_series(frame, Filter(regions=("Europe",)), countries, "records", "year", None)
    # no filter dates: from the first Europe record (2017) to the last (2018)
    assert [(str(p.date()), v) for p, _s, v in all_time.itertuples(index=False)] == [("2017-01-01", 4),
                                                                                     ("2018-01-01", 7)]


def test_crosstab_totals_are_distinct(frame: pd.DataFrame, countries: CountryIndex) -> None:
    table = views.crosstab(frame, Y2018, countries, "countries")
    # Drug trafficking 2018: FRA, ESP (Europe), COL (Americas), GHA (Africa)
    assert table.loc["Europe", "Drug trafficking"] == 2
    assert table.loc["Total", "Drug trafficking"] == 4
    # Europe 2018: ESP, FRA, DEU, ITA although ESP and FRA appear in two crime areas
    assert table.loc["Europe", "Total"] == 4
    assert table.loc["Total", "Total"] == 9
    arrests = views.crosstab(frame, Y2018, countries, "arrests")
    assert arrests.loc["Total", "Total"] == 139 and arrests.loc["Americas", "Total"] == 60


def test_share_table_and_comparison(frame: pd.DataFrame, countries: CountryIndex) -> None:
    shares = views.share_table(frame, EUROPE_2018, countries, "crime_area", "arrests").set_index("key")
    assert shares.loc["Drug trafficking", "current"] == 14
    assert shares.loc["Drug trafficking", "share_pct"] == 35.0  # 14 / 40
    assert shares.loc["Drug trafficking", "previous"] == 6
    assert shares.loc["Drug trafficking", "change_pct"] == 133.3  # (14 - 6) / 6
    assert pd.isna(shares.loc["People smuggling", "change_pct"])  # nothing before: no percentage
    comparison = views.period_comparison(frame, EUROPE_2018, countries).set_index("measure")
    assert comparison.loc["Seized value (USD)", "previous"] == 1860000.0
    assert comparison.loc["Seized (kg)", "change_pct"] == -42.9  # 200 vs 350


def test_shares_largest_first_and_no_previous_for_all_time(frame: pd.DataFrame, countries: CountryIndex) -> None:
    shares = views.share_table(frame, EUROPE_2018, countries, "operation", "arrests")
    # Europe 2018 arrests: Lionfish 8 + 6, Trigger 11, Pangea 3 + 7, Andes 5, Neptune 0
    assert list(shares["key"]) == ["Operation Lionfish", "Operation Trigger", "Operation Pangea",
                                   "Operation Andes", "Operation Neptune"]
    assert list(shares["current"]) == [14, 11, 10, 5, 0]
    all_time = views.share_table(frame, Filter(), countries, "region", "arrests")
    assert all_time["previous"].isna().all() and all_time["change_pct"].isna().all()
    assert all_time["previous"].dtype == float  # shown as "–", never as "None"
    comparison = views.period_comparison(frame, Filter(), countries)
    assert comparison["previous"].isna().all() and comparison["change"].isna().all()
    assert comparison["previous"].dtype == float and comparison["change_pct"].dtype == float


def test_crosstab_puts_the_total_column_first(frame: pd.DataFrame, countries: CountryIndex) -> None:
    table = views.crosstab(frame, Y2018, countries, "arrests")
    assert table.columns[0] == "Total" and table.index[-1] == "Total"


def test_operations_table_and_drill_down(loaded: Engine, frame: pd.DataFrame, countries: CountryIndex) -> None:
    table = views.operations_table(frame, Y2018, countries).set_index("operation")
    assert list(table.index) == ["Operation Andes", "Operation Pangea", "Operation Neptune", "Operation Trigger",
                                 "Operation Lionfish"]
    andes = table.loc["Operation Andes"]
    assert (andes["first_date"], andes["last_date"]) == (dt.date(2018, 12, 3), dt.date(2018, 12, 31))
    assert andes["lead_agencies"] == "DIJIN, Federal Police, Guardia Civil"
    assert andes["country_names"] == "Brazil, Colombia, Spain"
    assert (andes["records"], andes["arrests"], andes["victims_rescued"]) == (3, 35, 22)
    assert table.loc["Operation Trigger", "lead_agencies"] == "=Nigeria Police Force, Carabinieri"
    per_country, sources = views.operation_detail(frame, Y2018, countries, "Operation Pangea",
                                                  list_batches(loaded))
    assert list(per_country["name"]) == ["Nigeria", "Germany", "Kenya", "France"]  # by arrests 12, 7, 4, 3
    assert sources[["file", "records"]].to_dict("records") == [{"file": "app_operations.csv", "records": 4}]


def test_gantt_top_by_measure(frame: pd.DataFrame, countries: CountryIndex) -> None:
    periods = views.gantt(frame, Filter(), countries, "seizures", top=2)
    # all time seizures: Pangea 140, Lionfish 22 (4+2+10+3+2+1)
    assert list(periods["operation"]) == ["Operation Pangea", "Operation Lionfish"]
    assert list(periods["value"]) == [140, 22]
    lionfish = periods.iloc[1]
    # first record 6 Mar 2017; the latest end_date, 20 Mar 2018, is after the last record (5 Mar 2018)
    assert (lionfish["start"], lionfish["end"]) == (pd.Timestamp("2017-03-06"), pd.Timestamp("2018-03-21"))


def test_empty_selection_gives_empty_tables(frame: pd.DataFrame, countries: CountryIndex) -> None:
    nothing = Filter(crime_areas=("Cybercrime",))
    assert views.time_series(frame, nothing, countries, "arrests").empty
    assert views.crosstab(frame, nothing, countries, "arrests").empty
    assert views.operations_table(frame, nothing, countries).empty
    assert views.gantt(frame, nothing, countries, "arrests").empty
    assert [k.value for k in views.kpis(frame, nothing, countries)] == [0, 0, 0, 0, 0, 0, 0.0]


def test_data_status(loaded: Engine) -> None:
    status = views.data_status(loaded)
    assert status["batches"] == 1 and status["sample_loaded"] is False
    assert status["last_import"].endswith(" UTC") and len(status["last_import"]) == 20


def test_gantt_runs_to_the_latest_end_date(frame: pd.DataFrame, countries: CountryIndex) -> None:
    # Andes: latest end_date 7 Dec 2018, but A-03 on 31 Dec has no end_date and is later
    periods = views.gantt(frame, Y2018, countries, "arrests").set_index("operation")
    assert periods.loc["Operation Lionfish", "end"] == pd.Timestamp("2018-03-21")
    assert periods.loc["Operation Andes", "end"] == pd.Timestamp("2019-01-01")  # the 31 Dec record is later
