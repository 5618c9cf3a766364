"""What the upload page shows before an import: detected format, header matches, samples."""

from __future__ import annotations

from dataclasses import dataclass, field

from ocops.ingest.dates import dominant_dayfirst
from ocops.ingest.mapping import Mapping, match_headers
from ocops.ingest.reader import DELIMITER_NAMES, read_table

SAMPLE_VALUES = 5


@dataclass(frozen=True)
class FileInspection:
    """A file as read, and how its headers match the fields automatically."""

    headers: list[str]
    matched: dict[str, str]  # field (or "coordinates") -> header
    unmatched: list[str]
    samples: dict[str, list[str]]  # header -> first distinct non-empty values
    encoding: str
    delimiter: str  # "comma", "semicolon", "tab", "pipe", or "" for .xlsx
    rows: int
    dayfirst_guess: bool | None  # None when the date column has no slash dates
    kind: str = "text"
    notes: list[str] = field(default_factory=list)
    header_row: int = 1  # the 1-based row of the file that holds the headers (detected or forced)


def inspect(data: bytes, filename: str, max_bytes: int | None = None,
            mapping: Mapping | None = None, header_row: int | None = None) -> FileInspection:
    """Read ``data`` and describe it; raises UnusableFile / MappingError like an import."""
    raw = read_table(data, filename, max_bytes=max_bytes, header_row=header_row)
    matched, unmatched = match_headers(raw.headers, mapping)
    samples: dict[str, list[str]] = {}
    for header in raw.headers:
        values = raw.frame[header].head(5000)
        samples[header] = [v for v in values.drop_duplicates().tolist() if v][:SAMPLE_VALUES]
    dayfirst: bool | None = None
    date_header = matched.get("date")
    if date_header:
        dates = raw.frame[date_header].drop_duplicates().tolist()
        if any("/" in v for v in dates):
            dayfirst = dominant_dayfirst(dates)
    return FileInspection(
        headers=list(raw.headers), matched=matched, unmatched=unmatched, samples=samples,
        encoding=raw.encoding, delimiter=DELIMITER_NAMES.get(raw.delimiter, raw.delimiter),
        rows=raw.rows, dayfirst_guess=dayfirst, kind=raw.kind, header_row=raw.header_row,
    )
