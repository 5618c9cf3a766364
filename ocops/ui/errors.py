"""Errors on screen: a user's mistake as one plain sentence, a bug as a generic message."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from ocops.errors import OcopsError, StoreError
from ocops.markup import plain

log = logging.getLogger("ocops.ui")
STORE_MESSAGE = ("The database is not answering. Reload the page in a moment; if it keeps happening, tell the "
                 "administrator (the details are in the server log).")
GENERIC_MESSAGE = ("Something went wrong while drawing this page. Reload the page; if it happens again, "
                   "tell the administrator (the details are in the server log).")


def show_error(error: BaseException) -> None:
    """Show ``error`` as st.error: OcopsError by its message, anything else generically (no traceback).

    A store that fails (the database gone, a connection dropped) is one plain sentence too: the
    driver's text, the database's address and any link to its docs go to the server log only."""
    if isinstance(error, StoreError | SQLAlchemyError):
        log.error("the store failed: %s", " ".join(str(error).split()), exc_info=error)
        st.error(STORE_MESSAGE, icon=":material/error:")
    elif isinstance(error, OcopsError):
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
