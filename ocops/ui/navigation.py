"""The page list of the router: one place, pages registered only when their file exists."""

from __future__ import annotations

from collections.abc import Callable

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
    ("pages/audit.py", "Audit", "audit", ":material/policy:"),
)
# What a role needs to reach a page (ocops.auth.PERMISSIONS); pages not listed need "view".
PAGE_PERMISSIONS = {"upload": "upload", "audit": "audit"}


NO_SIDEBAR_FILTERS = frozenset({"upload", "audit"})  # url paths of pages the shared filters do not apply to


def shows_filters(page: st.Page) -> bool:
    """Whether the shared sidebar filters belong on ``page`` (not on Upload or Audit: they filter nothing there)."""
    return page.url_path not in NO_SIDEBAR_FILTERS


def page_exists(path: str) -> bool:
    """Whether a page file is present (the map and upload pages land separately)."""
    return (ROOT / path).is_file()


def pages(allowed: Callable[[str], bool] = lambda _permission: True) -> list[st.Page]:
    """The st.Page objects for st.navigation, in sidebar order: those whose permission is ``allowed``."""
    result = []
    for index, (path, title, url_path, icon) in enumerate(PAGES):
        if not page_exists(path) or not allowed(PAGE_PERMISSIONS.get(url_path, "view")):
            continue
        if index == 0:
            result.append(st.Page(path, title=title, icon=icon, default=True))
        else:
            result.append(st.Page(path, title=title, icon=icon, url_path=url_path))
    return result


def title_of(url_path: str) -> str | None:
    """The title of the page at ``url_path`` (None when no such page exists)."""
    return next((title for path, title, url, _icon in PAGES if url == url_path and page_exists(path)), None)
