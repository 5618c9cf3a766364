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
from ocops.ingest.mapping import (
    COORDINATES,
    MONTH,
    YEAR,
    Mapping,
    Measure,
    Measures,
    Where,
    is_code_header,
    match_columns,
    match_headers,
)
from ocops.ingest.normalise import Prepared
from ocops.ingest.reader import RawTable, read_table
from ocops.ingest.report import ImportReport, RowError
from ocops.schema import FIELD_NAMES, FIELDS_BY_NAME, REQUIRED

NOT_A_FIELD = "(not a field)"
IGNORE = "ignore"
COLUMN_CHOICES: tuple[str, ...] = (NOT_A_FIELD, *FIELD_NAMES, YEAR, MONTH, COORDINATES, IGNORE)
SKIP_INDICATOR = "(skip these rows)"
SKIP_VALUE = "(skip these rows: not a country / not wanted)"
MEASURE_FIELDS: tuple[str, ...] = ("arrests", "seizures", "victims_rescued", "seized_quantity", "seized_value_usd")
DUPLICATE_CHOICES: dict[str, str] = {
    "keep": "keep each (identical line items are separate events)",
    "reject": "reject the later ones (duplicate of row N)",
    "sum": "add their figures into one record",
}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
MAX_FILTER_VALUES = 500
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


def open_upload(data: bytes, filename: str, max_bytes: int | None, header_row: int | None = None) -> Upload:
    """Read an upload (size limit, type and content checked first), its header row detected
    unless given; raises UnusableFile."""
    found = inspect(data, filename, max_bytes=max_bytes, header_row=header_row)
    return Upload(filename, data, found, read_table(data, filename, max_bytes=max_bytes, header_row=header_row))


def file_facts(upload: Upload) -> str:
    """What was detected about a file, in one line."""
    facts = upload.inspection
    order = {True: "day first", False: "month first", None: "no ambiguous dates"}[facts.dayfirst_guess]
    kind = "Excel workbook" if facts.kind == "xlsx" else f"{facts.encoding}, {facts.delimiter}-separated"
    return (f"{upload.filename} · {kind} · date order: {order} · {facts.rows:,} data rows below the header "
            f"in row {facts.header_row}")


def value_counts(raw: RawTable, header: str, limit: int = MAX_FILTER_VALUES) -> dict[str, int]:
    """The values of a column with how many rows hold each, most frequent first (at most ``limit``)."""
    counts = raw.frame[header].value_counts(sort=True).head(limit)
    return {str(value): int(rows) for value, rows in counts.items()}


def choice_label_with_count(value: str, counts: dict[str, int]) -> str:
    """A value as a row filter or indicator option shows it: 'Total · 1,204 rows'."""
    rows = counts.get(value, 0)
    return f"{value or '(empty)'} · {rows:,} row" + ("" if rows == 1 else "s")


def where_rules(filters: dict[str, list[str]]) -> dict[str, Where]:
    """Row filters from the page (column -> values ticked to keep); columns with nothing ticked keep every row."""
    return {column: Where(tuple(values)) for column, values in filters.items() if values}


def kept_values(rule: Where, counts: dict[str, int]) -> list[str]:
    """The values a filter keeps among those a column holds (a ``not`` rule as the values it leaves)."""
    if rule.keep:
        return [v for v in rule.values if v in counts]
    return [v for v in counts if v not in rule.values]


def measures_from(indicator: str | None, value: str | None, targets: dict[str, str],
                  items: dict[str, tuple[str, str]] | None = None) -> Measures | None:
    """Long format from the page: the indicator and value columns and a field per indicator value
    (skipped ones left out); ``items`` gives a seized item and unit per indicator of seized_quantity."""
    if not indicator or not value:
        return None
    fields: dict[str, Measure] = {}
    for name, target in targets.items():
        if target and target != SKIP_INDICATOR:
            item, unit = (items or {}).get(name, ("", ""))
            constants = {k: v.strip() for k, v in (("seized_item", item), ("seized_unit", unit)) if v and v.strip()}
            fields[name] = Measure(target, constants if target == "seized_quantity" else {})
    return Measures(indicator, value, fields) if fields else None


def columns_table(headers: list[str], mapping: Mapping) -> pd.DataFrame:
    """"field <- column (how matched)" for every field that gets values: how the automatic match
    found the chosen column (name, synonym, words), or "chosen" when the user picked another one."""
    automatic = match_columns(headers, Mapping(constants=mapping.constants, measures=mapping.measures))
    chosen = match_columns(headers, mapping)
    rows: list[tuple[str, str, str]] = []
    measures = mapping.measures
    measured = {m.field for m in measures.fields.values()} if measures else set()
    per_indicator = {c for m in measures.fields.values() for c in m.constants} if measures else set()
    for field in (*FIELD_NAMES, YEAR, MONTH, COORDINATES):
        if measures is not None and field in measured:
            rows.append((field, measures.value, f"measures: rows whose {measures.column} goes to {field}"))
        elif field in mapping.constants:
            rows.append((field, "", f"constant: {mapping.constants[field]}"))
        elif measures is not None and field in per_indicator:
            rows.append((field, measures.column, "measures: a value per indicator"))
        elif field in chosen.matched:
            header = chosen.matched[field]
            how = automatic.how.get(field, "chosen") if automatic.matched.get(field) == header else "chosen"
            lost = automatic.passed_over.get(field) if how != "chosen" else None
            rows.append((field, header, how + (f" (over {', '.join(lost)})" if lost else "")))
    return pd.DataFrame(rows, columns=["field", "column", "how matched"])


def skipped_frame(report: ImportReport) -> pd.DataFrame:
    """Rows left out on purpose by the mapping, by reason (not errors)."""
    return pd.DataFrame(list(report.skipped_by.items()), columns=["reason", "rows"])


def choice_label(choice: str) -> str:
    """How a column choice reads in the mapping selectbox."""
    if choice == NOT_A_FIELD:
        return "not a field (kept in the row key)"
    if choice == IGNORE:
        return "ignore (left out of the row key)"
    if choice == COORDINATES:
        return "coordinates (a point: lon/lat)"
    if choice in (YEAR, MONTH):
        return f"{choice} (with the other, a date)"
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
    values: dict[str, dict[str, str | None]] | None = None,
    dayfirst: bool | None = None,
    **shape: Any,
) -> Mapping:
    """The importer's mapping from the page's choices.

    Every header mapped to a field is listed explicitly (so a preset says
    exactly what it means); a header left as "not a field" that the
    automatic match would still take is listed as ``ignore``. Empty
    constants and untranslated values are dropped; raises MappingError.
    """
    measures: Measures | None = shape.get("measures")
    consumed = {measures.column, measures.value} if measures else set()
    columns = {h: choices[h] for h in headers if choices.get(h, NOT_A_FIELD) != NOT_A_FIELD and h not in consumed}
    kept_constants = {f: v.strip() for f, v in (constants or {}).items() if v and v.strip()}
    kept_values = {f: {s: t for s, t in m.items() if t or t is None} for f, m in (values or {}).items()}
    data: dict[str, Any] = {"columns": columns, "constants": kept_constants,
                            "values": {f: m for f, m in kept_values.items() if m}}
    if dayfirst is not None:
        data["dayfirst"] = dayfirst
    mapping = Mapping.from_data(data, origin="the column mapping")
    mapping.header_row = shape.get("header_row")
    mapping.where = dict(shape.get("where") or {})
    mapping.measures = measures
    mapping.fiscal_year_start = shape.get("fiscal_year_start", 1)
    mapping.duplicates = shape.get("duplicates", "keep")
    matched, _ = match_headers(headers, mapping)
    for header in matched.values():
        if header not in mapping.columns:
            mapping.columns[header] = IGNORE
    return mapping


def missing_required(choices: dict[str, str], constants: dict[str, str] | None = None,
                     measures: Measures | None = None) -> list[str]:
    """Required fields with neither a column nor a constant (a year column gives the date)."""
    chosen = set(choices.values()) | ({"date"} if YEAR in choices.values() else set())
    if measures is not None:
        chosen |= {m.field for m in measures.fields.values()}
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
    codes_only = field == "country" and is_code_header(header)  # a code column takes only codes
    found: list[UnknownValue] = []
    for value, rows in counts.items():
        text = str(value)
        if not text.strip():
            continue
        if field == "crime_area":
            if vocabulary.taxonomy.resolve(text) is None:
                found.append(UnknownValue(text, int(rows), tuple(vocabulary.taxonomy.suggest(text))))
        elif (vocabulary.countries.resolve_code(text) if codes_only else vocabulary.countries.resolve(text)) is None:
            found.append(UnknownValue(text, int(rows), tuple(vocabulary.countries.suggest(text))))
        if len(found) >= limit:
            break
    return found


def value_options(field: str, vocabulary: Vocabulary) -> list[str]:
    """What a value of ``field`` can be translated to: the crime areas, or every country's name."""
    if field == "crime_area":
        return list(vocabulary.taxonomy.areas)
    return [c.name for c in vocabulary.countries.countries()]


PREVIEW_LABELS: dict[str, str] = {"row": "Row", "country_name": "Country name",
                                  **{f.name: f.label for f in FIELDS_BY_NAME.values()}}


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
    preview = preview.astype(object).where(preview.notna(), "").rename(columns=PREVIEW_LABELS)
    return DryRun(report, preview, errors_frame(report.errors))


def counts(report: ImportReport) -> dict[str, int]:
    """The figures of a report as the page shows them."""
    return {"Rows read": report.rows_read, "New": report.imported, "Updated": report.updated,
            "Unchanged": report.unchanged, "Rejected": report.rejected, "Skipped": report.skipped}


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
    if report.unknown_items:
        notes.append(f"Seized items not in the vocabulary, counted under Other: {', '.join(report.unknown_items)} "
                     "(add them as aliases in the seized-item file to count them under an item).")
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
               f"{report.rejected:,} rejected" + (f", {report.skipped:,} skipped" if report.skipped else ""))
    if report.batch_id is None:
        return f"Nothing was imported from {report.file} ({figures}): all or nothing, and some rows were rejected."
    return f"Imported {report.file} as batch #{report.batch_id}: {figures}."


BATCH_COLUMNS: dict[str, str] = {
    "batch_id": "Batch", "filename": "File", "created_at": "Imported at (UTC)", "user": "User",
    "rows_read": "Rows read", "imported": "New", "updated": "Updated", "unchanged": "Unchanged",
    "rejected": "Rejected", "current_records": "Records now", "removed": "Removed",
}
STRIKE = "\u0336"  # combining long stroke: a removed batch's file name shows struck through as text


def _when(value: Any) -> str:
    """A batch time to the second: '2024-05-01 10:00:00' (SQLite and PostgreSQL spell it differently)."""
    return str(value).replace("T", " ")[:19]


def struck(text: str) -> str:
    """``text`` struck through (a combining stroke after each character), for removed batches."""
    return "".join(character + STRIKE for character in text)


def history_frame(batches: list[dict[str, Any]]) -> pd.DataFrame:
    """Batches (from ``importer.list_batches``) as the history table; a removed batch keeps its
    row, its file name struck through and "Removed" saying when and by whom."""
    removed = [b.get("removed_at") for b in batches]
    frame = pd.DataFrame(batches, columns=[c for c in BATCH_COLUMNS if c != "removed"])
    frame["removed"] = [f"{_when(at)} UTC by {b.get('removed_by') or 'unknown'}" if at else ""
                        for at, b in zip(removed, batches, strict=True)]
    frame["filename"] = [struck(name) if at else name for name, at in zip(frame["filename"], removed, strict=True)]
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
