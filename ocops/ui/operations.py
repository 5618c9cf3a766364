"""Cached inputs of the operations page."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from ocops.importer import list_batches
from ocops.ui.data import Context, view


def operations_with_agencies(context: Context) -> pd.DataFrame:
    """One row per operation (``views.operations_table``), cached per data version and filter."""
    return view(context, "operations_table")


@st.cache_data(max_entries=4, show_spinner=False)
def _batches(store_key: str, version: int, _engine: Engine) -> list[dict[str, Any]]:
    return list_batches(_engine)


def batches(context: Context) -> list[dict[str, Any]]:
    """Every batch (id, filename, created_at, ...), cached per data version."""
    return _batches(context.store_key, context.version, context.engine)
