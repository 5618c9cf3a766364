"""The upload page's logic, free of Streamlit.

Turns per-column choices, constants, value translations and a day order
into the importer's :class:`~ocops.ingest.mapping.Mapping`; finds the
crime-area and country values a file holds that the vocabularies do not
know; runs a dry run (counts plus the first normalised rows); and shapes
reports, rejected rows and batches for display. Reading, matching and
normalising stay in ``ocops.ingest`` and ``ocops.importer``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from ocops import export
from ocops.importer import Removal, Vocabulary, apply, prepare
from ocops.ingest import FileInspection, inspect
from ocops.ingest.mapping import COORDINATES, Mapping, match_headers
from ocops.ingest.normalise import Prepared
from ocops.ingest.reader import RawTable, read_table
from ocops.ingest.report import ImportReport, RowError
from ocops.schema import FIELD_NAMES, FIELDS_BY_NAME, REQUIRED

NOT_A_FIELD = "(not a field)"
IGNORE = "ignore"
COLUMN_CHOICES: tuple[str, ...] = (NOT_A_FIELD, *FIELD_NAMES, COORDINATES, IGNORE)
VALUE_FIELDS: tuple[str, ...] = ("crime_area", "country")
PREVIEW_ROWS = 50
MAX_UNKNOWN_VALUES = 50
DAY_ORDERS: dict[str, bool | None] = {"detected": None, "day-first": True, "month-first": False}
PREVIEW_COLUMNS: tuple[str, ...] = (
    "row", "record_id", "operation", "date", "end_date", "country", "country_name", "city", "latitude",
    "longitude", "crime_area", "arrests", "seizures", "victims_rescued", "seized_item", "seized_quantity",
    "seized_unit", "seized_value_usd", "lead_agency", "source", "notes",
)


@dataclass(frozen=True)
class Upload:
    """An uploaded file as read: its bytes, what was detected, and its cells."""

    filename: str
    data: bytes
    inspection: FileInspection
    raw: RawTable

    @property
    def digest(self) -> str:
        """Short SHA-256 of the bytes: identifies the file in widget keys."""
        return hashlib.sha256(self.data).hexdigest()[:16]

    @property
    def headers(self) -> list[str]:
        """The file's column names, in order."""
        return list(self.inspection.headers)


def open_upload(data: bytes, filename: str, max_bytes: int | None) -> Upload:
    """Read an upload (size limit, type and content checked first); raises UnusableFile."""
    found = inspect(data, filename, max_bytes=max_bytes)
    return Upload(filename, data, found, read_table(data, filename, max_bytes=max_bytes))


def choice_label(choice: str) -> str:
    """How a column choice reads in the mapping selectbox."""
    if choice == NOT_A_FIELD:
        return "not a field (kept in the row key)"
    if choice == IGNORE:
        return "ignore (left out of the row key)"
    if choice == COORDINATES:
        return "coordinates (a point: lon/lat)"
    field = FIELDS_BY_NAME[choice]
    return f"{choice} (required)" if field.required else choice


def choices_for(headers: list[str], mapping: Mapping | None = None) -> dict[str, str]:
    """Each header's choice, pre-filled from the automatic match and an optional mapping (preset)."""
    mapping = mapping or Mapping()
    matched, _unmatched = match_headers(headers, mapping)
    by_header = {header: target for target, header in matched.items()}
    return {h: mapping.columns.get(h) or by_header.get(h) or NOT_A_FIELD for h in headers}


def build_mapping(
    headers: list[str],
    choices: dict[str, str],
    constants: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    dayfirst: bool | None = None,
) -> Mapping:
    """The importer's mapping from the page's choices.

    Every header mapped to a field is listed explicitly (so a preset says
    exactly what it means); a header left as "not a field" that the
    automatic match would still take is listed as ``ignore``. Empty
    constants and untranslated values are dropped; raises MappingError.
    """
    columns = {h: choices[h] for h in headers if choices.get(h, NOT_A_FIELD) != NOT_A_FIELD}
    kept_constants = {f: v.strip() for f, v in (constants or {}).items() if v and v.strip()}
    kept_values = {f: {s: t for s, t in m.items() if t} for f, m in (values or {}).items()}
    data: dict[str, Any] = {"columns": columns, "constants": kept_constants,
                            "values": {f: m for f, m in kept_values.items() if m}}
    if dayfirst is not None:
        data["dayfirst"] = dayfirst
    mapping = Mapping.from_data(data, origin="the column mapping")
    matched, _ = match_headers(headers, mapping)
    for header in matched.values():
        if header not in mapping.columns:
            mapping.columns[header] = IGNORE
    return mapping


def missing_required(choices: dict[str, str], constants: dict[str, str] | None = None) -> list[str]:
    """Required fields with neither a column nor a constant."""
    chosen = set(choices.values())
    given = {f for f, v in (constants or {}).items() if v and v.strip()}
    return [f for f in REQUIRED if f not in chosen and f not in given]


def duplicate_targets(choices: dict[str, str]) -> dict[str, list[str]]:
    """Fields chosen for more than one column (only the first would be read)."""
    seen: dict[str, list[str]] = {}
    for header, target in choices.items():
        if target not in (NOT_A_FIELD, IGNORE):
            seen.setdefault(target, []).append(header)
    return {t: hs for t, hs in seen.items() if len(hs) > 1}


def constant_fields(choices: dict[str, str], mapping: Mapping | None = None) -> list[str]:
    """Fields the page asks a constant for: required ones without a column, plus those a preset fills."""
    chosen = set(choices.values())
    preset = set((mapping or Mapping()).constants)
    return [f for f in FIELD_NAMES if (f in REQUIRED and f not in chosen) or f in preset]


@dataclass(frozen=True)
class UnknownValue:
    """A value of a crime-area or country column that the vocabulary does not know."""

    value: str
    rows: int
    suggestions: tuple[str, ...]


def unknown_values(raw: RawTable, header: str, field: str, vocabulary: Vocabulary,
                   limit: int = MAX_UNKNOWN_VALUES) -> list[UnknownValue]:
    """Distinct non-empty values of ``header`` that ``field`` cannot resolve, most frequent first."""
    counts = raw.frame[header].value_counts(sort=True)
    found: list[UnknownValue] = []
    for value, rows in counts.items():
        text = str(value)
        if not text.strip():
            continue
        if field == "crime_area":
            if vocabulary.taxonomy.resolve(text) is None:
                found.append(UnknownValue(text, int(rows), tuple(vocabulary.taxonomy.suggest(text))))
        elif vocabulary.countries.resolve(text) is None:
            found.append(UnknownValue(text, int(rows), tuple(vocabulary.countries.suggest(text))))
        if len(found) >= limit:
            break
    return found


def value_options(field: str, vocabulary: Vocabulary) -> list[str]:
    """What a value of ``field`` can be translated to: the crime areas, or every country's name."""
    if field == "crime_area":
        return list(vocabulary.taxonomy.areas)
    return [c.name for c in vocabulary.countries.countries()]


@dataclass(frozen=True)
class DryRun:
    """What an import would do, computed without writing."""

    report: ImportReport
    preview: pd.DataFrame
    errors: pd.DataFrame


def errors_frame(errors: list[RowError]) -> pd.DataFrame:
    """The validation report as a table: row, column, value, message."""
    return pd.DataFrame([(e.row, e.column, e.value, e.message) for e in errors],
                        columns=["row", "column", "value", "message"])


def dry_run(engine: Engine, upload: Upload, vocabulary: Vocabulary, mapping: Mapping,
            max_bytes: int | None = None, all_or_nothing: bool = False,
            restrict: Callable[[Prepared], Prepared] | None = None) -> DryRun:
    """Validate the upload and plan its import against the store without writing anything."""
    prepared = prepare(upload.data, upload.filename, vocabulary, mapping, max_bytes)
    if restrict is not None:
        prepared = restrict(prepared)
    sha256 = hashlib.sha256(upload.data).hexdigest()
    report = apply(engine, prepared, upload.filename, sha256, all_or_nothing=all_or_nothing, dry_run=True)
    frame = prepared.frame
    preview = frame[[c for c in PREVIEW_COLUMNS if c in frame.columns]].head(PREVIEW_ROWS).reset_index(drop=True)
    return DryRun(report, preview, errors_frame(report.errors))


def counts(report: ImportReport) -> dict[str, int]:
    """The figures of a report as the page shows them."""
    return {"Rows read": report.rows_read, "New": report.imported, "Updated": report.updated,
            "Unchanged": report.unchanged, "Rejected": report.rejected}


def dry_run_notes(report: ImportReport) -> list[str]:
    """Plain sentences about a dry run: batches that would be updated, all-or-nothing refusals."""
    notes: list[str] = []
    if report.all_or_nothing and report.rejected:
        notes.append(f"All or nothing: {report.rejected:,} rejected rows mean nothing would be imported. "
                     "Fix them (or choose 'Import the valid rows').")
    if report.updated_from_batches:
        batches = ", ".join(f"#{b}" for b in report.updated_from_batches)
        notes.append(f"{report.updated:,} rows would update records of earlier batches {batches}.")
    if report.ignored_columns:
        notes.append(f"Columns not imported as fields: {', '.join(report.ignored_columns)}.")
    return notes


def rejected_rows(raw: RawTable, errors: list[RowError]) -> pd.DataFrame:
    """The rejected rows as they were in the file, with their row number and every reason."""
    reasons: dict[int, list[str]] = {}
    for error in errors:
        reasons.setdefault(error.row, []).append(f"{error.column}: {error.message}")
    rows = sorted(reasons)
    frame = raw.frame.iloc[[r - 1 for r in rows]].reset_index(drop=True)
    frame.insert(0, "problems", ["; ".join(reasons[r]) for r in rows])
    frame.insert(0, "row", rows)
    return frame


def rejected_csv(raw: RawTable, errors: list[RowError]) -> str:
    """The rejected rows as CSV text (formula cells neutralised) for the download button."""
    return export.to_csv(rejected_rows(raw, errors))


def import_message(report: ImportReport) -> str:
    """One sentence on an import's outcome."""
    figures = (f"{report.imported:,} new, {report.updated:,} updated, {report.unchanged:,} unchanged, "
               f"{report.rejected:,} rejected")
    if report.batch_id is None:
        return f"Nothing was imported from {report.file} ({figures}): all or nothing, and some rows were rejected."
    return f"Imported {report.file} as batch #{report.batch_id}: {figures}."


BATCH_COLUMNS: dict[str, str] = {
    "batch_id": "Batch", "filename": "File", "created_at": "Imported at (UTC)", "user": "User",
    "rows_read": "Rows read", "imported": "New", "updated": "Updated", "unchanged": "Unchanged",
    "rejected": "Rejected", "current_records": "Records now",
}


def _when(value: Any) -> str:
    """A batch time to the second: '2024-05-01 10:00:00' (SQLite and PostgreSQL spell it differently)."""
    return str(value).replace("T", " ")[:19]


def history_frame(batches: list[dict[str, Any]]) -> pd.DataFrame:
    """Batches (from ``importer.list_batches``) as the history table."""
    frame = pd.DataFrame(batches, columns=list(BATCH_COLUMNS))
    frame["created_at"] = frame["created_at"].map(_when)
    return frame.rename(columns=BATCH_COLUMNS)


def batch_label(batch: dict[str, Any]) -> str:
    """A batch in one line, for the removal selectbox."""
    return (f"#{batch['batch_id']} · {batch['filename']} · {_when(batch['created_at'])} · "
            f"{batch['current_records']:,} records")


def removal_message(removal: Removal) -> str:
    """One sentence on a removed batch."""
    return (f"Removed batch #{removal.batch_id} ({removal.filename}): {removal.removed:,} records removed, "
            f"{removal.restored:,} restored to their earlier values.")
