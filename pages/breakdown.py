"""Breakdown: region x crime area, shares, and the change against the previous period."""

import streamlit as st

from ocops import views
from ocops.ui import components
from ocops.ui.data import figure, page_context, view

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
st.plotly_chart(figure(context, "heatmap", "crosstab", (measure,), measure), key="breakdown_heatmap")
st.subheader("Region x crime area with totals")
st.caption("Totals of operations and countries count each one once, even if it spans several cells.")
st.dataframe(table, column_config=components.number_columns(table), placeholder="–")

st.subheader(f"{views.MEASURE_LABELS[measure]} by {by.replace('_', ' ')}: shares and change")
st.caption(components.delta_note(context))
components.table(view(context, "share_table", by, measure, context.compare), {
    "key": by.replace("_", " ").capitalize(), "current": "Current period", "share_pct": "Share (%)",
    "previous": "Previous period", "change_pct": "Change (%)"})

st.subheader("By seized item")
left, right = st.columns(2)
item_measure = left.selectbox("Item measure", ["records", *views.QUANTITY_MEASURES, "seized_value_usd"],
                              format_func=views.MEASURE_LABELS.get, key="breakdown_item_measure")
across = right.segmented_control("Items by", list(views.ITEM_ACROSS), default="region",
                                 format_func=views.ITEM_ACROSS.get, key="breakdown_item_across") or "region"
st.plotly_chart(figure(context, "item_bars", "items_across", (across, item_measure), item_measure,
                       views.ITEM_ACROSS[across]), key="breakdown_items")

st.subheader("Current vs previous period")
components.table(view(context, "period_comparison", context.compare), {
    "measure": "Measure", "current": "Current period", "previous": "Previous period", "change": "Change",
    "change_pct": "Change (%)"})
