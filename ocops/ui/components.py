"""Reusable blocks of the pages: metric cards, empty states, captions and tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
import streamlit as st

from ocops import links, views
from ocops.markup import plain
from ocops.ui.data import Context
from ocops.ui.filters import reset_filters
from ocops.ui.navigation import page_exists

COUNTRY_COLUMNS = {"name": "Country", "arrests": "Arrests", "seizures": "Seizures",
                   "victims_rescued": "Victims rescued", "records": "Records", "operations": "Operations",
                   "seized_value_usd": "Seized value (USD)", "region": "Region"}


def require_data(context: Context, keep_going: bool = False) -> None:
    """Stop the page with a helpful message when the store is empty or nothing matches the
    filter (with ``keep_going`` the page goes on after the message: the map stays clickable)."""
    if context.frame.empty:
        st.info("The store holds no records yet. Upload a CSV or Excel file of operation results to start.",
                icon=":material/inbox:")
        if page_exists("pages/upload.py"):
            st.page_link("pages/upload.py", label="Go to Upload", icon=":material/upload_file:")
        else:
            st.caption("Or import from the command line: `python -m ocops import FILE`.")
        st.stop()
    if context.selected().empty:
        st.info(f"No records match these filters ({plain(filter_line(context))}).", icon=":material/filter_alt_off:")
        st.button("Reset filters", key="reset_empty", on_click=reset_filters, icon=":material/restart_alt:")
        if not keep_going:
            st.stop()


def filter_line(context: Context) -> str:
    """The active filters in words."""
    names = {c: context.countries.get(c).name for c in context.flt.countries}
    return links.describe_filter(context.flt, context.period, names)


def caption(context: Context) -> None:
    """One line: the active filters and the time of the last import; plus the sample notice."""
    last = context.status.get("last_import") or "never"
    st.caption(plain(f"{filter_line(context)} · last import {last}"))
    if context.status.get("sample_loaded"):
        st.info("Showing illustrative sample data, not real operation results. Remove the `sample` batch "
                "once you upload your own files.", icon=":material/science:")


def delta_note(context: Context) -> str:
    """What the changes compare with, in words (or why there are none)."""
    before = links.comparison_filter(context.flt, context.compare)
    if before is None:
        return "All time has no earlier period to compare with: pick a period in the sidebar to see changes."
    return (f"Changes compare with {links.COMPARISONS[context.compare].lower()}: "
            f"{links.format_day(before.since)} – {links.format_day(before.until)}.")  # type: ignore[arg-type]


def kpi_cards(kpis: Sequence[views.Kpi], compare: str = links.DEFAULT_COMPARISON) -> None:
    """The metric cards (as many to a row as fit), thousands separators, delta against the period
    ``compare`` names; an unchanged figure ("±0") gets no arrow and no colour."""
    row = st.container(horizontal=True, gap="small")  # cards wrap to the next line rather than cut figures
    for kpi in kpis:
        unchanged = kpi.delta == 0
        row.metric(kpi.label, views.format_number(kpi.value, kpi.measure),
                      views.format_delta(kpi.delta, kpi.measure), border=True,
                      delta_color="off" if unchanged else "normal", delta_arrow="off" if unchanged else "auto",
                      help=None if kpi.delta is None else f"Change against the {links.COMPARISONS[compare].lower()}",
                      width=KPI_WIDTH)


ITEM_COLUMNS = {"key": "Seized item", "records": "Records", "seized_kg": "kg", "seized_l": "litres",
                "seized_items": "items", "seized_value_usd": "Value (USD)"}
RECORD_COLUMNS = {"date": "Date", "country": "Country", "city": "City", "arrests": "Arrests", "seizures": "Seizures",
                  "victims_rescued": "Victims rescued", "items": "Seized items"}


def items_table(table: pd.DataFrame) -> None:
    """Seized quantities per item (``views.items_table``), or a line saying there are none."""
    if table.empty:
        st.caption("No seized quantities recorded for these filters.")
        return
    shown = table.rename(columns=ITEM_COLUMNS)
    st.dataframe(shown, hide_index=True, placeholder="–", column_config=table_columns(shown))


KPI_WIDTH = 236  # px: "17,790,000" in the card's type, with its border and padding
LONG_TEXT_HELP = "Long lists are cut at the column edge: double-click a cell (or widen the column) to read it in full."


def number_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """Column configs that show the numeric columns of ``frame`` with thousands separators."""
    return {str(name): st.column_config.NumberColumn(str(name), format="localized")
            for name in frame.columns if pd.api.types.is_numeric_dtype(frame[name])}


def fit_width(column: pd.Series, limit: int = 420) -> int:
    """Pixels for a column that shows its header and longest value in full (14 px Source Sans
    is under 7.5 px a character on average, plus the cell padding), at most ``limit``. Set
    explicitly, because the grid measures its columns once and keeps the widths when the rows
    change (a drill-down showed "United Kin", a larger figure lost its first digits)."""
    if pd.api.types.is_numeric_dtype(column):
        texts = [f"{v:,.0f}" for v in column.dropna()]
    else:
        texts = [str(v) for v in column]
    longest = max([len(str(column.name)) + 2, *(len(t) for t in texts)])
    return min(limit, max(60, round(7.5 * longest) + 24))


def table_columns(frame: pd.DataFrame, long_text: Sequence[str] = ()) -> dict[str, Any]:
    """Column configs: every column as wide as its content (the first one, the name, pinned),
    numbers with separators, the ``long_text`` columns at a medium width (cut, read in full
    on double-click) so they cannot push the figures off-screen."""
    config: dict[str, Any] = dict(number_columns(frame))
    for index, name in enumerate(str(c) for c in frame.columns):
        if name in long_text:
            config[name] = st.column_config.TextColumn(name, width="medium", help=LONG_TEXT_HELP)
            continue
        config[name] = config.get(name) or st.column_config.Column(name)
        config[name]["width"] = fit_width(frame[name], 420 if index == 0 else 240)
        config[name]["pinned"] = index == 0 or None
    return config


def table(frame: pd.DataFrame, labels: dict[str, str], height: int | Literal["auto"] = "auto",
          long_text: Sequence[str] = ()) -> None:
    """A read-only table with friendly column names in the order of ``labels``, the first one
    pinned, separators, "–" for missing values; ``long_text`` are keys of ``labels``."""
    shown = frame[[c for c in labels if c in frame.columns]].rename(columns=labels)
    st.dataframe(shown, hide_index=True, height=height, placeholder="–",
                 column_config=table_columns(shown, [labels[c] for c in long_text if c in labels]))
