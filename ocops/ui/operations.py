"""Cached inputs of the operations page that need the store (lead agencies, batches)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from ocops import views
from ocops.importer import list_batches
from ocops.queries import Filter
from ocops.ui.data import Context


@st.cache_data(max_entries=32, show_spinner=False)
def _lead_agencies(store_key: str, version: int, flt: Filter, _engine: Engine, _context: Context) -> pd.DataFrame:
    return views.lead_agency_rows(_engine, flt, _context.countries)


def operations_with_agencies(context: Context) -> pd.DataFrame:
    """``views.operations_table`` with the lead agencies read through the query layer."""
    agencies = _lead_agencies(context.store_key, context.version, context.flt, context.engine, context)
    return views.operations_table(context.frame, context.flt, context.countries, agencies)


@st.cache_data(max_entries=32, show_spinner=False)
def _end_dates(store_key: str, version: int, flt: Filter, _engine: Engine, _context: Context) -> dict[str, Any]:
    return views.operation_end_dates(_engine, flt, _context.countries)


def operation_periods(context: Context, measure: str, top: int = 50) -> pd.DataFrame:
    """``views.gantt`` with each operation's period running to its latest end_date."""
    ends = _end_dates(context.store_key, context.version, context.flt, context.engine, context)
    return views.gantt(context.frame, context.flt, context.countries, measure, top, ends)


@st.cache_data(max_entries=4, show_spinner=False)
def _batches(store_key: str, version: int, _engine: Engine) -> list[dict[str, Any]]:
    return list_batches(_engine)


def batches(context: Context) -> list[dict[str, Any]]:
    """Every batch (id, filename, created_at, ...), cached per data version."""
    return _batches(context.store_key, context.version, context.engine)
