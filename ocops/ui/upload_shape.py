"""Upload-page widgets for the shapes of public statistics: header row, row filters, long format,
fiscal years and repeated rows (the mapping keys of CONTRACT.md section 2).

The logic lives in :mod:`ocops.uploads`; widget keys carry the file's digest.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ocops import uploads
from ocops.markup import plain
from ocops.ingest.mapping import Mapping, Measures, Where


def _key(kind: str, upload: uploads.Upload, *parts: str) -> str:
    return ":".join((kind, upload.digest, *parts))


def preset_state(upload: uploads.Upload, mapping: Mapping) -> dict[str, object]:
    """Widget values that show a preset's header row, filters, long format, fiscal year and duplicates."""
    state: dict[str, object] = {_key("fiscal", upload): mapping.fiscal_year_start,
                                _key("dups", upload): mapping.duplicates}
    if mapping.header_row is not None:
        state[_key("hdr", upload)] = mapping.header_row
    if mapping.where:
        state[_key("filters", upload)] = [c for c in mapping.where if c in upload.headers]
        for column, rule in mapping.where.items():
            if column in upload.headers:
                counts = uploads.value_counts(upload.raw, column)
                state[_key("where", upload, column)] = uploads.kept_values(rule, counts)
    measures = mapping.measures
    if measures is not None and {measures.column, measures.value} <= set(upload.headers):
        state.update({_key("long", upload): True, _key("ind", upload): measures.column,
                      _key("valcol", upload): measures.value})
        for name, measure in measures.fields.items():
            state[_key("meas", upload, name)] = measure.field
            state[_key("mitem", upload, name)] = measure.constants.get("seized_item", "")
            state[_key("munit", upload, name)] = measure.constants.get("seized_unit", "")
    return state


def header_row(upload: uploads.Upload, max_bytes: int | None) -> uploads.Upload:
    """The header row, as detected or as the user sets it; the file read again from a changed one."""
    key = _key("hdr", upload)
    st.session_state.setdefault(key, upload.inspection.header_row)
    chosen = int(st.number_input("Header row (the row of the file that names the columns; rows above it are "
                                 "skipped)", min_value=1, max_value=1000, step=1, key=key))
    if chosen == upload.inspection.header_row:
        return upload
    cache = st.session_state.setdefault("_upload_rows", {})
    if (upload.digest, chosen) not in cache:
        cache.clear()
        cache[(upload.digest, chosen)] = uploads.open_upload(upload.data, upload.filename, max_bytes, chosen)
    return cache[(upload.digest, chosen)]


def _with_counts(counts: dict[str, int]) -> Callable[[str], str]:
    return lambda value: uploads.choice_label_with_count(value, counts)


def row_filters(upload: uploads.Upload) -> dict[str, Where]:
    """Row filters: pick columns, then tick the values to keep (each with its row count)."""
    columns = st.multiselect("Keep only some rows (filter on columns such as Sex, Dimension, Age)",
                             upload.headers, key=_key("filters", upload), placeholder="No row filter")
    ticked: dict[str, list[str]] = {}
    for column in columns:
        counts = uploads.value_counts(upload.raw, column)
        ticked[column] = st.multiselect(f"Keep rows whose {plain(column)} is", list(counts),
                                        key=_key("where", upload, column), format_func=_with_counts(counts),
                                        placeholder="Tick the values to keep")
    return uploads.where_rules(ticked)


def long_format(upload: uploads.Upload) -> Measures | None:
    """Long format: an indicator column says which field each row's value feeds."""
    if not st.toggle("Long format: one row per indicator, its figure in one value column",
                     key=_key("long", upload)):
        return None
    left, right = st.columns(2)
    indicator = left.selectbox("Indicator column", upload.headers, index=None, key=_key("ind", upload),
                               placeholder="Choose…")
    value = right.selectbox("Value column", upload.headers, index=None, key=_key("valcol", upload),
                            placeholder="Choose…")
    if not indicator or not value:
        return None
    counts = uploads.value_counts(upload.raw, indicator)
    targets: dict[str, str] = {}
    items: dict[str, tuple[str, str]] = {}
    options = [uploads.SKIP_INDICATOR, *uploads.MEASURE_FIELDS]
    for name in counts:
        key = _key("meas", upload, name)
        st.session_state.setdefault(key, uploads.SKIP_INDICATOR)
        targets[name] = st.selectbox(plain(uploads.choice_label_with_count(name, counts)), options, key=key)
        if targets[name] == "seized_quantity":
            left, right = st.columns(2)
            items[name] = (left.text_input("Seized item", key=_key("mitem", upload, name)),
                           right.text_input("Unit (kg, l, items, ...)", key=_key("munit", upload, name)))
    return uploads.measures_from(indicator, value, targets, items)


def fiscal_year(upload: uploads.Upload) -> int:
    """The month a year starts in (1 = calendar years)."""
    key = _key("fiscal", upload)
    st.session_state.setdefault(key, 1)
    return int(st.selectbox("Years in this file are", list(range(1, 13)), key=key,
                            format_func=lambda m: "calendar years" if m == 1 else
                            f"fiscal years starting in {uploads.MONTH_NAMES[m - 1]} of the year before"))


def duplicates(upload: uploads.Upload) -> str:
    """What happens to rows whose values (figures aside) are all identical."""
    key = _key("dups", upload)
    st.session_state.setdefault(key, "keep")
    return str(st.radio("Rows that repeat every value (figures aside)", list(uploads.DUPLICATE_CHOICES), key=key,
                        format_func=uploads.DUPLICATE_CHOICES.get))


def columns_table(upload: uploads.Upload, mapping: Mapping) -> None:
    """The plain "field <- column (how matched)" table, so a wrong guess is seen before a dry run."""
    st.caption("Which column feeds which field, and how it was matched")
    st.dataframe(uploads.columns_table(upload.headers, mapping), hide_index=True, key="upload_columns")


def skipped(report_skipped: int, table: object) -> None:
    """Rows the mapping leaves out on purpose, by reason (they are not rejected)."""
    if report_skipped:
        st.caption(f"Skipped on purpose by the mapping: {report_skipped:,} rows (not errors)")
        st.dataframe(table, hide_index=True, key="upload_skipped")
