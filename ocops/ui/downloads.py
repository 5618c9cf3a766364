"""Downloads of the filtered records, built only when the user clicks (st.download_button callables)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ocops import export, queries
from ocops.ui.data import Context


def _csv(context: Context) -> Callable[[], str]:
    def build() -> str:
        return export.to_csv(queries.records(context.engine, context.flt, context.countries))
    return build


def _xlsx(context: Context) -> Callable[[], bytes]:
    def build() -> bytes:
        limit = export.EXCEL_MAX_ROWS
        workbook, _truncated = export.to_xlsx(queries.records(context.engine, context.flt, context.countries,
                                                              limit=limit + 1))
        return workbook
    return build


def record_downloads(context: Context) -> None:
    """CSV and XLSX buttons for the records the shared filter selects (formula cells neutralised)."""
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
