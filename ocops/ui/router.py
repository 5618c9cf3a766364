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

from ocops.ui import auth, data, downloads, filters, navigation
from ocops.ui.errors import shown_errors


def run() -> None:
    """Configure the page, sign in, draw the shared filters over the records in scope, publish the
    context and run the chosen page."""
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
        context = data.load_context(identity)  # cut to the scope before any filter or URL is read
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
