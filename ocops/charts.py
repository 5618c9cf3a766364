"""Plotly figures of the dashboard, built from ``ocops.views`` tables (no Streamlit, no CDN)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ocops.markup import chart_text
from ocops.views import MEASURE_LABELS, TOTAL

PALETTE = ("#1f4e79", "#e07b39", "#3a9e6f", "#c0392b", "#8e6bbf", "#7f8c8d", "#d4a017", "#2c9fb0",
           "#b5651d", "#5d6d7e", "#a93226", "#117a65", "#6c3483", "#b9770e", "#1a5276", "#873600")
LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2), height=380,
              separators=".,")


def _color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


PERIOD_DAYS = {"week": 7, "month": 30.4, "quarter": 91.3, "year": 365.2}
MIN_SLOTS = 6  # a chart with fewer periods is drawn as wide as this many, so one bar stays a bar


def stacked_bars(series: pd.DataFrame, measure: str, title: str = "", granularity: str = "month") -> go.Figure:
    """Stacked bars of ``views.time_series``: one trace per stack (crime area or region).

    Each bar's ``customdata`` is its stack name, so a click names the crime area or region.
    Bars are 80% of a ``granularity`` period wide, and a series of fewer than ``MIN_SLOTS``
    periods is centred in that many, so a single bar does not fill the panel."""
    figure = go.Figure()
    period_ms = PERIOD_DAYS.get(granularity, 30.4) * 86_400_000
    for index, (stack, part) in enumerate(series.groupby("stack", sort=True)):
        figure.add_bar(x=part["period"], y=part["value"], name=chart_text(stack), marker_color=_color(index),
                       customdata=[str(stack)] * len(part), width=0.8 * period_ms,
                       hovertemplate="%{x|%d %b %Y}<br>" + chart_text(stack) + ": %{y:,}<extra></extra>")
    xaxis: dict[str, Any] = {"type": "date"}
    periods = sorted(set(pd.to_datetime(series["period"]))) if len(series) else []
    if 0 < len(periods) < MIN_SLOTS:
        spare = pd.Timedelta(milliseconds=(MIN_SLOTS - len(periods) + 1) * period_ms / 2)
        xaxis["range"] = [periods[0] - spare, periods[-1] + spare]
    figure.update_layout(barmode="stack", title=title or MEASURE_LABELS.get(measure, measure), xaxis=xaxis,
                         yaxis=dict(tickformat=",", title=MEASURE_LABELS.get(measure, measure)), **LAYOUT)
    return figure


def monthly_line(series: pd.DataFrame, measure: str) -> go.Figure:
    """One line of ``measure`` per month (``views.time_series`` with stack None)."""
    figure = go.Figure(go.Scatter(x=series["period"], y=series["value"], mode="lines+markers",
                                  line=dict(color=PALETTE[0]), name=MEASURE_LABELS.get(measure, measure),
                                  hovertemplate="%{x|%b %Y}: %{y:,}<extra></extra>"))
    figure.update_layout(title=f"{MEASURE_LABELS.get(measure, measure)} per month",
                         yaxis=dict(tickformat=","), **LAYOUT)
    return figure


def horizontal_bars(table: pd.DataFrame, measure: str, title: str) -> go.Figure:
    """Bars of ``measure`` per ``key`` (e.g. ``views.totals_by``), largest on top."""
    ordered = table.sort_values(measure, ascending=True, kind="stable")
    figure = go.Figure(go.Bar(x=ordered[measure], y=[chart_text(k) for k in ordered["key"]], orientation="h",
                              marker_color=PALETTE[0],
                              hovertemplate="%{y}: %{x:,}<extra></extra>"))
    layout = {**LAYOUT, "height": 110 + 30 * len(ordered)}  # about 24 px per bar, however few
    figure.update_layout(title=title, xaxis=dict(tickformat=","), **layout)
    return figure


def gantt(periods: pd.DataFrame, measure: str) -> go.Figure:
    """Operation periods (``views.gantt``) as horizontal bars from start to end, coloured by crime area."""
    figure = go.Figure()
    order = [chart_text(o) for o in periods["operation"]]
    for index, (area, part) in enumerate(periods.groupby("crime_area", sort=True)):
        spans = (part["end"] - part["start"]).dt.total_seconds() * 1000
        figure.add_bar(base=part["start"], x=spans, y=[chart_text(o) for o in part["operation"]], orientation="h",
                       name=chart_text(area),
                       marker_color=_color(index), customdata=part["value"],
                       hovertemplate="%{y}<br>%{base|%d %b %Y}<br>" + MEASURE_LABELS.get(measure, measure)
                       + ": %{customdata:,}<extra></extra>")
    layout = {**LAYOUT, "height": 180 + 26 * len(order)}  # room for every label and the legend
    label = MEASURE_LABELS.get(measure, measure).lower()
    figure.update_layout(title=f"Operation periods (top {len(order)} by {label})",
                         xaxis=dict(type="date"), yaxis=dict(categoryorder="array", categoryarray=order[::-1],
                                    tickmode="array", tickvals=order),
                         barmode="overlay", **layout)
    return figure


def heatmap(table: pd.DataFrame, measure: str) -> go.Figure:
    """Region x crime area (``views.crosstab``) as a heatmap, regions top to bottom in the
    table's order. The Total row and column are left out of the colours (they would dwarf the
    cells) and shown in the table instead; colours follow log10(1 + value), so one large cell
    does not wash out the others (the text and hover show the values themselves)."""
    cells = table.drop(index=TOTAL, columns=TOTAL, errors="ignore")
    values = cells.to_numpy(dtype=float)
    top = float(np.nanmax(values)) if values.size else 0.0
    ticks = [10.0 ** k for k in range(int(math.log10(top)) + 1 if top >= 1 else 0)]
    text = [[f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}" for v in row] for row in values]
    figure = go.Figure(go.Heatmap(z=np.log10(1 + values), x=[chart_text(c) for c in cells.columns],
                                  y=[chart_text(r) for r in cells.index],
                                  text=text, colorscale="Blues", texttemplate="%{text}",
                                  hoverongaps=False, hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
                                  colorbar=dict(tickvals=[math.log10(1 + t) for t in ticks],
                                                ticktext=[f"{t:,.0f}" for t in ticks])))
    layout = {**LAYOUT, "height": max(300, 80 + 45 * len(cells.index))}
    figure.update_layout(title=f"{MEASURE_LABELS.get(measure, measure)} by region and crime area",
                         xaxis=dict(tickangle=-30), yaxis=dict(autorange="reversed"), **layout)
    return figure


def item_bars(table: pd.DataFrame, measure: str, across: str) -> go.Figure:
    """``views.items_across`` as horizontal bars per seized item, stacked by region or year."""
    figure = go.Figure()
    for index, (label, part) in enumerate(table.groupby("across", sort=True)):
        figure.add_bar(x=part["value"], y=[chart_text(i) for i in part["item"]], orientation="h",
                       name=chart_text(label), marker_color=_color(index),
                       hovertemplate="%{y} · " + chart_text(label) + ": %{x:,}<extra></extra>")
    items = sorted({chart_text(i) for i in table["item"]}, reverse=True)
    layout = {**LAYOUT, "height": max(260, 120 + 30 * len(items))}
    title = f"{MEASURE_LABELS.get(measure, measure)} by seized item and {across.lower()}"
    figure.update_layout(barmode="stack", title=title,
                         xaxis=dict(tickformat=","), yaxis=dict(categoryorder="array", categoryarray=items), **layout)
    return figure
