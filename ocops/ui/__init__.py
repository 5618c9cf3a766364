"""Streamlit-side helpers: the only ocops package allowed to import Streamlit.

Pages call :func:`ocops.ui.data.page_context` for the store, the frame and the
shared filter, then lay out what :mod:`ocops.views` and :mod:`ocops.charts` build.
"""
