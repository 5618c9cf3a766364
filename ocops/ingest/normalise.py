"""Normalise and validate a raw table into store-ready rows.

Every check runs once per unique value (not per row) and every failure is
collected, pandera-style, as (row, column, value, message). A row with any
failure is rejected; the others are ready to write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ocops.errors import UnusableFile
from ocops.geo import CountryIndex
from ocops.ingest.dates import dominant_dayfirst, parse_period
from ocops.ingest.mapping import Mapping, match_headers
from ocops.ingest.numbers import parse_number, uses_decimal_comma
from ocops.ingest.reader import DELIMITER_NAMES, RawTable
from ocops.ingest.report import RowError
from ocops.schema import COUNTS, FIELD_NAMES, MEASURES, REQUIRED
from ocops.taxonomy import Taxonomy, normalise_unit

STORE_COLUMNS: tuple[str, ...] = (
    "record_id", "operation", "date", "end_date", "country", "country_name", "city",
    "latitude", "longitude", "crime_area", "arrests", "seizures", "victims_rescued",
    "seized_item", "seized_quantity", "seized_unit", "seized_kind", "seized_amount",
    "seized_value_usd", "lead_agency", "source", "notes",
)
KEY_FIELDS: tuple[str, ...] = tuple(f for f in FIELD_NAMES if f not in MEASURES and f != "record_id")
DATE_HELP = "use YYYY-MM-DD, DD/MM/YYYY, DD.MM.YYYY, '5 July 2018', a year or a month"
UNIT_HELP = "use kg, g, t, lb, l, ml or items"

Check = Callable[[str], tuple[Any, str | None]]


@dataclass
class Prepared:
    """A file after normalisation: valid rows ready to write, and every failure."""

    frame: pd.DataFrame
    errors: list[RowError]
    rows_read: int
    rejected: int
    ignored_columns: list[str]
    matched: dict[str, str]
    detected: dict[str, Any] = field(default_factory=dict)


def _check_unique(series: pd.Series, check: Check) -> tuple[pd.Series, pd.Series]:
    """Run ``check`` once per unique value; return (parsed values, error messages)."""
    results: dict[Hashable, tuple[Any, str | None]] = {v: check(v) for v in pd.unique(series)}
    parsed = series.map({k: r[0] for k, r in results.items()})
    messages = series.map({k: r[1] for k, r in results.items()})
    return parsed, messages


class _Errors:
    """Collects failures column by column, vectorised."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows
        self.parts: list[pd.DataFrame] = []

    def add(self, column: str, values: pd.Series, messages: pd.Series) -> None:
        mask = messages.notna().to_numpy()
        if mask.any():
            self.parts.append(pd.DataFrame({
                "row": self.rows[mask], "column": column,
                "value": values[mask].astype(str).to_numpy(), "message": messages[mask].to_numpy(),
            }))

    def add_mask(self, column: str, values: pd.Series, mask: np.ndarray, message: str | pd.Series) -> None:
        if mask.any():
            text = message[mask].to_numpy() if isinstance(message, pd.Series) else message
            self.parts.append(pd.DataFrame({
                "row": self.rows[mask], "column": column,
                "value": values[mask].astype(str).to_numpy(), "message": text,
            }))

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=["row", "column", "value", "message"])
        order = {name: i for i, name in enumerate(FIELD_NAMES)}
        table = pd.concat(self.parts, ignore_index=True)
        table["_order"] = table["column"].map(order).fillna(len(order))
        return table.sort_values(["row", "_order"], kind="stable").drop(columns="_order")


def _source_columns(raw: RawTable, mapping: Mapping) -> tuple[dict[str, pd.Series], dict[str, str], list[str]]:
    matched, unmatched = match_headers(raw.headers, mapping)
    missing = [f for f in REQUIRED if f not in matched and f not in mapping.constants]
    if missing:
        raise UnusableFile(
            f"No column for the required field(s) {', '.join(missing)}: the file's columns are "
            f"{', '.join(raw.headers)}. Rename a column, map it (mapping 'columns') or give a constant "
            "(mapping 'constants', e.g. the country of a national file)."
        )
    n = raw.rows
    columns: dict[str, pd.Series] = {}
    for name in FIELD_NAMES:
        if name in mapping.constants:
            series = pd.Series([mapping.constants[name].strip()] * n, dtype=object)
        elif name in matched:
            series = raw.frame[matched[name]].astype(object)
        else:
            series = pd.Series([""] * n, dtype=object)
        translations = mapping.values.get(name)
        if translations:
            series = series.map(lambda v, t=translations: t.get(v, v))
        columns[name] = series.reset_index(drop=True)
    return columns, matched, unmatched


def _text(value: str) -> tuple[str | None, str | None]:
    text = " ".join(value.split())
    return (text or None), None


def normalise(raw: RawTable, mapping: Mapping, countries: CountryIndex, taxonomy: Taxonomy) -> Prepared:
    """Validate and normalise every row of ``raw``; file-level problems raise UnusableFile."""
    if raw.rows == 0:
        raise UnusableFile("The file has a header but no data rows: add at least one row.")
    src, matched, unmatched = _source_columns(raw, mapping)
    rows = np.arange(1, raw.rows + 1)
    errors = _Errors(rows)
    out: dict[str, pd.Series] = {}

    for name in ("record_id", "operation", "city", "seized_item", "lead_agency", "source", "notes"):
        out[name], _ = _check_unique(src[name], _text)
    for name in ("operation",):
        empty = out[name].isna().to_numpy()
        errors.add_mask(name, src[name], empty, f"{name} is required but empty")

    date_values = [str(v) for v in pd.unique(pd.concat([src["date"], src["end_date"]]))]
    dayfirst = mapping.dayfirst if mapping.dayfirst is not None else dominant_dayfirst(date_values)

    def check_date(value: str) -> tuple[Any, str | None]:
        if not value.strip():
            return (None, None), None
        period = parse_period(value, dayfirst)
        if period is None:
            return (None, None), f"'{value}' is not a date: {DATE_HELP}"
        return period, None

    starts, start_errors = _check_unique(src["date"], check_date)
    errors.add("date", src["date"], start_errors)
    errors.add_mask("date", src["date"], (src["date"].str.strip() == "").to_numpy(), "date is required but empty")
    ends, end_errors = _check_unique(src["end_date"], check_date)
    errors.add("end_date", src["end_date"], end_errors)
    start_day = starts.map(lambda p: p[0] if isinstance(p, tuple) else None)
    period_end = starts.map(lambda p: p[1] if isinstance(p, tuple) else None)
    end_day = ends.map(lambda p: (p[1] or p[0]) if isinstance(p, tuple) else None)
    out["date"] = start_day
    out["end_date"] = end_day.where(end_day.notna(), period_end)
    both = (out["date"].notna() & out["end_date"].notna()).to_numpy()
    bad_order = both.copy()
    bad_order[both] = (out["end_date"][both] < out["date"][both]).to_numpy()
    errors.add_mask("end_date", src["end_date"].where(src["end_date"] != "", out["end_date"].astype(str)),
                    bad_order, "end_date is before date")

    def check_country(value: str) -> tuple[Any, str | None]:
        if not value.strip():
            return None, "country is required but empty"
        country = countries.resolve(value)
        if country is None:
            hint = countries.suggest(value)
            return None, f"unknown country '{value}'" + (f" (did you mean {' or '.join(hint)}?)" if hint else "")
        return country, None

    resolved, country_errors = _check_unique(src["country"], check_country)
    errors.add("country", src["country"], country_errors)
    out["country"] = resolved.map(lambda c: c.iso3 if c is not None else None)
    out["country_name"] = resolved.map(lambda c: c.name if c is not None else None)

    def check_area(value: str) -> tuple[Any, str | None]:
        if not value.strip():
            return None, "crime_area is required but empty"
        area = taxonomy.resolve(value)
        if area is None:
            hint = ", ".join(taxonomy.suggest(value))
            return None, (f"unknown crime area '{value}' (closest: {hint}); "
                          "map it to one of the crime areas with a value mapping")
        return area, None

    out["crime_area"], area_errors = _check_unique(src["crime_area"], check_area)
    errors.add("crime_area", src["crime_area"], area_errors)

    numeric = ("latitude", "longitude", *COUNTS, "seized_quantity", "seized_value_usd")
    number_values = [str(v) for name in numeric for v in pd.unique(src[name])]
    decimal_comma = uses_decimal_comma(number_values, raw.delimiter)

    def number_check(name: str) -> Check:
        is_count = name in COUNTS
        low, high = {"latitude": (-90, 90), "longitude": (-180, 180)}.get(name, (0, None))

        def check(value: str) -> tuple[Any, str | None]:
            if not value.strip():
                return (0 if is_count else None), None
            number = parse_number(value, decimal_comma)
            if number is None:
                return None, f"{name} '{value}' is not a number"
            if is_count and not number.is_integer():
                return None, f"{name} '{value}' is not a whole number"
            if number < low or (high is not None and number > high):
                limits = f"between {low} and {high}" if high is not None else "0 or more"
                return None, f"{name} {value} is out of range: it must be {limits}"
            return (int(number) if is_count else number), None

        return check

    for name in numeric:
        out[name], messages = _check_unique(src[name], number_check(name))
        errors.add(name, src[name], messages)
    lat_only = (out["latitude"].notna() ^ out["longitude"].notna()).to_numpy()
    errors.add_mask("latitude" if out["latitude"].notna().any() else "longitude",
                    src["latitude"].where(src["latitude"] != "", src["longitude"]), lat_only,
                    "give both latitude and longitude, or neither")

    units, _ = _check_unique(src["seized_unit"], lambda v: (normalise_unit(v) if v.strip() else None, None))
    bad_unit = (units.isna() & (src["seized_unit"].str.strip() != "")).to_numpy()
    errors.add_mask("seized_unit", src["seized_unit"], bad_unit,
                    src["seized_unit"].map(lambda v: f"unknown unit '{v}': {UNIT_HELP}"))
    no_unit = (out["seized_quantity"].notna() & (src["seized_unit"].str.strip() == "")).to_numpy()
    errors.add_mask("seized_unit", src["seized_quantity"], no_unit,
                    f"seized_quantity has no seized_unit: {UNIT_HELP}")
    out["seized_unit"], _ = _check_unique(src["seized_unit"], _text)
    has_amount = (out["seized_quantity"].notna() & units.notna()).to_numpy()
    out["seized_kind"] = units.map(lambda u: u.kind if u is not None else None).where(has_amount, None)
    factor = units.map(lambda u: u.factor if u is not None else np.nan).astype(float)
    out["seized_amount"] = (out["seized_quantity"].astype(float) * factor).where(has_amount, None)

    table = errors.table()
    bad_rows = set(table["row"].tolist())
    frame = pd.DataFrame({name: out[name] for name in STORE_COLUMNS})
    frame["row"] = rows
    extra = {h: raw.frame[h].reset_index(drop=True) for h in unmatched}
    frame["key"] = _keys(frame, extra)
    frame["value_hash"] = _hash_columns([frame[c] for c in STORE_COLUMNS])
    frame = frame[~frame["row"].isin(bad_rows)]
    first_row = frame.drop_duplicates("key").set_index("key")["row"]
    duplicate = frame["key"].duplicated().to_numpy()
    if duplicate.any():
        dups = frame[duplicate]
        is_id = dups["record_id"].notna()
        extra_errors = pd.DataFrame({
            "row": dups["row"].to_numpy(),
            "column": np.where(is_id, "record_id", "row"),
            "value": np.where(is_id, dups["record_id"].astype(str), ""),
            "message": [f"duplicate of row {first_row[k]}" for k in dups["key"]],
        })
        table = pd.concat([table, extra_errors], ignore_index=True).sort_values("row", kind="stable")
        frame = frame[~duplicate]
    row_errors = [RowError(int(r.row), str(r.column), str(r.value), str(r.message))
                  for r in table.itertuples(index=False)]
    return Prepared(
        frame=frame.reset_index(drop=True), errors=row_errors, rows_read=raw.rows,
        rejected=raw.rows - len(frame), ignored_columns=unmatched, matched=matched,
        detected={"encoding": raw.encoding, "delimiter": DELIMITER_NAMES.get(raw.delimiter, raw.delimiter),
                  "kind": raw.kind, "dayfirst": dayfirst, "decimal_comma": decimal_comma},
    )


def _as_text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))


def _hash_columns(columns: list[pd.Series]) -> list[str]:
    joined = _as_text(columns[0]).str.cat([_as_text(c) for c in columns[1:]], sep="\x1f")
    return [hashlib.sha256(s.encode()).hexdigest()[:32] for s in joined]


def _keys(frame: pd.DataFrame, extra: dict[str, pd.Series]) -> pd.Series:
    """record_id when given, else a hash of every non-measure value (unmapped columns included)."""
    parts = [frame[name] for name in KEY_FIELDS]
    parts += [f"{header}=" + series.astype(str) for header, series in sorted(extra.items())]
    hashed = pd.Series(["h:" + h for h in _hash_columns(parts)], index=frame.index)
    ids = frame["record_id"]
    return ("id:" + ids.astype(str)).where(ids.notna(), hashed)

