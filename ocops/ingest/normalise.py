"""Normalise and validate a raw table into store-ready rows.

Every column is factorised once: each check runs on the column's unique
values (vectorised where pandas can, otherwise one Python call per unique
value, never per row) and the results are spread back to the rows with a
numpy ``take``. Every failure is collected, pandera-style, as (row, column,
value, message); a row with any failure is rejected, the others are ready
to write.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ocops.errors import UnusableFile
from ocops.geo import CountryIndex
from ocops.ingest.dates import dominant_dayfirst, parse_period
from ocops.ingest.mapping import (
    COORDINATES,
    MONTH,
    YEAR,
    Mapping,
    Matching,
    ignored_headers,
    is_code_header,
    match_columns,
)
from ocops.ingest.numbers import parse_numbers, uses_decimal_comma
from ocops.ingest.quantities import RowQuantities, normalise_quantities
from ocops.ingest.reader import DELIMITER_NAMES, PY_WHITESPACE, RawTable
from ocops.ingest.report import RowError
from ocops.ingest.shape import measure_columns, pseudo_date_headers, select_rows, translate, year_month_column
from ocops.schema import COUNTS, EARLIEST_DATE, FIELD_NAMES, LATEST_DATE, MAX_AMOUNT, MAX_COUNT, MEASURES, REQUIRED
from ocops.seized_items import SeizedItems, load_seized_items
from ocops.taxonomy import Taxonomy, normalise_unit

STORE_COLUMNS: tuple[str, ...] = (
    "record_id", "operation", "date", "end_date", "country", "country_name", "city",
    "latitude", "longitude", "crime_area", "arrests", "seizures", "victims_rescued",
    "seized_item", "seized_quantity", "seized_unit", "seized_kind", "seized_amount",
    "seized_value_usd", "lead_agency", "source", "notes",
)
KEY_FIELDS: tuple[str, ...] = tuple(f for f in FIELD_NAMES if f not in MEASURES and f != "record_id")
TEXT_FIELDS: tuple[str, ...] = ("record_id", "operation", "city", "seized_item", "seized_unit",
                                "lead_agency", "source", "notes")
NUMERIC_FIELDS: tuple[str, ...] = ("latitude", "longitude", *COUNTS, "seized_quantity", "seized_value_usd")
DATE_HELP = "use YYYY-MM-DD, DD/MM/YYYY, DD.MM.YYYY, '5 July 2018', a year or a month"
UNIT_HELP = "use kg, g, t, lb, l, ml or items"
COORDINATES_HELP = ("use a GeoJSON-style point such as {'type': 'Point', 'coordinates': [lon, lat]} "
                    "or WKT POINT (lon lat)")
COUNTRY_SUGGESTION_CUTOFF = 0.75
NEAR_ZERO = 1e-6
HASH_BLOCK = 100_000  # rows joined and hashed at a time
EVIDENCE_VALUES = 5000  # unique values per column that vote on the decimal mark
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_GEOJSON_POINT = re.compile(rf"coordinates['\"]?\s*:\s*[\[(\s]*({_NUMBER})\s*,\s*({_NUMBER})")
_WKT_POINT = re.compile(rf"^\s*(?:MULTI)?POINT\s*(?:Z|M|ZM)?\s*\(+\s*({_NUMBER})\s+({_NUMBER})", re.IGNORECASE)


@dataclass
class Prepared:
    """A file after normalisation: valid rows ready to write, and every failure.

    ``columns`` holds the valid rows column by column (STORE_COLUMNS, then
    ``row``, ``key`` and ``value_hash``); ``frame`` is the same as a DataFrame.
    """

    columns: dict[str, np.ndarray]
    errors: list[RowError]
    rows_read: int
    rejected: int
    ignored_columns: list[str]
    matched: dict[str, str]
    detected: dict[str, Any] = field(default_factory=dict)
    header_row: int = 1
    columns_used: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {"from", "how"}
    skipped_by: dict[str, int] = field(default_factory=dict)
    quantities: dict[str, np.ndarray] = field(default_factory=dict)  # ocops.ingest.quantities.QUANTITY_COLUMNS
    unknown_items: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Rows left out on purpose by the mapping (``where``, ``measures``, ``null``, ``duplicates: sum``)."""
        return sum(self.skipped_by.values())

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The valid rows as a DataFrame (built on first use; the importer writes from ``columns``)."""
        return pd.DataFrame(self.columns)


@dataclass
class Factor:
    """A column as codes into its unique values (``dictionary[codes]`` is the column)."""

    codes: np.ndarray
    dictionary: pa.Array

    @classmethod
    def of(cls, values: pd.Series | np.ndarray | pa.Array | pa.ChunkedArray) -> Factor:
        """Factorise a column of strings (Arrow's hash table: codes in order of first appearance)."""
        if not isinstance(values, pa.Array | pa.ChunkedArray):
            values = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
        encoded = pc.dictionary_encode(pc.fill_null(values, ""))
        chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
        if not chunks:
            return cls(np.zeros(0, dtype=np.int32), pa.array([], type=pa.string()))
        # One memo table serves every chunk, so the longest dictionary holds them all.
        dictionary = max((c.dictionary for c in chunks), key=len)
        codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
        return cls(codes, dictionary)

    @classmethod
    def constant(cls, value: str, rows: int) -> Factor:
        """The same value on every row."""
        return cls(np.zeros(rows, dtype=np.int32), pa.array([value], type=pa.string()))

    @cached_property
    def uniques(self) -> pd.Series:
        """The unique values as a pandas string Series."""
        return self.dictionary.to_pandas().astype("str")

    @cached_property
    def strings(self) -> np.ndarray:
        """The unique values as an object array."""
        return self.dictionary.to_numpy(zero_copy_only=False).astype(object)

    @cached_property
    def blank(self) -> np.ndarray:
        """Per row: whether the value is the empty string."""
        return (self.strings == "")[self.codes]

    def values(self) -> np.ndarray:
        """The column itself, one object per row (shared string objects)."""
        return self.strings[self.codes]

    def text(self, per_unique: list[str] | np.ndarray, blank: np.ndarray | None = None) -> Text:
        """Per-row text for keys and hashes from per-unique texts."""
        return Text(self.codes, per_unique, blank)

    def spread(self, per_unique: np.ndarray | list[Any]) -> np.ndarray:
        """Per-unique results as a per-row object array."""
        array = np.empty(len(self.uniques), dtype=object)
        array[:] = per_unique if isinstance(per_unique, np.ndarray) else _objects(per_unique)
        return array[self.codes]

    def each(self, check: Callable[[str], Any]) -> list[Any]:
        """Run ``check`` once per unique value."""
        return [check(v) for v in self.uniques.tolist()]


@dataclass
class Text:
    """A field's per-row text form for keys and hashes, kept compact until it is joined:
    per-unique texts spread by ``codes`` (or per-row texts when ``codes`` is None),
    empty on the rows of ``blank``."""

    codes: np.ndarray | None
    texts: list[str] | np.ndarray | pa.Array
    blank: np.ndarray | None = None

    @cached_property
    def _values(self) -> pa.Array:
        values = self.texts
        if not isinstance(values, pa.Array):
            values = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
        return pc.fill_null(values, "")

    def arrow(self, start: int = 0, stop: int | None = None) -> pa.Array:
        """The per-row texts of rows ``start:stop`` as an Arrow string array (None as "")."""
        values, rows = self._values, slice(start, stop)
        if self.codes is not None and len(values) != len(self.codes):  # else codes are 0..n-1
            values = values.take(pa.array(self.codes[rows]))
        elif start or stop is not None:
            values = values.slice(start, None if stop is None else stop - start)
        blank = None if self.blank is None else self.blank[rows]
        if blank is not None and blank.any():
            values = pc.if_else(pa.array(blank), "", values)
        return values


def _objects(items: list[Any]) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


class _Errors:
    """Collects failures column by column, vectorised."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows
        self.parts: list[pd.DataFrame] = []
        self.bad = np.zeros(len(rows), dtype=bool)

    def add(self, column: str, values: np.ndarray | Factor, mask: np.ndarray, message: str | np.ndarray) -> None:
        """Reject the rows of ``mask`` with ``message`` (one text, or one per row)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        text = message[mask] if isinstance(message, np.ndarray) else message
        shown = (values.strings[values.codes[mask]] if isinstance(values, Factor)
                 else np.asarray(values, dtype=object)[mask])
        self.parts.append(pd.DataFrame({"row": self.rows[mask], "column": column, "value": shown, "message": text}))

    def table(self) -> pd.DataFrame:
        """All failures sorted by row, then by field order."""
        if not self.parts:
            return pd.DataFrame(columns=["row", "column", "value", "message"])
        order = {name: i for i, name in enumerate((*FIELD_NAMES[:7], COORDINATES, *FIELD_NAMES[7:]))}
        table = pd.concat(self.parts, ignore_index=True)
        table["_order"] = table["column"].map(order).fillna(len(order))
        return table.sort_values(["row", "_order"], kind="stable").drop(columns="_order")


def _translate(factor: Factor, translations: dict[str, str | None]) -> Factor:
    """Apply a ``values`` mapping: exact match first, else case and spacing ignored, else ``"*"``
    (a ``null`` translation has skipped its rows already)."""
    out = [translate(v, translations) for v in factor.uniques.tolist()]
    return Factor.of(factor.spread(["" if v is None else str(v).strip() for v in out]))


def _arrow_strings(factor: Factor) -> pa.Array:
    return factor.dictionary.take(pa.array(factor.codes))


def _source_columns(
    raw: RawTable, mapping: Mapping, matching: Matching
) -> tuple[dict[str, Factor], dict[str, str], list[str], dict[str, Factor]]:
    """Each field's source strings (column, constant, measures or empty) after ``values``, factorised,
    plus the untranslated strings of the fields that a ``values`` mapping translated."""
    matched, unmatched = dict(matching.matched), list(matching.unmatched)
    measured, indicator_constants = measure_columns(raw, mapping)
    year_header, month_header = pseudo_date_headers(matching)
    has_coordinates = COORDINATES in matched
    given = set(matched) | set(mapping.constants) | set(measured) | set(indicator_constants)
    if year_header is not None:
        given.add("date")
    missing = [f for f in REQUIRED if f not in given]
    if missing:
        raise UnusableFile(
            f"No column for the required field(s) {', '.join(missing)}: the file's columns are "
            f"{', '.join(raw.headers)}. Rename a column, map it (mapping 'columns') or give a constant "
            "(mapping 'constants', e.g. the country of a national file)."
        )
    n = raw.rows
    columns: dict[str, Factor] = {}
    originals: dict[str, Factor] = {}
    names = (*FIELD_NAMES, COORDINATES) if has_coordinates else FIELD_NAMES
    pseudo: dict[str, Factor] = {}
    for name, header in ((YEAR, year_header), (MONTH, month_header)):
        factor = Factor.of(raw.column(header)) if header else Factor.constant("", n)
        pseudo[name] = _translate(factor, mapping.values[name]) if mapping.values.get(name) else factor
    for name in names:
        if name in measured:
            factor = Factor.of(measured[name])
        elif name in mapping.constants:
            factor = Factor.constant(mapping.constants[name].strip(), n)
        elif name in matched:
            factor = Factor.of(raw.column(matched[name]))
        elif name == "date" and year_header is not None:
            factor = Factor.of(year_month_column(_arrow_strings(pseudo[YEAR]), _arrow_strings(pseudo[MONTH]),
                                                 mapping.fiscal_year_start))
        else:
            factor = Factor.constant("", n)
        if name in indicator_constants:
            rows, values = indicator_constants[name]
            factor = Factor.of(pc.if_else(pa.array(rows), values, _arrow_strings(factor)))
        translations = mapping.values.get(name)
        if translations:
            originals[name] = factor
            factor = _translate(factor, translations)
        columns[name] = factor
    return columns, matched, unmatched, originals


_WHITESPACE_RUN = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE) + "]+"  # Python's \\s+, for RE2
VERBATIM_FIELDS = frozenset({"lead_agency", "source", "notes"})  # CONTRACT.md section 1: stored verbatim


def _clean_text(factor: Factor, verbatim: bool = False) -> pa.Array:
    """None for empty; otherwise trimmed with inner whitespace collapsed, or kept as written
    for the verbatim fields (per unique, in Arrow, with Python's notion of whitespace)."""
    values = factor.dictionary
    trimmed = pc.utf8_trim(values, characters=PY_WHITESPACE)
    if verbatim:
        text = values
    else:
        text = pc.utf8_trim(pc.replace_substring_regex(values, _WHITESPACE_RUN, " "), characters=PY_WHITESPACE)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), text)


_TIME_ONLY = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")


def _not_a_date(value: str) -> str:
    """Why ``value`` is not a date; a bare time is what a workbook gives for a date before 1900."""
    if _TIME_ONLY.fullmatch(value.strip()):
        return (f"'{value}' is a time without a date (a workbook shows a date before 1900-01-01, "
                f"such as 1899-12-31, this way): dates must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return f"'{value}' is not a date: {DATE_HELP}"


class Normaliser:
    """One file's normalisation; :func:`normalise` is the entry point."""

    def __init__(self, raw: RawTable, mapping: Mapping, countries: CountryIndex, taxonomy: Taxonomy,
                 matching: Matching | None = None, rows: np.ndarray | None = None,
                 items: SeizedItems | None = None) -> None:
        self.raw, self.mapping, self.countries, self.taxonomy = raw, mapping, countries, taxonomy
        self.items = items or load_seized_items()
        self.quantities = RowQuantities({})
        self.matching = matching or match_columns(raw.headers, mapping)
        self.factors, self.matched, self.unmatched, self.originals = _source_columns(raw, mapping, self.matching)
        self.rows = np.arange(1, raw.rows + 1) if rows is None else rows
        self.skipped_by: dict[str, int] = {}
        self.errors = _Errors(self.rows)
        self.out: dict[str, np.ndarray] = {}
        self.text: dict[str, Text] = {}  # per-row text form of each field, for keys and hashes
        self.detected: dict[str, Any] = {}

    def _set(self, name: str, factor: Factor, values: np.ndarray | list[Any] | pa.Array) -> None:
        if isinstance(values, pa.Array):
            self.out[name] = factor.spread(values.to_numpy(zero_copy_only=False).astype(object))
            self.text[name] = factor.text(values)
            return
        per_unique = values if isinstance(values, np.ndarray) else _objects(values)
        self.out[name] = factor.spread(per_unique)
        self.text[name] = factor.text(["" if v is None else str(v) for v in per_unique.tolist()])

    def texts(self) -> None:
        """Free-text fields; operation is required."""
        for name in TEXT_FIELDS:
            factor = self.factors[name]
            self._set(name, factor, _clean_text(factor, verbatim=name in VERBATIM_FIELDS))
            header = self.matched.get(name)
            if name in VERBATIM_FIELDS and header in self.raw.untrimmed and name not in self.mapping.constants \
                    and not self.mapping.values.get(name):
                # stored as written, spaces at the edges included; the key and value hash keep the trimmed text
                written = self.raw.untrimmed[header].to_numpy(zero_copy_only=False)
                self.out[name] = np.asarray(np.where(self.out[name] == None, None, written))  # noqa: E711
        empty = (self.out["operation"] == None).astype(bool)  # noqa: E711
        self.errors.add("operation", self.factors["operation"], empty, "operation is required but empty")

    def dates(self) -> None:
        """date / end_date with periods, the dominant slash order and end >= start."""
        starts, ends = self.factors["date"], self.factors["end_date"]
        if self.mapping.dayfirst is not None:
            dayfirst = self.mapping.dayfirst
        else:
            dayfirst = dominant_dayfirst(starts.uniques.tolist() + ends.uniques.tolist())
        self.detected["dayfirst"] = dayfirst

        def parse(factor: Factor) -> tuple[list[str | None], list[str | None], list[str | None]]:
            first: list[str | None] = []
            last: list[str | None] = []
            problems: list[str | None] = []
            for value in factor.uniques.tolist():
                period = parse_period(value, dayfirst, self.mapping.fiscal_year_start) if value.strip() else None
                if period and not EARLIEST_DATE <= period[0] <= (period[1] or period[0]) <= LATEST_DATE:
                    first.append(None)
                    last.append(None)
                    problems.append(f"'{value}' is outside the dates ocops accepts "
                                    f"({EARLIEST_DATE} to {LATEST_DATE}): check the year")
                    continue
                first.append(period[0].isoformat() if period else None)
                last.append(period[1].isoformat() if period and period[1] else None)
                problems.append(None if period or not value.strip() else _not_a_date(value))
            return first, last, problems

        s_first, s_last, s_bad = parse(starts)
        e_first, e_last, e_bad = parse(ends)
        date = starts.spread(s_first)
        period_end = starts.spread(s_last)
        given_end = ends.spread([b or a for a, b in zip(e_first, e_last, strict=True)])
        for name, factor, bad in (("date", starts, s_bad), ("end_date", ends, e_bad)):
            messages = factor.spread(bad)
            self.errors.add(name, self.factors[name], messages != None, messages)  # noqa: E711
        empty = self.factors["date"].blank
        self.errors.add("date", self.factors["date"], empty, "date is required but empty")
        end = np.where(given_end != None, given_end, period_end)  # noqa: E711
        both = (date != None) & (end != None)  # noqa: E711
        before = np.zeros(len(date), dtype=bool)
        before[both] = (end[both] < date[both]).astype(bool)  # ISO texts compare like dates
        if before.any():
            shown = np.where(self.factors["end_date"].blank, end, self.factors["end_date"].values())
            self.errors.add("end_date", shown, before, "end_date is before date")
        self.out["date"], self.out["end_date"] = date, end
        self.text["date"] = starts.text([v or "" for v in s_first])
        self.text["end_date"] = Text(None, end)

    def country(self) -> None:
        """Names, ISO2, ISO3 (and Kosovo) to ISO3 + canonical name; suggestions only when close."""
        factor = self.factors["country"]
        header = self.matched.get("country")
        codes_only = header is not None and "country" not in self.mapping.constants and is_code_header(header)
        translated = set()
        if "country" in self.originals:
            translations = self.mapping.values["country"]
            translated = {v for v in self.originals["country"].uniques.tolist()
                          if translate(v, translations) != v}
            translated = {str(translate(v, translations)).strip() for v in translated}

        def resolve(value: str) -> Any:
            if not value.strip():
                return None
            if codes_only and value not in translated:
                return self.countries.resolve_code(value)
            return self.countries.resolve(value)

        found = factor.each(resolve)

        def problem(value: str, country: Any) -> str | None:
            if country is not None:
                return None
            if not value.strip():
                return "country is required but empty"
            if self.countries.is_aggregate(value):
                return (f"'{value}' is a regional aggregate or not a country: map it to a country, or skip "
                        f"such rows with \"values\": {{\"country\": {{\"{value}\": null}}}}")
            if codes_only and value not in translated:
                return (f"'{value}' is not an ISO 3166 country code: the column {header} holds codes, "
                        "and regional or aggregate codes are not countries")
            hint = self.countries.suggest(value, cutoff=COUNTRY_SUGGESTION_CUTOFF)
            return f"unknown country '{value}'" + (f" (did you mean {' or '.join(hint)}?)" if hint else "")

        messages = factor.spread([problem(v, c) for v, c in zip(factor.uniques.tolist(), found, strict=True)])
        self.errors.add("country", self.factors["country"], messages != None, messages)  # noqa: E711
        self._set("country", factor, [c.iso3 if c else None for c in found])
        self._set("country_name", factor, [c.name if c else None for c in found])

    def crime_area(self) -> None:
        """Crime areas via names and aliases; an unknown one is rejected with the closest areas."""
        factor = self.factors["crime_area"]
        areas = factor.each(lambda v: self.taxonomy.resolve(v) if v.strip() else None)

        def problem(value: str, area: str | None) -> str | None:
            if area is not None:
                return None
            if not value.strip():
                return "crime_area is required but empty"
            hint = ", ".join(self.taxonomy.suggest(value))
            return (f"unknown crime area '{value}' (closest: {hint}): "
                    "map it to one of the crime areas with a value mapping")

        messages = factor.spread([problem(v, a) for v, a in zip(factor.uniques.tolist(), areas, strict=True)])
        self.errors.add("crime_area", self.factors["crime_area"], messages != None, messages)  # noqa: E711
        self._set("crime_area", factor, areas)

    def _number(self, name: str, factor: Factor, numbers: np.ndarray) -> None:
        """Validate parsed per-unique numbers of one field and store them."""
        raw = factor.uniques.tolist()
        empty = np.array([not v.strip() for v in raw], dtype=bool)
        is_count = name in COUNTS
        coordinate = name in ("latitude", "longitude")
        low, high = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0)}.get(
            name, (0.0, float(MAX_COUNT if is_count else MAX_AMOUNT)))
        bad_number = np.isnan(numbers) & ~empty
        whole = np.isnan(numbers) | (numbers == np.floor(numbers))
        out_of_range = (numbers < low) | (numbers > high)
        messages = np.full(len(raw), None, dtype=object)
        for i in np.flatnonzero(bad_number | out_of_range | (is_count & ~whole)):
            value = raw[i]
            if bad_number[i]:
                messages[i] = f"{name} '{value}' is not a number"
            elif is_count and not whole[i]:
                messages[i] = f"{name} '{value}' is not a whole number"
            elif not coordinate and numbers[i] > high:
                what = "a count" if is_count else "it"
                messages[i] = f"{name} '{value}' is too large: {what} must be at most {high:,.0f}"
            elif not coordinate:
                messages[i] = f"{name} '{value}' is negative: it must be 0 or more"
            else:
                messages[i] = f"{name} '{value}' is out of range: it must be between {low:g} and {high:g}"
        row_messages = factor.spread(messages)
        self.errors.add(name, factor.values(), row_messages != None,  # noqa: E711
                        row_messages)
        valid = ~np.isnan(numbers) & (messages == None)  # noqa: E711
        if is_count:
            values = np.where(valid, numbers, 0).astype(np.int64)
            self.out[name] = values[factor.codes]
            self.text[name] = factor.text([str(v) for v in values.tolist()])
        else:
            per_unique = np.where(valid, numbers, np.nan)
            self.out[name] = per_unique[factor.codes]
            self.text[name] = factor.text([repr(x) if x == x else "" for x in per_unique.tolist()])

    def numbers(self) -> None:
        """Counts, quantities, values and coordinates with the file's decimal mark."""
        factors = {name: self.factors[name] for name in NUMERIC_FIELDS}
        evidence = [v for name in NUMERIC_FIELDS for v in factors[name].uniques.iloc[:EVIDENCE_VALUES].tolist()]
        decimal_comma = uses_decimal_comma(evidence, self.raw.delimiter)
        self.detected["decimal_comma"] = decimal_comma
        if COORDINATES in self.factors:
            self._coordinates()
        for name in NUMERIC_FIELDS:
            if name in ("latitude", "longitude") and COORDINATES in self.factors:
                continue
            factor = factors[name]
            self._number(name, factor, parse_numbers(factor.uniques, decimal_comma))
        lat, lon = self.out["latitude"].astype(float), self.out["longitude"].astype(float)
        null_island = (np.abs(lat) < NEAR_ZERO) & (np.abs(lon) < NEAR_ZERO)
        for name in ("latitude", "longitude"):
            self.out[name] = np.where(null_island, np.nan, self.out[name].astype(float))
            text = self.text[name]
            blank = null_island if text.blank is None else text.blank | null_island
            self.text[name] = Text(text.codes, text.texts, blank)
        lat, lon = self.out["latitude"], self.out["longitude"]
        given_lat, given_lon = ~self.factors["latitude"].blank, ~self.factors["longitude"].blank
        only_lat = given_lat & ~given_lon & ~np.isnan(lat)
        only_lon = given_lon & ~given_lat & ~np.isnan(lon)
        self.errors.add("longitude", self.factors["latitude"], only_lat, "give both latitude and longitude, or neither")
        self.errors.add("latitude", self.factors["longitude"], only_lon, "give both latitude and longitude, or neither")

    def _coordinates(self) -> None:
        """Longitude and latitude parsed out of one geometry column (GeoJSON-like or WKT)."""
        factor = self.factors[COORDINATES]
        pairs: list[tuple[str, str]] = []
        problems: list[str | None] = []
        for value in factor.uniques.tolist():
            match = _GEOJSON_POINT.search(value) or _WKT_POINT.match(value)
            pairs.append((match.group(1), match.group(2)) if match else ("", ""))
            problems.append(None if match or not value.strip()
                            else f"coordinates '{value[:80]}' hold no longitude and latitude: {COORDINATES_HELP}")
        messages = factor.spread(problems)
        self.errors.add(COORDINATES, factor, messages != None, messages)  # noqa: E711
        self.factors["longitude"] = Factor.of(factor.spread([p[0] for p in pairs]))
        self.factors["latitude"] = Factor.of(factor.spread([p[1] for p in pairs]))
        for name in ("latitude", "longitude"):
            inner = self.factors[name]
            self._number(name, inner, parse_numbers(inner.uniques, False))

    def units(self) -> None:
        """Seizure units to kg / l / items; the original quantity and unit are kept."""
        factor = self.factors["seized_unit"]
        units = factor.each(lambda v: normalise_unit(v) if v.strip() else None)
        unknown = [f"unknown unit '{v}': {UNIT_HELP}" if v.strip() and u is None else None
                   for v, u in zip(factor.uniques.tolist(), units, strict=True)]
        messages = factor.spread(unknown)
        self.errors.add("seized_unit", factor, messages != None, messages)  # noqa: E711
        quantity = self.out["seized_quantity"].astype(float)
        no_unit = ~np.isnan(quantity) & factor.blank
        self.errors.add("seized_unit", self.factors["seized_quantity"], no_unit,
                        f"seized_quantity has no seized_unit: {UNIT_HELP}")
        kinds = factor.spread([u.kind if u else None for u in units])
        factors = np.array([u.factor if u else np.nan for u in units], dtype=float)[factor.codes]
        has_amount = ~np.isnan(quantity) & (kinds != None)  # noqa: E711
        self.out["seized_kind"] = np.where(has_amount, kinds, None)  # type: ignore[call-overload]  # numpy stubs
        self.out["seized_amount"] = np.where(has_amount, quantity * factors, np.nan)
        self.text["seized_kind"] = factor.text([u.kind if u else "" for u in units], blank=~has_amount)
        # repr per distinct amount (by bit pattern, so -0.0 and NaN payloads keep their own text)
        codes, bits = pd.factorize(self.out["seized_amount"].view(np.int64))
        amount_text = [repr(x) for x in bits.view(np.float64).tolist()]
        self.text["seized_amount"] = Text(codes, amount_text, blank=~has_amount)

    def keys(self) -> np.ndarray:
        """The key per row: record_id, else a hash of the non-measure values and unmapped columns.

        A field translated by a ``values`` mapping also adds its untranslated
        value, so source categories the mapping merges ("Crimes Against
        Property" and "... the Person" both -> Other) keep rows distinct.
        """
        ids = self.text["record_id"]  # per unique cleaned record_id, null when empty
        prefixed = pc.binary_join_element_wise(pa.scalar("id:"), pa.array(ids.texts, type=pa.string()), "")
        keys = prefixed.to_numpy(zero_copy_only=False).astype(object)
        if ids.codes is not None and len(keys) != len(ids.codes):
            keys = keys[ids.codes]
        has_id = keys != None  # noqa: E711
        if not has_id.all():
            translated = sorted(name for name in self.originals if name not in MEASURES and name != "record_id")
            extra = [Text(None, self.raw.column(h).combine_chunks()) for h in self.unmatched]
            extra += [self.originals[name].text(self.originals[name].strings) for name in translated]
            extra += self.quantities.key_texts
            header = "\x1e".join(["", *self.unmatched, *(f"values:{name}" for name in translated),
                                  *self.quantities.key_header])
            hashed = _row_digests([self.text[name] for name in KEY_FIELDS] + extra, header, len(keys), ~has_id)
            keys[~has_id] = ["h:" + h for h in hashed]
        return keys

    def value_hashes(self) -> np.ndarray:
        """A hash of every stored value per row (a re-import with other values is an update)."""
        total = len(self.rows)
        texts = [self.text[name] for name in STORE_COLUMNS] + self.quantities.hash_texts
        return np.array(_row_digests(texts, "", total), dtype=object)

    def _reject_later(self, keys: np.ndarray, rows: np.ndarray, column: str) -> None:
        """Reject the rows of ``rows`` whose key an earlier one of them had, naming that row."""
        positions = np.flatnonzero(rows)
        series = pd.Series(keys[positions], dtype=object)
        later = series.duplicated().to_numpy()
        if not later.any():
            return
        first = pd.Series(self.rows[positions]).groupby(series.to_numpy()).transform("first").to_numpy()
        mask = np.zeros(len(keys), dtype=bool)
        mask[positions[later]] = True
        messages = np.full(len(keys), None, dtype=object)
        messages[positions[later]] = [f"duplicate of row {r}" for r in first[later].tolist()]
        source = self.factors["record_id"] if column == "record_id" else np.full(len(keys), "", dtype=object)
        self.errors.add(column, source, mask, messages)

    def duplicates(self, keys: np.ndarray) -> np.ndarray:
        """Apply the ``duplicates`` rule among the rows that are otherwise valid; returns the rows
        merged into an earlier one (``sum``). A repeated record_id is always rejected; with ``keep``
        the 2nd, 3rd ... occurrence of a hashed key gets its occurrence number ("#2"), so a row that
        occurs once keeps exactly its key."""
        valid = ~self.errors.bad
        has_id = (self.out["record_id"] != None).astype(bool)  # noqa: E711
        self._reject_later(keys, valid & has_id, "record_id")
        hashed = np.flatnonzero(valid & ~has_id)
        merged = np.zeros(len(keys), dtype=bool)
        if len(hashed) < 2:
            return merged
        series = pd.Series(keys[hashed], dtype=object)
        if not series.duplicated().any():
            return merged
        if self.mapping.duplicates == "reject":
            self._reject_later(keys, valid & ~has_id, "row")
        elif self.mapping.duplicates == "keep":
            occurrence = series.groupby(series.to_numpy()).cumcount().to_numpy() + 1
            later = occurrence > 1
            keys[hashed[later]] = [f"{k}#{o}" for k, o in zip(keys[hashed[later]], occurrence[later], strict=True)]
        else:
            self._sum(series, hashed, merged)
        return merged

    def _sum(self, series: pd.Series, hashed: np.ndarray, merged: np.ndarray) -> None:
        """``duplicates: sum``: add the measures of repeated rows into the first; the others are merged away."""
        groups = series.groupby(series.to_numpy(), sort=False)
        first = groups.cumcount().to_numpy() == 0
        merged[hashed[~first]] = True
        group_ids = groups.ngroup().to_numpy()
        heads = hashed[first]
        head_of_group = np.empty(group_ids.max() + 1, dtype=np.int64)
        head_of_group[group_ids[first]] = heads
        # the seized quantities of a merged row go to the record it is summed into
        rows = self.quantities.columns["row"]
        owner = np.arange(len(merged))
        owner[hashed] = head_of_group[group_ids]
        self.quantities.columns["row"] = owner[rows]
        for name in (*COUNTS, "seized_quantity", "seized_value_usd", "seized_amount"):
            values = pd.Series(self.out[name][hashed].astype(float))
            totals = values.groupby(group_ids).sum(min_count=1).to_numpy()
            column = self.out[name].copy() if name in COUNTS else self.out[name].astype(float)
            column[head_of_group] = totals.astype(np.int64) if name in COUNTS else totals
            self.out[name] = column
            if name in COUNTS:
                self.text[name] = Text(None, np.array([str(v) for v in column.tolist()], dtype=object))
            else:
                blank = self.text[name].blank
                texts = np.array([repr(x) if x == x else "" for x in column.tolist()], dtype=object)
                self.text[name] = Text(None, texts, blank)

    def run(self) -> Prepared:
        """Every check, then the keys; returns the valid rows and every failure."""
        for step in (self.texts, self.dates, self.country, self.crime_area, self.numbers, self.units):
            step()
            _release_unused()
        self.quantities = normalise_quantities(self)
        keys = self.keys()
        merged = self.duplicates(keys)
        _release_unused()
        value_hash = self.value_hashes()
        _release_unused()
        if merged.any():
            self.skipped_by["duplicates summed into an earlier row"] = int(merged.sum())
        keep = ~self.errors.bad & ~merged
        everything = keep.all()
        columns = {name: self.out[name] if everything else self.out[name][keep] for name in STORE_COLUMNS}
        columns["row"] = self.rows[keep]
        columns["key"] = keys if everything else keys[keep]
        columns["value_hash"] = value_hash if everything else value_hash[keep]
        table = self.errors.table()
        row_errors = [RowError(int(row), str(column), str(value), str(message))
                      for row, column, value, message in table[["row", "column", "value", "message"]].to_numpy()]
        unimported = set(self.unmatched) | set(ignored_headers(self.raw.headers, self.mapping))
        ignored = [h for h in self.raw.headers if h in unimported]
        detected = {"encoding": self.raw.encoding,
                    "delimiter": DELIMITER_NAMES.get(self.raw.delimiter, self.raw.delimiter),
                    "kind": self.raw.kind, **self.detected}
        return Prepared(columns=columns, errors=row_errors, rows_read=self.raw.rows,
                        rejected=int(self.errors.bad.sum()), ignored_columns=ignored,
                        matched=dict(self.matched), detected=detected, header_row=self.raw.header_row,
                        columns_used=self.columns_used(), skipped_by=dict(self.skipped_by),
                        quantities=self.quantities.kept(keep),
                        unknown_items=self.quantities.unknown_items(keep, self.items.resolve))

    def columns_used(self) -> dict[str, dict[str, Any]]:
        """Field -> {"from": header or None, "how": mapping/name/synonym/words/constant/measures}, for
        every field that received values, with the less precise columns passed over ("instead_of")."""
        used: dict[str, dict[str, Any]] = {}
        matching, mapping = self.matching, self.mapping
        measures = mapping.measures
        measured = {m.field for m in measures.fields.values()} if measures else set()
        indicator_constants = {c for m in measures.fields.values() for c in m.constants} if measures else set()
        year, month = pseudo_date_headers(matching)
        for name in (*FIELD_NAMES, COORDINATES):
            if name in measured:
                entry: dict[str, Any] = {"from": matching.consumed[1], "how": "measures"}
            elif name in mapping.constants:
                entry = {"from": None, "how": "constant"}
            elif name in indicator_constants:
                entry = {"from": matching.consumed[0], "how": "measures"}
            elif name in matching.matched:
                entry = {"from": matching.matched[name], "how": matching.how.get(name, "mapping")}
            elif name == "date" and year is not None:
                entry = {"from": " + ".join(h for h in (year, month) if h), "how": matching.how.get(YEAR, "mapping")}
            else:
                continue
            if matching.passed_over.get(name):
                entry["instead_of"] = list(matching.passed_over[name])
            used[name] = entry
        return used


def _release_unused() -> None:
    """Give the memory Arrow's pool keeps for reuse back to the system: the next step's arrays
    come mostly from numpy and Python, which cannot reuse it, so it would only raise the peak."""
    pa.default_memory_pool().release_unused()


def _row_digests(texts: list[Text], prefix: str, total: int, rows: np.ndarray | None = None) -> list[str]:
    """:func:`_digests` of the joined texts of each row (of the ``rows`` mask), a block of rows
    at a time so that the joined text of a large file never exists whole."""
    digests: list[str] = []
    for start in range(0, total, HASH_BLOCK):
        stop = min(start + HASH_BLOCK, total)
        joined = _join([t.arrow(start, stop) for t in texts])
        if rows is not None:
            joined = joined.filter(pa.array(rows[start:stop]))
        digests += _digests(joined, prefix)
        del joined
        _release_unused()
    return digests


def _join(columns: list[pa.Array | pa.ChunkedArray]) -> pa.Array:
    """Row-wise join of text columns with the unit separator (nulls as "")."""
    arrays = [pc.fill_null(a, "") for a in columns]
    return pc.binary_join_element_wise(*arrays, "\x1f")


def _digests(joined: pa.Array | pa.ChunkedArray, prefix: str) -> list[str]:
    """sha256(prefix + row text), first 32 hex digits, per row, hashing slices of Arrow's buffers in place."""
    if prefix:
        joined = pc.binary_join_element_wise(pa.scalar(prefix), joined, "")
    chunks = joined.chunks if isinstance(joined, pa.ChunkedArray) else [joined]
    sha256 = hashlib.sha256
    digests: list[str] = []
    for chunk in chunks:
        if not len(chunk):
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = chunk.buffers()[2]
        view = memoryview(data) if data is not None else memoryview(b"")
        bounds = offsets.tolist()
        digests += [sha256(view[a:b]).hexdigest()[:32] for a, b in zip(bounds, bounds[1:], strict=False)]
    return digests


def normalise(raw: RawTable, mapping: Mapping, countries: CountryIndex, taxonomy: Taxonomy,
              items: SeizedItems | None = None) -> Prepared:
    """Validate and normalise every row of ``raw`` the mapping keeps; file-level problems raise UnusableFile."""
    if raw.rows == 0:
        raise UnusableFile("The file has a header but no data rows: add at least one row.")
    matching = match_columns(raw.headers, mapping)
    selection = select_rows(raw, mapping, matching)
    normaliser = Normaliser(selection.raw, mapping, countries, taxonomy, matching, selection.rows, items)
    normaliser.skipped_by.update(selection.skipped_by)
    prepared = normaliser.run()
    prepared.rows_read = raw.rows
    return prepared
