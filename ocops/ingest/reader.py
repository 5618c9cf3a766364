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
import itertools
import re
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from charset_normalizer import from_bytes

from ocops.errors import ConfigError, UnusableFile
from ocops.ingest.workbook import check_workbook

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx"}
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ACCEPTED = "a .csv, .tsv or .txt file (delimited text) or an .xlsx workbook"
# Every character Python's str.strip() removes, so the fast (pyarrow) reader trims exactly like it.
EOF_SENTINEL = "\x02ocops-end-of-file\x03"
PY_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


@dataclass
class RawTable:
    """A file's cells as strings, with what was detected about it.

    The fast reader keeps the cells as Arrow columns (``arrow``) and builds the
    pandas ``frame`` only when something asks for it; the importer never does.
    """

    headers: list[str]
    encoding: str = "utf-8"
    delimiter: str = ","
    kind: str = "text"
    notes: list[str] = field(default_factory=list)
    header_row: int = 1  # the 1-based row (line, or sheet row) of the file that holds the headers
    arrow: dict[str, pa.ChunkedArray] | None = field(default=None, repr=False)
    table: pd.DataFrame | None = field(default=None, repr=False)
    # The cells as written (spaces at the edges kept), only for the columns where trimming changed one:
    # free text is stored verbatim, while keys and matching use the trimmed cells.
    untrimmed: dict[str, pa.ChunkedArray] = field(default_factory=dict, repr=False)

    @property
    def frame(self) -> pd.DataFrame:
        """Every cell as a trimmed string ("" for empty), one column per header."""
        if self.table is None:
            arrow = self.arrow or {}
            self.table = pd.DataFrame({h: arrow[h].to_pandas() for h in self.headers}, columns=self.headers)
        return self.table

    @property
    def rows(self) -> int:
        """Number of data rows (the header is row 0)."""
        if self.table is None and self.arrow:
            return len(next(iter(self.arrow.values())))
        return len(self.frame)

    def column(self, header: str) -> pa.ChunkedArray:
        """One column as an Arrow string array (no copy when the fast reader read the file)."""
        if self.arrow is not None and header in self.arrow:
            return self.arrow[header]
        values = self.frame[header].to_numpy(dtype=object)
        return pa.chunked_array([pa.array(values, type=pa.string(), from_pandas=True)])


MIB = 1024 * 1024  # the settings' (and Streamlit's upload widget's) megabyte


def _megabytes(size: int, unit: int = 1_000_000) -> str:
    return f"{size / unit:.1f} MB" if size >= 100_000 else f"{size / unit:.3g} MB"


# Leading bytes of formats people upload by mistake, with what to say.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office 97) file: save it as .xlsx or .csv"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive: unpack it first"),
    (b"7z\xbc\xaf", "a 7-Zip archive: unpack it first"),
    (b"{\\rtf", "an RTF document"),
)


def check_size(data: bytes, filename: str, max_bytes: int | None) -> None:
    """Refuse a file over the limit before anything parses it."""
    if max_bytes is not None and len(data) > max_bytes:
        # A limit set in whole megabytes (OCOPS_MAX_UPLOAD_MB) reads as the upload page shows it: "200 MB".
        whole = max_bytes % MIB == 0
        limit = f"{max_bytes // MIB} MB" if whole else _megabytes(max_bytes)
        raise UnusableFile(
            f"{filename} is {_megabytes(len(data), MIB if whole else 1_000_000)}, over the {limit} limit: "
            "split it into smaller files or ask an administrator to raise OCOPS_MAX_UPLOAD_MB."
        )


_BLANK_BYTES = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"


def _blank(data: bytes) -> bool:
    """Whether the bytes hold nothing but whitespace, NULs and byte-order marks (a cheap look first)."""
    if data[:4096].strip(_BLANK_BYTES):
        return False
    return not data.strip(_BLANK_BYTES)


def read_table(data: bytes, filename: str, max_bytes: int | None = None, header_row: int | None = None) -> RawTable:
    """Read a whole upload; raise :class:`UnusableFile` when nothing can be imported.

    ``header_row`` (1-based) forces the row that holds the headers; without it,
    title rows above the header (a title, a date, a blank line) are detected and skipped.
    """
    check_size(data, filename, max_bytes)
    suffix = PurePath(filename).suffix.lower()
    if suffix not in EXCEL_SUFFIXES | TEXT_SUFFIXES:
        raise UnusableFile(f"{filename} is not a file ocops can read: upload {ACCEPTED}.")
    if _blank(data):
        raise UnusableFile(f"{filename} is empty: export the data again with a header row and at least one row.")
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise UnusableFile(f"{filename} is {what}, not a table ocops can read: upload {ACCEPTED}.")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, filename, header_row)
    if suffix in EXCEL_SUFFIXES:
        raise UnusableFile(f"{filename} is named .xlsx but is not an Excel workbook: save it again as .xlsx or .csv.")
    if data.isascii() and b"\x00" not in data:
        # What decode() would say, without building a second copy of a large file as text.
        return _read_text(None, data, "utf-8", filename, header_row)
    text, encoding = decode(data, filename)
    utf8 = {"utf-8": data, "utf-8-sig": data[3:]}.get(encoding)
    return _read_text(text, utf8, encoding, filename, header_row)


def _looks_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for BOM-less UTF-16 text (every other byte zero)."""
    head = data[:400]
    if len(head) < 8:
        return None
    odd, even = head[1::2], head[0::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _western(text: str) -> bool:
    """Whether text decoded as Windows-1252 reads like a Western European language."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    foreign = sum(1 for c in letters if ord(c) > 127)
    controls = sum(1 for c in text if "\x80" <= c <= "\x9f")
    return controls == 0 and foreign <= 0.3 * len(letters)


def decode(data: bytes, filename: str) -> tuple[str, str]:
    """Decode text bytes: BOMs first, then UTF-8, then Windows-1252 or a charset detector's choice.

    A charset detector guesses badly on short Western files (cp1250, cp775 for
    'é ü €'), so Windows-1252 wins whenever it decodes cleanly into mostly
    ASCII letters; the detector decides the rest (Cyrillic, Greek, ...).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UnusableFile(f"{filename} says it is UTF-8 but is damaged ({exc.reason}): export it again.") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UnusableFile(f"{filename} says it is UTF-16 but is damaged ({exc.reason}): export it again.") from exc
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise UnusableFile(f"{filename} looks like a binary file, not text: upload {ACCEPTED}.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        if _western(text[:200_000]):
            return text, "cp1252"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    encoding = best.encoding if best is not None else "latin-1"
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1"), "latin-1"


def _score(rows: list[list[str]]) -> tuple[float, int]:
    """(share of rows as wide as the header, header width); 0 for a single column."""
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows or len(rows[0]) < 2:
        return 0.0, 1
    width = len(rows[0])
    return sum(len(r) == width for r in rows) / len(rows), width


HEADER_SEARCH_ROWS = 30  # rows looked at for title rows above the header


def detect_header(rows: list[list[str]]) -> int:
    """Index of the header among ``rows``: the first row filled at least half as wide as the
    widest of the first rows (title, date and blank rows above it are narrower), and not data."""
    widths = [sum(1 for cell in row if str(cell).strip()) for row in rows[:HEADER_SEARCH_ROWS]]
    if not widths:
        return 0
    needed = max(2, (max(widths) + 1) // 2)
    for index, width in enumerate(widths):
        cells = [str(c).strip() for c in rows[index] if str(c).strip()]
        data_like = sum(1 for c in cells if _looks_like_data(c))
        if width >= needed and data_like * 2 < len(cells):
            return index
    return 0


def sniff_delimiter(text: str) -> str:
    """The delimiter among comma, semicolon, tab and pipe that best fits the first records.

    Each candidate parses the first 50 records with quote handling (so quoted
    delimiters and newlines do not count); the one whose rows (from the
    detected header on) most often have the header's width wins, then the
    widest. Comma when nothing splits.
    """
    sample = text[:100_000]
    truncated = len(text) > len(sample)
    best, best_score = ",", (0.0, 0, 1)
    for delimiter in DELIMITERS:
        try:
            rows = list(itertools.islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 51))
        except csv.Error:
            continue
        if truncated and len(rows) > 2:
            rows = rows[:-1]
        rows = rows[:50]
        header = detect_header(rows)
        share, width = _score(rows[header:])
        score = (share, -header, width)  # a header further down needs a better fit
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_arrow(utf8: bytes, delimiter: str) -> pa.Table | None:
    """The whole file as string columns via pyarrow's CSV reader (header row included);
    None when it cannot read the file exactly like pandas' C parser (which then reads it)."""
    try:
        first = next(csv.reader(io.StringIO(utf8[:1_000_000].decode("utf-8", "ignore"), newline=""),
                                delimiter=delimiter), [])
    except csv.Error:
        return None
    if len(first) < 2 or (b"\r" in utf8 and utf8.count(b"\r") != utf8.count(b"\r\n")):
        return None  # pandas' C parser reads lone carriage returns its own way
    # With quotes, a last row of sentinels comes back intact only if the file does not end inside
    # a quoted field (pandas refuses such a file; pyarrow would quietly close the quote).
    quoted = b'"' in utf8
    sentinel = delimiter.join([EOF_SENTINEL] * len(first)).encode()
    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8 + b"\n" + sentinel + b"\n" if quoted else utf8),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=quoted, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(len(first))},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    if not quoted:
        return table
    last = table.slice(table.num_rows - 1).to_pylist()[0] if table.num_rows else {}
    if list(last.values()) != [EOF_SENTINEL] * len(first):
        return None
    return table.slice(0, table.num_rows - 1)


def _title_lines(head: str, delimiter: str, header_row: int | None) -> int:
    """How many lines above the header to skip: ``header_row`` - 1, else the detected title rows."""
    if header_row is not None:
        return header_row - 1
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    rows: list[list[str]] = []
    ends: list[int] = []
    try:
        for row in itertools.islice(reader, HEADER_SEARCH_ROWS):
            rows.append(row)
            ends.append(reader.line_num)
    except csv.Error:
        return 0
    index = detect_header(rows)
    return ends[index - 1] if index else 0


def _skip_lines(value: str | bytes | None, lines: int) -> str | bytes | None:
    """``value`` without its first ``lines`` lines."""
    if value is None or not lines:
        return value
    newline = "\n" if isinstance(value, str) else b"\n"
    position = -1
    for _ in range(lines):
        position = value.find(newline, position + 1)  # type: ignore[arg-type]
        if position < 0:
            return value[:0]
    return value[position + 1:]


def _read_text(text: str | None, utf8: bytes | None, encoding: str, filename: str,
               header_row: int | None = None) -> RawTable:
    """Parse delimited text given as ``text`` or as UTF-8 bytes (an ASCII file), or both."""
    head = text[:100_001] if text is not None else (utf8 or b"")[:100_001].decode("ascii")
    printable = head[:20_000]
    controls = sum(1 for c in printable if c < " " and c not in "\t\r\n")
    has_nul = "\x00" in text if text is not None else False  # the ASCII path has checked its bytes
    if has_nul or controls > max(3, len(printable) // 100):
        raise UnusableFile(f"{filename} holds binary data, not text: upload {ACCEPTED}.")
    delimiter = sniff_delimiter(head)
    skip = _title_lines(head, delimiter, header_row)
    if skip:
        text, utf8 = _skip_lines(text, skip), _skip_lines(utf8, skip)  # type: ignore[assignment]
        if not (text or utf8 or "").strip():
            raise UnusableFile(f"{filename} has nothing below row {skip}: check the header row.")
    found = _read_parsed(text, utf8, encoding, filename, delimiter)
    found.header_row = skip + 1
    return found


def _read_parsed(text: str | None, utf8: bytes | None, encoding: str, filename: str, delimiter: str) -> RawTable:
    """Parse delimited text whose first line is the header."""
    if utf8 is None and text is not None:
        utf8 = text.encode("utf-8")
    table = _read_arrow(utf8, delimiter) if utf8 is not None else None
    if table is not None:
        return _finish_arrow(table, filename, encoding=encoding, delimiter=delimiter)
    if text is None:
        text = (utf8 or b"").decode("utf-8")
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
            na_filter=False, skip_blank_lines=True, engine="c", quotechar='"', header=None,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        detail = " ".join(str(exc).split())
        raise UnusableFile(
            f"{filename} is not readable as delimited text ({detail}): "
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
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))  # larger ones keep their short form ('1e+308'), not 309 digits
    return str(value)


def _read_xlsx(data: bytes, filename: str, header_row: int | None = None) -> RawTable:
    check_workbook(data, filename)  # before anything expands it
    try:
        from python_calamine import CalamineError, CalamineWorkbook
    except ImportError as exc:  # the installation is incomplete, not the workbook
        raise ConfigError(
            f"Cannot read {filename}: reading .xlsx workbooks needs the python-calamine package, which is not "
            "installed here. Install ocops with its dependencies (pip install -r requirements.txt), "
            "or save the file as .csv."
        ) from exc
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=True)
        first_row = (sheet.start or (0, 0))[0] + 1  # the sheet row of rows[0]
    except (CalamineError, ValueError, OSError) as exc:
        raise UnusableFile(
            f"{filename} is a zip file but not a readable .xlsx workbook: "
            "save it again from Excel as .xlsx, or as .csv."
        ) from exc
    # cells as written (free text is stored verbatim; _finish trims for keys and matching)
    numbered = [(first_row + i, [_cell(v) for v in row]) for i, row in enumerate(rows)]
    numbered = [(n, row) for n, row in numbered if any(c.strip() for c in row)]
    if not numbered:
        raise UnusableFile(f"{filename} has an empty first sheet: put the data with a header row on the first sheet.")
    if header_row is not None:
        numbered = [(n, row) for n, row in numbered if n >= header_row]
        if not numbered or numbered[0][0] != header_row:
            raise UnusableFile(f"{filename}: row {header_row} of the first sheet is empty, so it cannot be the "
                               "header row: give the row that names the columns.")
    else:
        numbered = numbered[detect_header([[c.strip() for c in row] for _, row in numbered]):]
    cells = [row for _, row in numbered]
    width = max(len(r) for r in cells)
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in cells], dtype=object)
    found = _finish(frame, filename, encoding="xlsx", delimiter="", kind="xlsx")
    found.header_row = numbered[0][0]
    return found


def _looks_like_data(cell: str) -> bool:
    text = cell.strip()
    return bool(_DATA_LIKE.match(text))


_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
_DATA_LIKE = re.compile(r"^[+-]?[\d.,\s]*\d[\d.,\s]*$|" + _DATE_LIKE.pattern)


def _header(headers: list[str], rows: int, filename: str) -> list[str]:
    """Check that the first row names the columns; the names made unique ("x (2)")."""
    named = [h for h in headers if h]
    if not named:
        raise UnusableFile(f"{filename} has no header row: the first row must name the columns.")
    data_like = [h for h in named if _looks_like_data(h)]
    if data_like and (len(data_like) * 2 >= len(named) or any(_DATE_LIKE.match(h) for h in data_like)):
        raise UnusableFile(
            f"{filename} has no header row (the first row holds values such as '{data_like[0]}'): "
            "add a first row that names the columns, e.g. operation, date, country, crime_area."
        )
    if rows < 2:
        raise UnusableFile(f"{filename} has a header but no data rows: add at least one row.")
    seen: dict[str, int] = {}
    unique: list[str] = []
    for position, header in enumerate(headers, start=1):
        header = header or f"column {position}"
        seen[header] = seen.get(header, 0) + 1
        unique.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return unique


def _finish_arrow(table: pa.Table, filename: str, *, encoding: str, delimiter: str) -> RawTable:
    """:func:`_finish` for a table read by pyarrow: trimmed in Arrow, shared with the pandas frame."""
    headers = [str(h).strip() for h in table.slice(0, 1).to_pylist()[0].values()] if table.num_rows else []
    unique = _header(headers, table.num_rows, filename)
    body = table.slice(1)
    written = dict(zip(unique, body.columns, strict=True))
    arrow = {name: _trimmed(column) for name, column in written.items()}
    untrimmed = {name: column for name, column in written.items() if arrow[name] is not column}
    return RawTable(headers=unique, encoding=encoding, delimiter=delimiter, kind="text", arrow=arrow,
                    untrimmed=untrimmed)


_WHITESPACE_BYTES = np.array([c.isspace() for c in map(chr, range(128))] + [True] * 128)  # any non-ASCII byte: maybe


def _trimmed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column with every value stripped like str.strip(); the same array when no value
    starts or ends with a byte that may be whitespace (checked on Arrow's buffers, no copy)."""
    for chunk in column.chunks:
        if not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = chunk.buffers()[2]
        if data is None:
            continue
        values = np.frombuffer(data, dtype=np.uint8)
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        edges = np.concatenate([values[starts[filled]], values[ends[filled] - 1]])
        if _WHITESPACE_BYTES[edges].any():
            return pc.utf8_trim(column, characters=PY_WHITESPACE)
    return column


def _finish(frame: pd.DataFrame, filename: str, *, encoding: str, delimiter: str, kind: str) -> RawTable:
    """Take the first row as the header, check it is one, and clean every cell."""
    frame = frame.astype(object).fillna("")
    headers = [str(h).strip() for h in frame.iloc[0].tolist()] if len(frame) else []
    unique = _header(headers, len(frame), filename)
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = unique
    untrimmed: dict[str, pa.ChunkedArray] = {}
    for column in frame.columns:
        written = frame[column].astype(str)
        frame[column] = written.str.strip()
        if not frame[column].equals(written):
            untrimmed[column] = pa.chunked_array([pa.array(written.to_numpy(dtype=object), type=pa.string())])
    return RawTable(headers=unique, encoding=encoding, delimiter=delimiter, kind=kind, table=frame,
                    untrimmed=untrimmed)
