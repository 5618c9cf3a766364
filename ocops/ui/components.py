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

COUNTRY_COLUMNS = {"name": "Country", "region": "Region", "records": "Records", "operations": "Operations",
                   "arrests": "Arrests", "seizures": "Seizures", "victims_rescued": "Victims rescued",
                   "seized_value_usd": "Seized value (USD)"}


def require_data(context: Context) -> None:
    """Stop the page with a helpful message when the store is empty or nothing matches the filter."""
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


def kpi_cards(kpis: Sequence[views.Kpi]) -> None:
    """The metric cards (rows of four), thousands separators, delta against the previous period."""
    columns = [column for start in range(0, len(kpis), 4) for column in st.columns(4)]
    for column, kpi in zip(columns, kpis, strict=False):
        column.metric(kpi.label, views.format_number(kpi.value, kpi.measure),
                      views.format_delta(kpi.delta, kpi.measure), border=True,
                      help=None if kpi.delta is None else "Change against the preceding period of equal length")


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
    st.dataframe(shown, hide_index=True, column_config=number_columns(shown))


def number_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """Column configs that show the numeric columns of ``frame`` with thousands separators."""
    return {str(name): st.column_config.NumberColumn(str(name), format="localized")
            for name in frame.columns if pd.api.types.is_numeric_dtype(frame[name])}


def table(frame: pd.DataFrame, labels: dict[str, str], height: int | Literal["auto"] = "auto") -> None:
    """A read-only table with friendly column names and separators."""
    shown = frame[[c for c in labels if c in frame.columns]].rename(columns=labels)
    st.dataframe(shown, hide_index=True, column_config=number_columns(shown), height=height)
