"""Timeline: a measure over time, stacked by crime area or region, and operation periods."""

import streamlit as st

from ocops import views
from ocops.ui import components
from ocops.ui.data import figure, page_context
from ocops.ui.interaction import filter_on_click

context = page_context()
st.title("Timeline")
components.caption(context)
components.require_data(context)

left, middle, right = st.columns([2, 3, 2])
measure = left.selectbox("Measure", views.TIMELINE_MEASURES, format_func=views.MEASURE_LABELS.get,
                         key="timeline_measure")
granularity = middle.segmented_control("Granularity", list(views.GRANULARITIES), default="month",
                                       format_func=str.capitalize, key="timeline_granularity") or "month"
stack_by = right.segmented_control("Stack by", list(views.STACKS), default="crime_area",
                                   format_func=views.STACKS.get, key="timeline_stack") or "crime_area"

title = f"{views.MEASURE_LABELS[measure]} per {granularity}"
st.plotly_chart(figure(context, "stacked_bars", "time_series", (measure, granularity, stack_by), measure, title,
                       granularity),
                key="timeline_bars", on_select=lambda: filter_on_click("timeline_bars", stack_by),
                selection_mode="points")
st.caption(f"Click a bar to filter on its {views.STACKS[stack_by].lower()}.")

st.plotly_chart(figure(context, "gantt", "gantt", (measure, 50), measure), key="timeline_gantt")
