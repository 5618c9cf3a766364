"""Exports of the filtered records: JSON verbatim, CSV and XLSX safe for spreadsheets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_575  # Excel's sheet limit (1,048,576) less the header row


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'`` (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


QUANTITY_FIELDS = {"seized_item": "item", "seized_quantity": "quantity", "seized_unit": "unit",
                   "seized_value_usd": "value_usd"}


def spread_quantities(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per record for spreadsheets: the ``seized_*`` columns hold the first quantity,
    and each further one gets numbered columns (``seized_item_2``, ``seized_quantity_2``,
    ``seized_unit_2``, ``seized_value_usd_2``, ...) placed after them, as many as the
    record with the most quantities needs; the ``quantities`` list column is dropped."""
    if "quantities" not in frame.columns:
        return frame
    lists = list(frame["quantities"])
    result = frame.drop(columns="quantities")
    most = max((len(q) for q in lists), default=0)
    names = list(result.columns)
    after = names.index("seized_value_usd") + 1 if "seized_value_usd" in names else len(names)
    for number in range(2, most + 1):
        for name, source in QUANTITY_FIELDS.items():
            values = [q[number - 1][source] if len(q) >= number else None for q in lists]
            result.insert(after, f"{name}_{number}", pd.Series(values, index=result.index, dtype=object))
            after += 1
    return result


def to_json(frame: pd.DataFrame) -> str:
    """One JSON array of objects, every text exactly as stored (with a ``quantities`` list per record
    when the frame has one)."""
    rows = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    return json.dumps(rows, ensure_ascii=False, indent=1)


def to_csv(frame: pd.DataFrame) -> str:
    """CSV for spreadsheets: formula-like text neutralised, numbers left as numbers."""
    frame = spread_quantities(frame)
    buffer = io.StringIO()
    # RFC 4180 line ends: Python's csv module quotes a cell only for characters of the
    # line terminator, so with "\n" alone a cell holding a carriage return was left
    # unquoted and split the row in two when read back.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow(["" if (v := _plain(value)) is None else neutralise(v) for value in row])
    return buffer.getvalue()


def to_xlsx(frame: pd.DataFrame) -> tuple[bytes, bool]:
    """An .xlsx workbook of the records; True when rows were cut at Excel's limit."""
    truncated = len(frame) > EXCEL_MAX_ROWS
    frame = spread_quantities(frame.head(EXCEL_MAX_ROWS))
    safe = frame.map(lambda v: neutralise(_plain(v)))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name="records")
    return buffer.getvalue(), truncated
