"""Shapes of public statistics, turned into one-row-one-record before normalisation.

The mapping keys of CONTRACT.md section 2 that act on whole rows and
columns: ``where`` (keep some rows), ``measures`` (long format: a value
column routed by an indicator column), ``null`` translations in ``values``
(skip a row), and ``year`` / ``month`` columns that together make a date.
Everything runs on Arrow columns, once per unique value where a value has to
be looked at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ocops.ingest.dates import year_month
from ocops.ingest.mapping import DEFAULT, MONTH, YEAR, Mapping, Matching, file_header, value_key
from ocops.ingest.reader import RawTable


def translate(value: str, translations: dict[str, str | None]) -> str | None:
    """One value through a ``values`` mapping: exact match first, then case and spacing ignored,
    then the ``"*"`` default (for non-empty values); None means the row is skipped."""
    if value in translations:
        return translations[value]
    folded = {value_key(k): v for k, v in translations.items() if k != DEFAULT}
    key = value_key(value)
    if key in folded:
        return folded[key]
    if DEFAULT in translations and value.strip():
        return translations[DEFAULT]
    return value


@dataclass
class Selection:
    """The rows a mapping keeps: the table of those rows, their 1-based file rows, and what was skipped."""

    raw: RawTable
    rows: np.ndarray
    skipped_by: dict[str, int] = field(default_factory=dict)


def _dictionary(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    """(codes per row, unique values) of a string column."""
    encoded = pc.dictionary_encode(pc.fill_null(column, ""))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _skip(keep: np.ndarray, drop: np.ndarray, reason: str, skipped_by: dict[str, int]) -> None:
    """Skip the kept rows of ``drop``, counted under ``reason``."""
    count = int((keep & drop).sum())
    if count:
        skipped_by[reason] = skipped_by.get(reason, 0) + count
        keep &= ~drop


def _skip_values(keep: np.ndarray, column: pa.ChunkedArray, dropped: Callable[[str], bool], reason: str,
                 skipped_by: dict[str, int]) -> None:
    """Skip the kept rows whose value ``dropped`` says so (asked once per unique value),
    counted per value under ``reason`` (formatted with the value)."""
    codes, uniques = _dictionary(column)
    bad = np.array([dropped(u) for u in uniques], dtype=bool)
    if not bad.any():
        return
    drop = bad[codes]
    counts = np.bincount(codes[keep & drop], minlength=len(uniques))
    for index in np.flatnonzero(counts):
        label = reason.format(uniques[index])
        skipped_by[label] = skipped_by.get(label, 0) + int(counts[index])
    keep &= ~drop


def select_rows(raw: RawTable, mapping: Mapping, matching: Matching) -> Selection:
    """Apply ``where``, the indicators ``measures`` lists and ``null`` translations (in that order)."""
    n = raw.rows
    keep = np.ones(n, dtype=bool)
    skipped_by: dict[str, int] = {}
    for name, rule in mapping.where.items():
        header = file_header(raw.headers, name) or name
        inside = pc.is_in(pc.fill_null(raw.column(header), ""), value_set=pa.array(list(rule.values), pa.string()))
        listed = np.asarray(inside.to_numpy(zero_copy_only=False), dtype=bool)
        _skip(keep, ~listed if rule.keep else listed, f"where {header}", skipped_by)
    if mapping.measures is not None:
        header = file_header(raw.headers, mapping.measures.column) or mapping.measures.column
        fields = mapping.measures.fields
        _skip_values(keep, raw.column(header), lambda v: v.strip() not in fields,
                     header.replace("{", "{{").replace("}", "}}") + " '{}' not in measures", skipped_by)
    for target, translations in mapping.values.items():
        source = matching.matched.get(target)
        if source is None or target in mapping.constants or not any(v is None for v in translations.values()):
            continue
        _skip_values(keep, raw.column(source), lambda v, t=translations: translate(v, t) is None,  # type: ignore[misc]
                     target + " '{}' mapped to null", skipped_by)
    if keep.all():
        return Selection(raw, np.arange(1, n + 1), skipped_by)
    mask = pa.array(keep)
    arrow = {h: raw.column(h).filter(mask) for h in raw.headers}
    kept = RawTable(headers=list(raw.headers), encoding=raw.encoding, delimiter=raw.delimiter, kind=raw.kind,
                    notes=list(raw.notes), header_row=raw.header_row, arrow=arrow,
                    untrimmed={h: c.filter(mask) for h, c in raw.untrimmed.items()})
    return Selection(kept, np.flatnonzero(keep) + 1, skipped_by)


def measure_columns(
    raw: RawTable, mapping: Mapping,
) -> tuple[dict[str, pa.Array], dict[str, tuple[np.ndarray, pa.Array]]]:
    """Long format: per field, the value column on the rows whose indicator goes to that field
    (empty elsewhere); and per field given as an indicator's constant, (rows it covers, values)."""
    measures = mapping.measures
    if measures is None:
        return {}, {}
    indicator = file_header(raw.headers, measures.column) or measures.column
    codes, uniques = _dictionary(raw.column(indicator))
    value = pc.fill_null(raw.column(file_header(raw.headers, measures.value) or measures.value), "")
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    entries = [measures.fields.get(u.strip()) for u in uniques]
    targets = sorted({e.field for e in entries if e is not None})
    columns: dict[str, pa.Array] = {}
    for target in targets:
        chosen = np.array([e is not None and e.field == target for e in entries], dtype=bool)
        columns[target] = pc.if_else(pa.array(chosen[codes]), value, "")
    constants: dict[str, tuple[np.ndarray, pa.Array]] = {}
    for name in sorted({c for e in entries if e is not None for c in e.constants}):
        per_unique = np.array([e.constants.get(name) if e is not None else None for e in entries], dtype=object)
        rows = per_unique[codes]
        constants[name] = ((rows != None).astype(bool),  # noqa: E711
                           pa.array(rows, type=pa.string(), from_pandas=True))
    return columns, constants


def year_month_column(year: pa.Array, month: pa.Array, fiscal_start: int) -> pa.Array:
    """A date column from a year and a month column: 'YYYY-MM' (the month of a fiscal year put in
    its calendar year), 'YYYY' without a month, or the two values as written when unreadable."""
    pairs = pc.binary_join_element_wise(pc.fill_null(year, ""), pc.fill_null(month, ""), "\x1f")
    codes, uniques = _dictionary(pairs)
    texts = []
    for pair in uniques:
        y, m = pair.split("\x1f")
        texts.append(year_month(y, m, fiscal_start) or (f"{y} {m}".strip() if y.strip() else ""))
    return pa.array(np.array(texts, dtype=object)[codes], type=pa.string())


def pseudo_date_headers(matching: Matching) -> tuple[str | None, str | None]:
    """The year and month columns that make the date, when ``date`` has no column of its own."""
    if "date" in matching.matched:
        return None, None
    return matching.matched.get(YEAR), matching.matched.get(MONTH)
