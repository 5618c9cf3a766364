"""Exports of the filtered records: JSON verbatim, CSV and XLSX safe for spreadsheets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from ocops.queries import Filter
from ocops.schema import FIELDS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_575  # Excel's sheet limit (1,048,576) less the header row
EXCEL_MAX_CHARS = 32_767  # Excel's limit for the text of one cell
CUT_MARK = "[cut]"
REPLACEMENT = "\ufffd"
# A formula start right after a separator or a line break inside a cell: a spreadsheet that
# splits on another separator (semicolon in much of Europe, tab, pipe) or that breaks the
# line there would start a new cell with it.
FORMULA_INSIDE = re.compile(r'([,;\t|\r\n]"?)([=+\-@])')
HEADERS: dict[str, str] = {**{f.name: f.label for f in FIELDS}, "country_name": "Country name",
                           "region": "Region", "batch_id": "Batch"}


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'`` (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_csv(value: Any) -> Any:
    """:func:`neutralise`, and a ``'`` before a formula start that follows a separator or a line
    break inside the text (``a;=1+1`` becomes ``a;'=1+1``)."""
    value = neutralise(value)
    return FORMULA_INSIDE.sub(r"\1'\2", value) if isinstance(value, str) else value


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
        writer.writerow(["" if (v := _plain(value)) is None else neutralise_csv(v) for value in row])
    return buffer.getvalue()


@dataclass
class Workbook:
    """An .xlsx file and what had to change for Excel to hold it."""

    data: bytes = b""
    truncated: bool = False  # rows cut at Excel's row limit
    cleaned: int = 0  # cells whose control characters were replaced
    cut: int = 0  # cells cut at Excel's text limit
    notes: list[str] = field(default_factory=list)


def _for_excel(value: Any, workbook: Workbook) -> Any:
    """A cell value Excel can hold: formula-like text neutralised, control characters
    replaced, text cut at the cell limit; dates and numbers as they are."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (dt.date, dt.datetime)):
        value = value.item()
    if not isinstance(value, str):
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)
        workbook.cleaned += 1
    value = neutralise(value)
    if len(value) > EXCEL_MAX_CHARS:
        value = value[:EXCEL_MAX_CHARS - len(CUT_MARK)] + CUT_MARK
        workbook.cut += 1
    return value


def _notes(workbook: Workbook, rows: int) -> list[str]:
    notes = []
    if workbook.truncated:
        notes.append(f"Excel holds at most {EXCEL_MAX_ROWS:,} rows: this file has the newest {EXCEL_MAX_ROWS:,} of "
                     f"{rows:,} records; the CSV download holds all of them.")
    if workbook.cleaned:
        notes.append(f"{workbook.cleaned:,} cell{' held' if workbook.cleaned == 1 else 's held'} control characters "
                     f"that Excel cannot store; each was replaced by {REPLACEMENT}.")
    if workbook.cut:
        one = workbook.cut == 1
        notes.append(f"{workbook.cut:,} cell{' was' if one else 's were'} longer than Excel's {EXCEL_MAX_CHARS:,} "
                     f"characters and {'was' if one else 'were'} cut (marked {CUT_MARK}); the CSV download "
                     "holds the full text.")
    return notes


def _width(header: str, values: pd.Series) -> float:
    """Characters wide enough for the header and the first values, within 8 and 60."""
    sample = [len(v.isoformat()) if isinstance(v, dt.date) else len(str(v)) for v in values.head(500) if v is not None]
    return float(min(60, max(8, len(header), *sample) + 2))


def to_xlsx(frame: pd.DataFrame, about: Mapping[str, object] | None = None) -> Workbook:
    """The records as an .xlsx workbook: human headers, real dates and numbers, frozen header,
    autofilter, fitted widths; a second sheet "About" with ``about`` (filter, period, scope, data
    version, time of export) and a note for anything Excel forced to change. A workbook with
    notes opens on "About"."""
    workbook = Workbook(truncated=len(frame) > EXCEL_MAX_ROWS)
    rows = len(frame)
    safe = spread_quantities(frame.head(EXCEL_MAX_ROWS)).map(lambda v: _for_excel(v, workbook))
    safe = safe.rename(columns={c: HEADERS.get(str(c), str(c)) for c in safe.columns})
    workbook.notes = _notes(workbook, rows)
    info = [*(about or {}).items(), ("Records", min(rows, EXCEL_MAX_ROWS)), *(("Note", n) for n in workbook.notes)]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl", date_format="yyyy-mm-dd",
                        datetime_format="yyyy-mm-dd hh:mm") as writer:
        safe.to_excel(writer, index=False, sheet_name="Records")
        pd.DataFrame(info, columns=["About", "Value"]).to_excel(writer, index=False, header=False,
                                                                 sheet_name="About")
        sheet = writer.sheets["Records"]
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, name in enumerate(safe.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = _width(str(name), safe[name])
        about_sheet = writer.sheets["About"]
        about_sheet.column_dimensions["A"].width = 16
        about_sheet.column_dimensions["B"].width = 90
        if workbook.notes:
            writer.book.active = 1
            for sheet_view in sheet.views.sheetView:
                sheet_view.tabSelected = False
    workbook.data = buffer.getvalue()
    return workbook


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def file_name(kind: str, flt: Filter, ext: str, day: dt.date, limit: int = 150) -> str:
    """A download's file name that carries the filter and the day, e.g.
    ``ocops-records_europe_drug-trafficking_2018-01-01-to-2018-12-31_2026-12-01.csv``."""
    parts = [_slug(p) for p in (*flt.regions, *flt.countries, *flt.crime_areas, *flt.operations)] or ["all-records"]
    if flt.since or flt.until:
        period = f"{flt.since or 'start'}-to-{flt.until or 'latest'}"
    else:
        period = "all-time"
    tail = f"_{period}_{day.isoformat()}.{ext}"
    head = f"ocops-{_slug(kind)}"
    kept: list[str] = []
    for index, part in enumerate(parts):
        more = f"_and-{len(parts) - index}-more"
        if len(head) + len("_".join(["", *kept, part])) + len(more) + len(tail) > limit and index < len(parts) - 1:
            kept.append(more[1:])
            break
        kept.append(part)
    return head + "".join(f"_{k}" for k in kept) + tail
