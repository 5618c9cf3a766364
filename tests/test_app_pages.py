"""The dashboard run by Streamlit's AppTest on a store loaded from tests/fixtures/app_operations.csv.

Every expected figure below was added up by hand from the 21 fixture rows
(latest record 2018-12-31, so the default period is 2018-01-01..2018-12-31 and
the previous period is 2017).
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import streamlit as st
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from ocops.importer import import_path
from ocops.store import open_store

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
LABELS = ["Records", "Operations", "Countries", "Arrests", "Seizures", "Victims rescued", "Seized value (USD)"]


def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, load: bool) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = open_store(url)
    if load:
        from ocops.geo import load_countries
        from ocops.importer import Vocabulary
        from ocops.taxonomy import load_taxonomy

        report = import_path(engine, FIXTURE, Vocabulary(load_countries(), load_taxonomy()))
        assert report.imported == 21
    engine.dispose()
    monkeypatch.setenv("OCOPS_DATABASE_URL", url)
    monkeypatch.setenv("OCOPS_LOAD_SAMPLE", "false")
    st.cache_resource.clear()
    st.cache_data.clear()
    return url


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A store holding the 21 fixture rows."""
    yield _store(tmp_path, monkeypatch, load=True)
    st.cache_resource.clear()


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An upgraded store with no records."""
    yield _store(tmp_path, monkeypatch, load=False)
    st.cache_resource.clear()


def _app(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    return at


def _run(at: AppTest) -> AppTest:
    at.run(timeout=30)
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _param(at: AppTest, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def _cards(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric if m.label in LABELS}


def _array(value: Any) -> list[Any]:
    """A plotly JSON array: a plain list, or {"dtype", "bdata"} (base64 numpy bytes)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def _traces(at: AppTest, index: int = 0) -> list[dict[str, Any]]:
    """The traces of the index-th plotly chart: name, x, y."""
    spec = json.loads(at.get("plotly_chart")[index].proto.spec)
    return [{"name": t.get("name"), "x": [str(v) for v in _array(t["x"])], "y": _array(t["y"])}
            for t in spec["data"]]


def test_link_sets_filters_and_kpis_with_deltas(loaded: str) -> None:
    at = _run(_app(region="Europe", since="2018-01-01", until="2018-12-31"))
    assert _cards(at) == {
        "Records": ("7", "+3"), "Operations": ("5", "+2"), "Countries": ("4", "±0"),
        "Arrests": ("40", "+31"), "Seizures": ("116", "+111"), "Victims rescued": ("2", "+2"),
        "Seized value (USD)": ("5,165,000", "+3,305,000"),
    }
    cards = {m.label: m.proto for m in at.metric}
    # an unchanged figure is grey with no arrow; a rise is green and points up
    assert (cards["Countries"].color, cards["Countries"].direction) == (MetricProto.GRAY, MetricProto.NONE)
    assert (cards["Records"].color, cards["Records"].direction) == (MetricProto.GREEN, MetricProto.UP)
    assert at.sidebar.multiselect(key="f_region").value == ["Europe"]
    assert at.sidebar.selectbox(key="f_period").value == "custom"
    items = next(d.value for d in at.dataframe if "Seized item" in d.value.columns)
    assert items.set_index("Seized item")[["kg", "litres", "items"]].sum().to_dict() == {
        "kg": 200.0, "litres": 5000.0, "items": 3035.0}
    assert _param(at, "region") == ["Europe"]
    assert _param(at, "since") == ["2018-01-01"] and _param(at, "until") == ["2018-12-31"]


def test_default_is_last_12_months_with_data(loaded: str) -> None:
    at = _run(_app())
    assert _cards(at) == {
        "Records": ("14", "+8"), "Operations": ("5", "+2"), "Countries": ("9", "+3"),
        "Arrests": ("139", "+121"), "Seizures": ("179", "+167"), "Victims rescued": ("22", "+22"),
        "Seized value (USD)": ("17,790,000", "+15,650,000"),
    }
    captions = " ".join(c.value for c in at.caption)
    assert "1 Jan 2018 – 31 Dec 2018" in captions
    assert "last import" in captions


def test_widget_change_updates_kpis_and_url(loaded: str) -> None:
    at = _run(_app())
    at.sidebar.multiselect(key="f_region").set_value(["Africa"])
    _run(at)
    assert _cards(at) == {
        "Records": ("4", "+3"), "Operations": ("3", "+2"), "Countries": ("3", "+2"),
        "Arrests": ("39", "+33"), "Seizures": ("52", "+47"), "Victims rescued": ("0", "±0"),
        "Seized value (USD)": ("125,000", "-75,000"),
    }
    assert _param(at, "region") == ["Africa"]
    assert "since" not in at.query_params and "period" not in at.query_params


def test_all_time_has_no_deltas(loaded: str) -> None:
    at = _run(_app(period="all-time"))
    cards = _cards(at)
    assert cards["Records"] == ("21", "")
    assert cards["Operations"] == ("7", "")
    assert cards["Countries"] == ("10", "")
    assert cards["Arrests"] == ("158", "")
    assert cards["Seizures"] == ("192", "")
    assert cards["Seized value (USD)"] == ("19,930,000", "")
    assert _param(at, "period") == ["all-time"]


def test_calendar_quarter_against_the_quarter_before_or_the_same_quarter_last_year(loaded: str) -> None:
    at = _run(_app(period="2018-Q4"))
    # Q4 2018: A-01..A-03 and P-01..P-04, arrests 10 + 20 + 5 + 3 + 7 + 12 + 4 = 61;
    # Q3 2018: N-01 only (0 arrests); Q4 2017: G-03 only (2 arrests)
    cards = _cards(at)
    assert cards["Records"] == ("7", "+6") and cards["Arrests"] == ("61", "+61")
    assert cards["Countries"] == ("7", "+6")
    options = at.sidebar.selectbox(key="f_period").options
    assert {"2018", "Q4 2018", "Q3 2018", "2017", "Q4 2017", "2016", "Q4 2016"} <= set(options)
    assert "Q1 2017" in options and "Q3 2017" not in options  # only quarters that hold records (none Jul-Sep 2017)
    assert "Previous year" in options
    at.sidebar.selectbox(key="f_compare").set_value("last-year")
    _run(at)
    cards = _cards(at)
    assert cards["Records"] == ("7", "+6") and cards["Arrests"] == ("61", "+59")
    assert cards["Seizures"] == ("141", "+140")
    assert _param(at, "period") == ["2018-Q4"] and _param(at, "compare") == ["last-year"]
    assert any("same period last year: 1 Oct 2017 – 31 Dec 2017" in c.value for c in at.caption)


def test_previous_year_preset(loaded: str) -> None:
    at = _run(_app(period="previous-year"))
    # 2017: L-05, L-06, T-01..T-03, G-03 -> 6 records, arrests 4 + 2 + 6 + 3 + 1 + 2 = 18
    cards = _cards(at)
    assert cards["Records"][0] == "6" and cards["Arrests"][0] == "18"


def test_bad_link_warns_and_drops_unknown_values(loaded: str) -> None:
    at = _run(_app(region=["Atlantis", "Europe"], country=["ZZZ", "FRA"], crime_area="Knitting",
                   since="2018-01-01", until="2018-12-31"))
    warnings = " ".join(w.value for w in at.warning)
    assert "Atlantis" in warnings and "ZZZ" in warnings and "Knitting" in warnings
    # Europe + France over 2018: P-01 and L-01 -> 2 records, 11 arrests
    cards = _cards(at)
    assert cards["Records"][0] == "2" and cards["Arrests"][0] == "11"
    assert _param(at, "region") == ["Europe"] and _param(at, "country") == ["FRA"]


def test_bad_dates_in_link_fall_back_to_default(loaded: str) -> None:
    at = _run(_app(since="yesterday", period="forever"))
    warnings = " ".join(w.value for w in at.warning)
    assert "yesterday" in warnings and "forever" in warnings
    assert _cards(at)["Records"] == ("14", "+8")


def test_nothing_matches_offers_reset(loaded: str) -> None:
    at = _run(_app(crime_area="Cybercrime"))
    assert not at.metric
    assert any("No records match" in i.value for i in at.info)
    at.button(key="reset_empty").click()
    _run(at)
    assert _cards(at)["Records"] == ("14", "+8")
    assert "crime_area" not in at.query_params


def test_empty_store_points_to_upload(empty: str) -> None:
    for page in (None, "pages/timeline.py", "pages/breakdown.py", "pages/operations.py"):
        at = _app()
        if page:
            at.switch_page(page)
        _run(at)
        assert not at.metric
        assert any("no records yet" in i.value for i in at.info), page


def test_timeline_chart_data_and_click_filter(loaded: str) -> None:
    at = _app(region="Europe", since="2018-01-01", until="2018-12-31")
    at.switch_page("pages/timeline.py")
    _run(at)
    bars = _traces(at, 0)
    # Europe 2018 arrests per month, one trace per crime area, every month of 2018 in each
    # (zero where the crime area had no record, e.g. every series in January)
    got = {t["name"]: (list(t["x"]), list(t["y"])) for t in bars}
    zeros = [0] * 12

    def month(index: int, value: int) -> list[int]:
        return [value if m == index else 0 for m in range(12)]

    assert {name: y for name, (x, y) in got.items()} == {
        "Drug trafficking": month(2, 14), "Firearms trafficking": month(5, 11),
        "Illicit goods and counterfeiting": month(9, 10), "Maritime crime": zeros, "People smuggling": month(11, 5)}
    for x, _y in got.values():
        assert [d[:10] for d in x] == [f"2018-{m:02d}-01" for m in range(1, 13)]
    at.segmented_control(key="timeline_granularity").set_value("year")
    at.segmented_control(key="timeline_stack").set_value("region")
    _run(at)
    bars = _traces(at, 0)
    assert [(t["name"], list(t["y"])) for t in bars] == [("Europe", [40])]
    gantt = _traces(at, 1)
    operations = sorted(y for t in gantt for y in t["y"])
    assert operations == sorted(["Operation Lionfish", "Operation Trigger", "Operation Pangea",
                                 "Operation Andes", "Operation Neptune"])
    assert _param(at, "region") == ["Europe"]


def test_overview_monthly_line_shows_quiet_months_as_zero(loaded: str) -> None:
    at = _run(_app(region="Europe", since="2018-01-01", until="2018-12-31"))
    (line,) = _traces(at, 0)
    # Europe 2018 arrests: March 8 + 6, June 11, October 3 + 7, December 5; the other months 0
    assert [d[:10] for d in line["x"]] == [f"2018-{m:02d}-01" for m in range(1, 13)]
    assert line["y"] == [0, 0, 14, 0, 0, 11, 0, 0, 0, 10, 0, 5]


def test_breakdown_crosstab_uses_distinct_totals(loaded: str) -> None:
    at = _app()
    at.switch_page("pages/breakdown.py")
    _run(at)
    at.selectbox(key="breakdown_measure").set_value("operations")
    _run(at)
    table = at.dataframe[0].value
    # 2018: operations per region; the Total row/column count each operation once
    assert table.loc["Africa", "Total"] == 3
    assert table.loc["Americas", "Total"] == 2
    assert table.loc["Europe", "Total"] == 5
    assert table.loc["Total", "Drug trafficking"] == 1
    assert table.loc["Total", "Total"] == 5
    comparison = at.dataframe[2].value.set_index("Measure")
    assert comparison.loc["Arrests", "Current period"] == 139
    assert comparison.loc["Arrests", "Previous period"] == 18
    assert comparison.loc["Records", "Change (%)"] == pytest.approx(133.3)


def test_operations_table_and_drill_down(loaded: str) -> None:
    at = _app(period="all-time")
    at.switch_page("pages/operations.py")
    _run(at)
    table = at.dataframe[0].value.set_index("Operation")
    assert len(table) == 7
    lionfish = table.loc["Operation Lionfish"]
    assert lionfish["Arrests"] == 59  # 8 + 6 + 30 + 9 + 4 + 2
    assert str(lionfish["First date"]) == "2017-03-06" and str(lionfish["Last date"]) == "2018-03-05"
    assert lionfish["Countries"] == "Colombia, France, Ghana, Spain"
    assert lionfish["Lead agencies"] == ("Guardia Civil, Narcotics Control Commission, OFAST, Policia Nacional, "
                                         "Policia Nacional de Colombia")
    at.selectbox(key="operations_drilldown").set_value("Operation Lionfish")
    _run(at)
    per_country = at.dataframe[1].value.set_index("Country")
    assert per_country["Arrests"].to_dict() == {"Colombia": 30, "France": 12, "Ghana": 9, "Spain": 8}
    sources = at.dataframe[2].value
    assert list(sources["File"]) == ["app_operations.csv"] and list(sources["Records"]) == [6]
    assert len(at.main.get("download_button")) == 2  # records CSV and Excel; the briefing is in the sidebar


def test_every_page_keeps_the_link(loaded: str) -> None:
    at = _run(_app(region="Europe", crime_area="Drug trafficking", since="2018-01-01", until="2018-12-31"))
    for page in ("pages/timeline.py", "pages/breakdown.py", "pages/operations.py", "pages/overview.py"):
        at.switch_page(page)
        _run(at)
        assert _param(at, "crime_area") == ["Drug trafficking"], page
        assert at.sidebar.multiselect(key="f_crime_area").value == ["Drug trafficking"]


def test_downloads_build_the_filtered_records_on_demand(loaded: str) -> None:
    import io

    import openpyxl

    from ocops.config import load_settings
    from ocops.geo import load_countries
    from ocops.importer import Vocabulary
    from ocops.queries import Filter, load_frame
    from ocops.taxonomy import load_taxonomy
    from ocops.ui.data import Context
    from ocops.ui.downloads import _csv, _xlsx

    engine = open_store(loaded)
    flt = Filter(operations=("Operation Trigger",))
    context = Context(load_settings(), engine, Vocabulary(load_countries(), load_taxonomy()), 1,
                      load_frame(engine), {}, flt, "all-time")
    lines = _csv(context)().splitlines()
    assert len(lines) == 4  # header + G-01, G-02, G-03
    assert lines[0].startswith("record_id,operation,date")
    assert any("'=Nigeria Police Force" in line for line in lines)  # formula cell neutralised
    book = openpyxl.load_workbook(io.BytesIO(_xlsx(context)()))
    rows = list(book["Records"].iter_rows(values_only=True))
    header = rows[0]
    arrests = sorted(row[header.index("Arrests")] for row in rows[1:])
    assert arrests == [2, 11, 14]  # numbers stay numbers
    assert sorted(row[header.index("Date")].date() for row in rows[1:]) == [  # dates stay dates
        dt.date(2017, 11, 20), dt.date(2018, 6, 18), dt.date(2018, 6, 18)]
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Filter"] == "Operation Trigger · all time"
    assert (about["Scope"], about["Data version"], about["Records"]) == ("all regions and countries", 1, 3)
    engine.dispose()


def test_every_page_offers_the_briefing_built_from_the_shared_filter(loaded: str) -> None:
    from ocops.config import load_settings
    from ocops.geo import load_countries
    from ocops.importer import Vocabulary
    from ocops.queries import Filter, load_frame
    from ocops.taxonomy import load_taxonomy
    from ocops.ui.data import Context
    from ocops.ui.downloads import _briefing

    at = _run(_app(region="Europe", since="2018-01-01", until="2018-12-31"))
    for page in ("pages/timeline.py", "pages/operations.py", "pages/overview.py"):
        at.switch_page(page)
        _run(at)
        buttons = at.sidebar.get("download_button")
        labels = [b.proto.label for b in buttons]
        assert labels == ["Briefing (PDF)", "Briefing (HTML)"], page
        assert buttons[0].proto.deferred_file_id  # built only when clicked
    engine = open_store(loaded)
    flt = Filter(regions=("Europe",), since=dt.date(2018, 1, 1), until=dt.date(2018, 12, 31))
    context = Context(load_settings(), engine, Vocabulary(load_countries(), load_taxonomy()), 1,
                      load_frame(engine), {}, flt, "custom")
    html = _briefing(context, "html")().decode("utf-8")
    assert "Europe · 1 Jan 2018 – 31 Dec 2018" in html and "5,165,000" in html and "+31 against" in html
    engine.dispose()


def test_first_start_loads_the_sample_and_says_so(empty: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCOPS_LOAD_SAMPLE", "true")
    at = _run(_app(period="all-time"))
    assert any("illustrative sample data" in i.value for i in at.info)
    assert int(_cards(at)["Records"][0].replace(",", "")) > 0


def test_an_import_by_another_process_shows_on_the_next_rerun(loaded: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The data version in the store is checked on every rerun; the frame is reloaded once per change."""
    import subprocess
    import sys

    from ocops import snapshot

    loads: list[int] = []
    real = snapshot.cached_frame
    monkeypatch.setattr(snapshot, "cached_frame", lambda *a, **k: loads.append(1) or real(*a, **k))
    at = _run(_app(region="Europe", since="2018-01-01", until="2018-12-31"))
    assert _cards(at)["Arrests"] == ("40", "+31") and len(loads) == 1
    extra = tmp_path / "extra.csv"
    extra.write_text("operation,date,country,crime_area,arrests,seizures\n"
                     "Operation Late,2018-06-01,Italy,Cybercrime,9,2\n"
                     "Operation Late,2018-06-02,Portugal,Cybercrime,4,0\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "ocops", "--db", loaded, "import", str(extra)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    _run(at)  # the next rerun, as after any click
    cards = _cards(at)
    assert cards["Records"] == ("9", "+5") and cards["Arrests"] == ("53", "+44")  # 7+2 records, 40+9+4 arrests
    assert cards["Seizures"] == ("118", "+113") and cards["Operations"] == ("6", "+3")
    _run(at)
    assert len(loads) == 2  # one reload for the one change, none for the rerun after it


def test_without_chromium_the_sidebar_says_what_to_install(loaded: str, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    missing = tmp_path / "no-chromium"
    monkeypatch.setenv("OCOPS_CHROMIUM", str(missing))
    at = _run(_app(period="all-time"))
    assert [w.value for w in at.sidebar.warning] == [
        f"The briefing needs Chromium, which is not at {missing} (apt-get install chromium, or set "
        "OCOPS_CHROMIUM to its path)."]
    assert at.sidebar.get("download_button") == []
