"""The router every page runs behind: settings, store, shared filters, ``st.navigation``.

``dashboard.py`` calls :func:`run`. Streamlit (1.67) still treats an entry point with a
``pages/`` folder next to it as a legacy multipage app until ``st.navigation`` has run once
in the process ("as soon as any session of your app executes the st.navigation command,
your app will ignore the pages/ directory", st.navigation docs), so the very first request
of a process that opens a page's own URL (and every AppTest run) executes that page file
directly. :func:`ocops.ui.data.page_context` then calls :func:`run` from inside the page:
``st.navigation`` switches the legacy mode off through the public API and runs the page the
URL names, behind the router, in the same script run.
"""

from __future__ import annotations

import streamlit as st

from ocops.ui import data, filters, navigation
from ocops.ui.errors import shown_errors


def run() -> None:
    """Configure the page, draw the shared filters, publish the context, run the chosen page."""
    st.set_page_config(page_title="ocops", page_icon="🔎", layout="wide")  # an emoji: a material icon favicon is fetched from Google
    page = st.navigation(navigation.pages())
    ready = False
    with shown_errors():
        context = filters.sidebar_filters(data.load_context())
        data.publish(context)
        ready = True
    if not ready:
        st.stop()
    with shown_errors():
        page.run()
