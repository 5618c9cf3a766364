"""The page list of the router: one place, pages registered only when their file exists."""

from __future__ import annotations

import streamlit as st

from ocops.config import APP_DIR

ROOT = APP_DIR  # the folder of dashboard.py: the checkout, or ocops/app when installed
# (file under pages/, title, url path, icon); the first one is the default page at "/".
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("pages/overview.py", "Overview", "", ":material/dashboard:"),
    ("pages/map.py", "Map", "map", ":material/public:"),
    ("pages/timeline.py", "Timeline", "timeline", ":material/timeline:"),
    ("pages/breakdown.py", "Breakdown", "breakdown", ":material/grid_on:"),
    ("pages/operations.py", "Operations", "operations", ":material/list_alt:"),
    ("pages/upload.py", "Upload", "upload", ":material/upload_file:"),
)


NO_SIDEBAR_FILTERS = frozenset({"upload"})  # url paths of pages the shared filters do not apply to


def shows_filters(page: st.Page) -> bool:
    """Whether the shared sidebar filters belong on ``page`` (not on Upload: they filter nothing there)."""
    return page.url_path not in NO_SIDEBAR_FILTERS


def page_exists(path: str) -> bool:
    """Whether a page file is present (the map and upload pages land separately)."""
    return (ROOT / path).is_file()


def pages() -> list[st.Page]:
    """The st.Page objects for st.navigation, in sidebar order."""
    result = []
    for index, (path, title, url_path, icon) in enumerate(PAGES):
        if not page_exists(path):
            continue
        if index == 0:
            result.append(st.Page(path, title=title, icon=icon, default=True))
        else:
            result.append(st.Page(path, title=title, icon=icon, url_path=url_path))
    return result
