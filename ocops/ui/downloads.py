"""Downloads of the filtered records, built only when the user clicks (st.download_button callables)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ocops import audit, export, queries
from ocops.auth import scope_filter
from ocops.ui.data import Context


def scoped_records(context: Context, action: str, file_format: str, limit: int | None = None) -> pd.DataFrame:
    """The records of the shared filter within the user's scope, read from the store; the export is audited."""
    frame = queries.records(context.engine, scope_filter(context.flt, context.scope), context.countries, limit=limit)
    audit.record(context.engine, context.identity.user, action,
                 {"format": file_format, "filter": context.flt.to_dict(), "rows": len(frame)})
    return frame


def _csv(context: Context) -> Callable[[], str]:
    def build() -> str:
        return export.to_csv(scoped_records(context, "export", "csv"))
    return build


def _xlsx(context: Context) -> Callable[[], bytes]:
    def build() -> bytes:
        limit = export.EXCEL_MAX_ROWS
        workbook, _truncated = export.to_xlsx(scoped_records(context, "export", "xlsx", limit=limit + 1))
        return workbook
    return build


def record_downloads(context: Context) -> None:
    """CSV and XLSX buttons for the records the shared filter selects (formula cells neutralised)."""
    if not context.identity.can("export"):
        return
    count = len(context.selected())
    left, right = st.columns(2)
    left.download_button(f"Download {count:,} records as CSV", data=_csv(context), file_name="ocops_records.csv",
                         mime="text/csv", icon=":material/download:", on_click="ignore", key="download_csv")
    right.download_button("Download as Excel (XLSX)", data=_xlsx(context), file_name="ocops_records.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          icon=":material/download:", on_click="ignore", key="download_xlsx")
    if count > export.EXCEL_MAX_ROWS:
        st.warning(f"Excel holds at most {export.EXCEL_MAX_ROWS:,} rows: the XLSX file has the newest "
                   f"{export.EXCEL_MAX_ROWS:,} of the {count:,} records. Use the CSV for all of them.")
