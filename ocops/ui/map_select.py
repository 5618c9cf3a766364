"""A click on a map country sets the shared country filter (``ocops.ui.filters.COUNTRY``)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ocops.maps import clicked_iso3, toggle_country
from ocops.ui.filters import COUNTRY

CLICKS = "_ocops_map_clicks"  # bumped per click: part of the chart key, so Streamlit's own
# selection (which greys out every other country) is dropped and the next click starts fresh.
CLICKED = "_ocops_map_clicked"  # countries the map put into the filter: the view is not refitted to them


def country_click_handler(chart_key: str) -> Callable[[], None]:
    """The ``on_select`` callback of the map chart with key ``chart_key``: the clicked country
    is added to the country filter, or removed if it was already in it."""

    def on_select() -> None:
        event = st.session_state.get(chart_key)
        iso3 = clicked_iso3(getattr(event, "selection", None) if event is not None else None)
        if iso3:
            st.session_state[COUNTRY] = list(toggle_country(st.session_state.get(COUNTRY) or [], iso3))
            others = [c for c in st.session_state.get(CLICKED) or [] if c != iso3]
            st.session_state[CLICKED] = [*others, iso3] if iso3 in st.session_state[COUNTRY] else others
        st.session_state[CLICKS] = st.session_state.get(CLICKS, 0) + 1

    return on_select


def clicked_countries() -> tuple[str, ...]:
    """The countries in the filter that got there by a click on the map."""
    chosen = set(st.session_state.get(COUNTRY) or [])
    return tuple(c for c in st.session_state.get(CLICKED) or [] if c in chosen)
