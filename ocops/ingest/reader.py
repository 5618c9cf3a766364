"""Turn uploaded bytes into a table of strings, or refuse them as unusable.

Accepts delimited text (.csv/.tsv/.txt; UTF-8 with or without BOM, UTF-16
with BOM, Windows-1252/Latin-1; comma, semicolon, tab or pipe) and .xlsx
workbooks (first sheet). Every cell comes back as a trimmed string
("" for empty), so the normaliser sees exactly what the file said.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd
from charset_normalizer import from_bytes

from ocops.errors import UnusableFile

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx"}
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ACCEPTED = "a .csv, .tsv or .txt file (delimited text) or an .xlsx workbook"


@dataclass
class RawTable:
    """A file's cells as strings, with what was detected about it."""

    frame: pd.DataFrame
    headers: list[str]
    encoding: str = "utf-8"
    delimiter: str = ","
    kind: str = "text"
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Number of data rows (the header is row 0)."""
        return len(self.frame)


def read_table(data: bytes, filename: str, max_bytes: int | None = None) -> RawTable:
    """Read a whole upload; raise :class:`UnusableFile` when nothing can be imported."""
    if max_bytes is not None and len(data) > max_bytes:
        raise UnusableFile(
            f"{filename} is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit: "
            "split it into smaller files or ask an administrator to raise OCOPS_MAX_UPLOAD_MB."
        )
    suffix = PurePath(filename).suffix.lower()
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise UnusableFile(f"{filename} is empty: export the data again with a header row and at least one row.")
    if data.startswith(b"PK\x03\x04"):
        if suffix not in EXCEL_SUFFIXES | TEXT_SUFFIXES:
            raise UnusableFile(f"{filename} is not a file ocops can read: upload {ACCEPTED}.")
        return _read_xlsx(data, filename)
    if suffix in EXCEL_SUFFIXES:
        raise UnusableFile(f"{filename} is named .xlsx but is not an Excel workbook: save it again as .xlsx or .csv.")
    if suffix not in TEXT_SUFFIXES:
        raise UnusableFile(f"{filename} is not a file ocops can read: upload {ACCEPTED}.")
    text, encoding = decode(data, filename)
    return _read_text(text, encoding, filename)


def decode(data: bytes, filename: str) -> tuple[str, str]:
    """Decode text bytes: BOMs first, then UTF-8, then a charset detector."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UnusableFile(f"{filename} says it is UTF-16 but is damaged ({exc.reason}): export it again.") from exc
    if b"\x00" in data[:4096]:
        raise UnusableFile(f"{filename} looks like a binary file, not text: upload {ACCEPTED}.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    encoding = "cp1252"
    if best is not None and best.encoding not in ("utf_8", "ascii"):
        encoding = best.encoding
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter among comma, semicolon, tab and pipe that best fits the first lines."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _read_text(text: str, encoding: str, filename: str) -> RawTable:
    if "\x00" in text:
        raise UnusableFile(f"{filename} holds binary data, not text: upload {ACCEPTED}.")
    delimiter = sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
            na_filter=False, skip_blank_lines=True, engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise UnusableFile(
            f"{filename} is not readable as delimited text ({str(exc).strip()}): "
            "check that every row has the same number of columns and quotes are closed."
        ) from exc
    return _finish(frame, filename, encoding=encoding, delimiter=delimiter, kind="text")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes, filename: str) -> RawTable:
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=True)
    except Exception as exc:  # calamine raises several private error types
        raise UnusableFile(f"{filename} is not a readable .xlsx workbook ({exc}): save it again from Excel.") from exc
    rows = [[_cell(v) for v in row] for row in rows if any(_cell(v).strip() for v in row)]
    if not rows:
        raise UnusableFile(f"{filename} has an empty first sheet: put the data with a header row on the first sheet.")
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
    return _finish(frame, filename, encoding="xlsx", delimiter="", kind="xlsx")


def _finish(frame: pd.DataFrame, filename: str, *, encoding: str, delimiter: str, kind: str) -> RawTable:
    headers = [str(h).strip() for h in frame.columns]
    if not any(headers) or all(h.startswith("Unnamed:") or not h for h in headers):
        raise UnusableFile(f"{filename} has no header row: the first row must name the columns.")
    seen: dict[str, int] = {}
    unique: list[str] = []
    for h in headers:
        seen[h] = seen.get(h, 0) + 1
        unique.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    frame.columns = unique
    frame = frame.astype(object).fillna("")
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip()
    frame = frame.reset_index(drop=True)
    return RawTable(frame=frame, headers=unique, encoding=encoding, delimiter=delimiter, kind=kind)
