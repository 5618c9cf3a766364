"""Plotly figures (ocops.charts) carry exactly the figures of the views they draw."""

from __future__ import annotations

import math

import pandas as pd
import pytest

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
    assert [list(row) for row in heat.text] == [["1"], ["2"]]
    assert figure.layout.yaxis.autorange == "reversed"  # Africa on top, as in the table


def test_heatmap_colours_survive_one_large_cell() -> None:
    table = pd.DataFrame({"A": [1.0, 9.0, 999.0]}, index=pd.Index(["Africa", "Europe", "Middle East"]))
    heat = charts.heatmap(table, "arrests").data[0]
    # log10(1 + v): 9 sits at a third of the scale instead of under 1% of it
    assert [row[0] for row in heat.z.tolist()] == pytest.approx([math.log10(2), 1.0, 3.0])
    assert list(heat.colorbar.ticktext) == ["1", "10", "100"]
    assert [list(row) for row in heat.text] == [["1"], ["9"], ["999"]]


def test_a_single_bar_does_not_fill_the_panel() -> None:
    one = pd.DataFrame({"period": pd.to_datetime(["2018-01-01"]), "stack": ["Europe"], "value": [40]})
    figure = charts.stacked_bars(one, "arrests", granularity="year")
    start, end = (pd.Timestamp(x) for x in figure.layout.xaxis.range)
    year_ms = 365.2 * 86_400_000
    assert figure.data[0].width == pytest.approx(0.8 * year_ms)
    assert (end - start).total_seconds() * 1000 == pytest.approx(6 * year_ms)  # the bar takes 0.8 / 6 of the width
    bars = charts.horizontal_bars(pd.DataFrame({"key": ["Europe"], "arrests": [40]}), "arrests", "Arrests by region")
    assert bars.layout.height == 140


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
