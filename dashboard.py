"""ocops dashboard: the router. Run with `streamlit run dashboard.py`.

Opens the store once (schema upgrade, first-start sample), finds out who is
signed in (and what their role and scope allow), draws the shared sidebar
filters (kept in the URL; not on the Upload page) over the records in scope and
the Briefing download, then runs the chosen page.
"""

import streamlit as st

from ocops.ui import auth, data, downloads, filters, navigation
from ocops.ui.errors import shown_errors

# An emoji icon: a material icon favicon is fetched from Google.
st.set_page_config(page_title="ocops", page_icon="🔎", layout="wide")

ready = False
with shown_errors():
    settings, vocabulary, engine = data.opened()
    identity = auth.session_identity(settings, engine, vocabulary.countries)  # may stop at sign-in
    pages = navigation.pages(identity.can)
    page = st.navigation(pages)
    auth.restore_link(pages)
    auth.deny_unreachable(engine, identity, pages)
    auth.user_box(engine, identity)
    context = data.load_context(identity)
    if navigation.shows_filters(page):  # the dashboard pages: shared filters and the briefing of the view
        context = filters.sidebar_filters(context)
        downloads.briefing_download(context)
    else:
        context = filters.keep_filters(context)
    data.publish(context)
    auth.record_view(context, page.url_path)
    ready = True
if not ready:
    st.stop()

with shown_errors():
    page.run()
