"""Breakdown: region x crime area, shares, and the change against the previous period."""

import streamlit as st

from ocops import charts, views
from ocops.ui import components
from ocops.ui.data import page_context, view

context = page_context()
st.title("Breakdown")
components.caption(context)
components.require_data(context)

left, right = st.columns(2)
measure = left.selectbox("Measure", list(views.MEASURE_LABELS), format_func=views.MEASURE_LABELS.get,
                         key="breakdown_measure", index=3)
by = right.segmented_control("Shares by", ["region", "crime_area", "country", "operation"], default="region",
                             format_func=lambda k: k.replace("_", " ").capitalize(), key="breakdown_by") or "region"

table = view(context, "crosstab", measure)
st.plotly_chart(charts.heatmap(table, measure), key="breakdown_heatmap")
st.subheader("Region x crime area with totals")
st.caption("Totals of operations and countries count each one once, even if it spans several cells.")
st.dataframe(table, column_config=components.number_columns(table), placeholder="–")

st.subheader(f"{views.MEASURE_LABELS[measure]} by {by.replace('_', ' ')}: shares and change")
st.caption(components.delta_note(context))
components.table(view(context, "share_table", by, measure, context.compare), {
    "key": by.replace("_", " ").capitalize(), "current": "Current period", "share_pct": "Share (%)",
    "previous": "Previous period", "change_pct": "Change (%)"})

st.subheader("Current vs previous period")
components.table(view(context, "period_comparison", context.compare), {
    "measure": "Measure", "current": "Current period", "previous": "Previous period", "change": "Change",
    "change_pct": "Change (%)"})
