"""Chart clicks that change the shared filters."""

from __future__ import annotations

import streamlit as st

from ocops.ui.filters import AREA, REGION


def _clicked_stacks(chart_key: str) -> list[str]:
    event = st.session_state.get(chart_key)
    points = (getattr(event, "selection", None) or {}).get("points", []) if event is not None else []
    names = []
    for point in points:
        value = point.get("customdata")
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            names.append(str(value))
    return list(dict.fromkeys(names))


def filter_on_click(chart_key: str, stack_by: str) -> None:
    """Callback of a stacked bar chart: narrow the crime-area (or region) filter to the clicked bars."""
    names = _clicked_stacks(chart_key)
    if names:
        st.session_state[AREA if stack_by == "crime_area" else REGION] = names
