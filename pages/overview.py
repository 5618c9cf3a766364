"""Overview: the headline figures of the filtered view against the period before."""

import streamlit as st

from ocops import maps
from ocops.ui import components
from ocops.ui.data import figure, map_view, page_context, view

context = page_context()
st.title("Overview")
components.caption(context)
components.require_data(context)

components.kpi_cards(view(context, "kpis", context.compare), context.compare)
st.subheader("Seized quantities by item")
components.items_table(view(context, "items_table"))

left, right = st.columns([3, 2])
with left:
    st.subheader("Arrests by country")
    world = map_view(context, "choropleth", "arrests", context.flt.countries)
    st.markdown(maps.legend_html(world.legend, "arrests"), unsafe_allow_html=True)
    st.pydeck_chart(world.deck, height=320, key="overview_map")
with right:
    st.plotly_chart(figure(context, "monthly_line", "time_series", ("arrests", "month", None), "arrests"),
                    key="overview_monthly")

left, right = st.columns(2)
with left:
    st.plotly_chart(figure(context, "horizontal_bars", "totals_by", ("region", ("arrests",)), "arrests",
                           "Arrests by region"),
                    key="overview_regions")
with right:
    st.plotly_chart(figure(context, "horizontal_bars", "totals_by", ("crime_area", ("arrests",)), "arrests",
                           "Arrests by crime area"), key="overview_areas")

st.subheader("Latest operations")
components.table(view(context, "latest_operations"), {
    "operation": "Operation", "arrests": "Arrests", "seizures": "Seizures", "victims_rescued": "Victims rescued",
    "first_date": "First date", "last_date": "Last date", "country_names": "Countries",
    "crime_areas": "Crime areas"}, long_text=("country_names", "crime_areas"))
st.caption(components.delta_note(context))
