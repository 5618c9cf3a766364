"""Plotly figures (ocops.charts) carry exactly the figures of the views they draw."""

from __future__ import annotations

import pandas as pd

from ocops import charts


def _series() -> pd.DataFrame:
    return pd.DataFrame({
        "period": pd.to_datetime(["2018-03-01", "2018-03-01", "2018-06-01"]),
        "stack": ["Drug trafficking", "Firearms trafficking", "Firearms trafficking"],
        "value": [14, 3, 11],
    })


def test_stacked_bars_one_trace_per_stack_with_click_names() -> None:
    figure = charts.stacked_bars(_series(), "arrests")
    assert figure.layout.barmode == "stack"
    traces = {t.name: (list(t.y), list(t.customdata)) for t in figure.data}
    assert traces == {"Drug trafficking": ([14], ["Drug trafficking"]),
                      "Firearms trafficking": ([3, 11], ["Firearms trafficking"] * 2)}
    assert figure.layout.title.text == "Arrests"


def test_gantt_spans_and_order() -> None:
    periods = pd.DataFrame({
        "operation": ["Operation Pangea", "Operation Lionfish"],
        "start": pd.to_datetime(["2018-10-09", "2017-03-06"]),
        "end": pd.to_datetime(["2018-10-10", "2018-03-06"]),
        "crime_area": ["Illicit goods and counterfeiting", "Drug trafficking"],
        "value": [140, 22],
    })
    figure = charts.gantt(periods, "seizures")
    spans = {t.y[0]: t.x[0] for t in figure.data}
    assert spans == {"Operation Pangea": 86_400_000, "Operation Lionfish": 365 * 86_400_000}
    # largest first means top of the chart: the category array is reversed
    assert list(figure.layout.yaxis.categoryarray) == ["Operation Lionfish", "Operation Pangea"]
    assert "top 2 by seizures" in figure.layout.title.text


def test_heatmap_leaves_totals_out_of_the_colours() -> None:
    table = pd.DataFrame({"Drug trafficking": [1, 2, 3], "Total": [1, 2, 3]},
                         index=pd.Index(["Africa", "Europe", "Total"]))
    figure = charts.heatmap(table, "operations")
    heat = figure.data[0]
    assert list(heat.x) == ["Drug trafficking"] and list(heat.y) == ["Africa", "Europe"]
    assert heat.z.tolist() == [[1], [2]]


def test_horizontal_bars_largest_on_top() -> None:
    table = pd.DataFrame({"key": ["Africa", "Europe", "Americas"], "arrests": [39, 40, 60]})
    figure = charts.horizontal_bars(table, "arrests", "Arrests by region")
    assert list(figure.data[0].y) == ["Africa", "Europe", "Americas"]
    assert list(figure.data[0].x) == [39, 40, 60]


def test_item_bars_one_trace_per_region_items_in_order() -> None:
    table = pd.DataFrame({"item": ["Cannabis herb", "Cocaine", "Cocaine"], "across": ["Africa", "Americas", "Europe"],
                          "value": [200.0, 500.0, 250.0]})
    figure = charts.item_bars(table, "seized_kg", "Region")
    assert {t.name: (list(t.y), list(t.x)) for t in figure.data} == {
        "Africa": (["Cannabis herb"], [200.0]), "Americas": (["Cocaine"], [500.0]), "Europe": (["Cocaine"], [250.0])}
    assert figure.layout.barmode == "stack"
    assert list(figure.layout.yaxis.categoryarray) == ["Cocaine", "Cannabis herb"]
    assert figure.layout.title.text == "Seized (kg) by seized item and region"
