"""Operations: one row per operation, drill-down into one, and downloads of the filtered records."""

import streamlit as st

from ocops import views
from ocops.markup import plain
from ocops.ui import auth, components
from ocops.ui.data import page_context, view
from ocops.ui.downloads import record_downloads
from ocops.ui.operations import batches, operations_with_agencies

context = page_context()
st.title("Operations")
components.caption(context)
components.require_data(context)

table = operations_with_agencies(context)
components.table(table, {
    "operation": "Operation", **{m: views.MEASURE_LABELS[m] for m in views.OPERATION_MEASURES},
    "first_date": "First date", "last_date": "Last date", "country_names": "Countries", "crime_areas": "Crime areas",
    "lead_agencies": "Lead agencies"}, long_text=("country_names", "crime_areas", "lead_agencies"))

auth.require(context, "records", "Record drill-down and downloads need the analyst role.")
st.subheader("Drill down")
chosen = st.selectbox("Operation", list(table["operation"]), key="operations_drilldown")
if chosen:
    per_country, sources = view(context, "operation_detail", chosen, batches(context))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{plain(chosen)}: records per country**")
        components.table(per_country, components.COUNTRY_COLUMNS)
    with right:
        st.markdown("**Source batches (files)**")
        components.table(sources, {"batch_id": "Batch", "file": "File", "imported_at": "Imported",
                                   "records": "Records"})
    st.markdown(f"**{plain(chosen)}: records and their seized items**")
    components.table(view(context, "operation_records", chosen), components.RECORD_COLUMNS, long_text=("items",))

st.subheader("Download the filtered records")
record_downloads(context)
