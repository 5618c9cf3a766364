"""ocops dashboard: the router. Run with `streamlit run dashboard.py`.

Opens the store once (schema upgrade, first-start sample), draws the shared
sidebar filters (kept in the URL; not on the Upload page), then runs the chosen page.
"""

import streamlit as st

from ocops.ui import data, downloads, filters, navigation
from ocops.ui.errors import shown_errors

# An emoji icon: a material icon favicon is fetched from Google.
st.set_page_config(page_title="ocops", page_icon="🔎", layout="wide")
page = st.navigation(navigation.pages())

ready = False
with shown_errors():
    context = data.load_context()
    context = filters.sidebar_filters(context) if navigation.shows_filters(page) else filters.keep_filters(context)
    data.publish(context)
    downloads.briefing_download(context)
    ready = True
if not ready:
    st.stop()

with shown_errors():
    page.run()
