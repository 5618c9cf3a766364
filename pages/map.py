"""Map: the chosen measure per country, record points, operation links; a click filters by country."""

import streamlit as st

from ocops import maps
from ocops.gazetteer import load_gazetteer
from ocops.ui import components
from ocops.ui.data import map_view, page_context, view
from ocops.ui.map_select import CLICKS, clicked_countries, country_click_handler

STYLES = {"points": "Points", "hexagons": "Hexagons", "heat": "Heat map", None: "No points"}


context = page_context()
st.title("Map")
components.caption(context)
components.require_data(context, keep_going=True)  # a country without records can be clicked off again

measure_col, style_col, links_col, operation_col, top_col = st.columns([2, 2, 1.5, 2.5, 2])
measure = measure_col.selectbox("Measure", list(maps.MAP_MEASURES), format_func=maps.MAP_MEASURES.get,
                                key="map_measure")
style = style_col.selectbox("Records", list(STYLES), format_func=STYLES.get, key="map_points")
show_links = links_col.toggle("Links", key="map_links")
operation = operation_col.selectbox(
    "Links of", [None, *map_view(context, "operations_in")],
    format_func=lambda o: "All operations in the filter" if o is None else o, key="map_operation",
    disabled=not show_links)
top_links = top_col.select_slider("Strongest links", [10, 25, 50, 100, 250], value=maps.MAX_LINKS, key="map_top_links",
                                  disabled=not show_links,
                                  help="Draw only this many country pairs, the strongest first")

options = maps.MapOptions(measure=measure, point_style=style, links=show_links, operation=operation,
                          selected=context.flt.countries, max_links=top_links, clicked=clicked_countries())
raw = view(context, "map_points") if style else None
world = map_view(context, "world_map", options, extra=(raw, load_gazetteer() if style else None))

st.markdown(maps.legend_html(world.legend, measure), unsafe_allow_html=True)
if world.placement is not None and style == "points":
    st.markdown(maps.size_legend_html(world.placement.frame, measure), unsafe_allow_html=True)
chart_key = f"map_{st.session_state.get(CLICKS, 0)}"
st.pydeck_chart(world.deck, on_select=country_click_handler(chart_key), selection_mode="single-object",
                key=chart_key, height=560, alt=f"World map of {maps.MAP_MEASURES[measure].lower()} by country")
notes = ["Click a country to add it to the country filter (click again to remove it); "
         "selected countries have a dark outline."]
if world.placement is not None:
    notes.append(maps.placement_line(world.placement))
if show_links:
    notes.append(f"The {world.links} strongest of {world.link_pairs} country pairs linked by shared operations; "
                 f"arc width = {maps.MAP_MEASURES[measure].lower()} of both countries in those operations.")
st.caption(" ".join(notes))
