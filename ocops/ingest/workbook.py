"""Limits on what an .xlsx workbook may expand to, checked before it is read whole.

An .xlsx is a zip of XML: a few hundred kilobytes can unpack to gigabytes, or
name one cell at row 1,048,576 and column XFD so that a reader builds a grid of
17 billion cells. Before the first sheet is read, the zip's declared sizes are
summed and the sheet's XML is streamed (never held whole) to count its rows and
cells and find its last row and column. A workbook over a limit is refused with
a plain message; nothing is written. The limits are stated in the README.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

import numpy as np

from ocops.errors import UnusableFile

MAX_ROWS = 1_048_576  # the most rows an Excel sheet can hold
MAX_CELLS = 10_000_000  # rows x columns of the first sheet's used area
MAX_UNPACKED_BYTES = 1_000_000_000  # the workbook's files unpacked, in total
CHUNK = 4 << 20
WORKBOOK, RELS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"
SAVE_AS = "split it into smaller files or save the sheet as .csv"
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData[\s>/]")
# The number of a row that may hold cells (Excel writes an empty, formatted row as <row r="..." ... />);
# the pattern starts with a literal, so the scan is fast.
_ROW_NUMBER = re.compile(rb"row\s[^>]*?\br=\"(\d+)\"[^>]*(?<!/)>")
_TAIL = 512  # bytes of a chunk kept for the next one, so a tag cut in two is still seen


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The path of the workbook's first sheet, as its workbook.xml and relationships say."""
    try:
        if max(archive.getinfo(n).file_size for n in (WORKBOOK, RELS)) > 10_000_000:
            return None  # not what Excel writes: every sheet is then checked by its name
        workbook = ElementTree.fromstring(archive.read(WORKBOOK))
        rels = ElementTree.fromstring(archive.read(RELS))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError):
        return None
    sheet = next((e for e in workbook.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"), None)
    attributes = sheet.attrib.items() if sheet is not None else []
    rid = next((v for k, v in attributes if k.rsplit("}", 1)[-1] == "id"), None)
    target = next((e.get("Target") for e in rels.iter() if e.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _chunks(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[bytes, int]]:
    """(bytes, end) a chunk at a time: matches starting before ``end`` belong to this chunk;
    the bytes after it start the next one, so a tag cut in two is seen whole, and once."""
    carry = b""
    with archive.open(name) as member:
        while chunk := member.read(CHUNK):
            data = carry + chunk
            yield data, len(data) - _TAIL
            carry = data[-_TAIL:] if len(data) > _TAIL else data
    yield carry, len(carry)


def _count(tag: bytes, data: bytes, end: int) -> int:
    """Occurrences of ``tag`` that start before ``end``."""
    return data.count(tag, 0, max(end + len(tag) - 1, 0))


def _last_column(data: bytes) -> int:
    """The largest column number any cell reference (``r="XFD7"``) in ``data`` names (vectorised)."""
    text = np.frombuffer(data, dtype=np.uint8)
    at = np.flatnonzero(text[1:-5] == ord("=")) + 1
    at = at[(text[at - 1] == ord("r")) & (text[at + 1] == ord('"'))]
    letters = [text[at + k].astype(np.int64) - 64 for k in (2, 3, 4)]
    first = (letters[0] >= 1) & (letters[0] <= 26)
    if not first.any():
        return 0
    second = first & (letters[1] >= 1) & (letters[1] <= 26)
    third = second & (letters[2] >= 1) & (letters[2] <= 26)
    one = letters[0]
    two = one * 26 + letters[1]
    number = np.where(third, two * 26 + letters[2], np.where(second, two, one))
    return int(number[first].max())


def check_workbook(data: bytes, filename: str) -> None:
    """Refuse a workbook whose files unpack to too much or whose first sheet spans too many
    rows or cells (:class:`UnusableFile`); a zip that is not a workbook is left to the reader."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise UnusableFile(
                f"{filename} unpacks to {unpacked / 1e6:,.0f} MB, over the {MAX_UNPACKED_BYTES / 1e6:,.0f} MB "
                f"a workbook may expand to: {SAVE_AS}."
            )
        names = set(archive.namelist())
        sheet = _first_sheet(archive)
        if sheet not in names:
            sheet = min((n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")), default=None)
        if sheet is None:
            return
        _check_sheet(archive, sheet, filename)


def _check_sheet(archive: zipfile.ZipFile, sheet: str, filename: str) -> None:
    rows = cells = last_row = last_column = 0
    row_tag = cell_tag = b""
    try:
        for chunk, end in _chunks(archive, sheet):
            if not row_tag:
                found = _SHEET_DATA.search(chunk)
                if found is None:
                    continue
                prefix = found.group(1) or b""  # "x:" when the sheet's XML uses a namespace prefix
                # (the odd <cols> or <rowBreaks> counted too only makes the limits a little stricter)
                row_tag, cell_tag = b"<" + prefix + b"row", b"<" + prefix + b"c"
            rows += _count(row_tag, chunk, end)
            cells += _count(cell_tag, chunk, end)
            last_row = max([last_row, *(int(n) for n in _ROW_NUMBER.findall(chunk))])
            last_column = max(last_column, _last_column(chunk))
            height = max(rows, last_row)
            if height > MAX_ROWS:
                raise UnusableFile(
                    f"{filename} has more than {MAX_ROWS:,} rows on its first sheet, more than Excel can hold: "
                    f"it is damaged or was not written by Excel; {SAVE_AS}."
                )
            if max(cells, height * last_column) > MAX_CELLS:
                raise UnusableFile(
                    f"{filename} spans more than {MAX_CELLS:,} cells on its first sheet, "
                    f"over what ocops reads from a workbook: {SAVE_AS}."
                )
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, ValueError):
        return  # a damaged zip: the reader says so
