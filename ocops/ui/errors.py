"""Errors on screen: a user's mistake as one plain sentence, a bug as a generic message."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from ocops.errors import OcopsError
from ocops.markup import plain

log = logging.getLogger("ocops.ui")
GENERIC_MESSAGE = ("Something went wrong while drawing this page. Reload the page; if it happens again, "
                   "tell the administrator (the details are in the server log).")


def show_error(error: BaseException) -> None:
    """Show ``error`` as st.error: OcopsError by its message, anything else generically (no traceback)."""
    if isinstance(error, OcopsError):
        st.error(plain(error), icon=":material/error:")  # it may quote a file name or value
    else:
        log.error("unexpected error in the dashboard", exc_info=error)
        st.error(GENERIC_MESSAGE, icon=":material/error:")


@contextmanager
def shown_errors() -> Iterator[None]:
    """Run a block; an exception (not Streamlit's own rerun/stop) is shown, not raised."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - the whole point: never show a traceback
        show_error(error)
