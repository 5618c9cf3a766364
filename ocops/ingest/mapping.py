"""Column mapping: automatic header matching plus the mapping JSON.

The same :class:`Mapping` serves the CLI (``--mapping FILE``), the upload
page and saved presets (CONTRACT.md section 2).
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocops.errors import MappingError
from ocops.ingest.quantities import QuantitySpec, parse_quantities, quantity_columns
from ocops.schema import FIELD_NAMES

# Normalised header -> field. Keys are produced by header_key().
SYNONYMS: dict[str, str] = {}
_SYNONYM_LISTS: dict[str, tuple[str, ...]] = {
    "record_id": ("record id", "id", "_id", "record", "reference", "ref", "record ref", "uid", "unique id"),
    "operation": ("operation", "operation name", "op", "op name", "operation title", "operation code", "project",
                  "operation id", "name of operation", "campaign"),
    "date": ("date", "start date", "date start", "from", "date from", "action date", "event date",
             "operation date", "occurrence date", "occ date", "report date", "day", "year", "period", "month",
             "date of operation", "reporting period", "date reported", "incident date"),
    "end_date": ("end date", "date end", "to", "date to", "until", "end", "finish date", "end of period"),
    "country": ("country", "country name", "nation", "state", "country code", "iso", "iso3", "iso2",
                "iso code", "iso alpha 3", "iso alpha 2", "member country", "pays", "pais", "country iso3",
                "country iso2", "country code iso3", "iso 3", "iso 2", "iso a3", "iso a2", "iso3166",
                "iso 3166", "member state", "country territory", "country or territory"),
    "city": ("city", "town", "city name", "place", "location", "municipality", "locality"),
    "latitude": ("latitude", "lat", "y", "lat dd", "latitude wgs84", "lat wgs84", "y coord", "y coordinate",
                 "latitud", "breite"),
    "longitude": ("longitude", "lon", "lng", "long", "x", "lon dd", "longitude wgs84", "lon wgs84",
                  "lng wgs84", "x coord", "x coordinate", "longitud", "laenge"),
    "crime_area": ("crime area", "crime type", "crime", "crime category", "category", "offence",
                   "offense", "offence type", "offense type", "area", "crime field", "type of crime", "crime areas",
                   "offence category", "offense category", "crime sector", "category of crime"),
    "arrests": ("arrests", "arrest", "arrested", "no of arrests", "number of arrests", "arrest count",
                "persons arrested", "people arrested", "arrests made", "detained", "detentions", "no arrests",
                "nr of arrests", "num arrests", "total arrests", "arrests total", "number arrested",
                "arrested persons", "suspects arrested"),
    "seizures": ("seizures", "seizure", "no of seizures", "number of seizures", "seizure count",
                 "seizure events", "seizures made"),
    "victims_rescued": ("victims rescued", "victims", "rescued", "victims identified", "rescued victims",
                        "no of victims", "number of victims", "victims rescued identified",
                        "victims rescued or identified", "no of victims rescued", "number of victims rescued",
                        "victims saved", "rescued persons", "persons rescued", "victims identified rescued"),
    "seized_item": ("seized item", "item", "item seized", "seized", "commodity", "seized goods", "goods",
                    "product", "substance", "drug type"),
    "seized_quantity": ("seized quantity", "quantity", "qty", "amount seized", "quantity seized",
                        "seized amount", "weight"),
    "seized_unit": ("seized unit", "unit", "units", "uom", "unit of measure", "quantity unit"),
    "seized_value_usd": ("seized value usd", "value usd", "usd", "estimated value",
                         "estimated value usd", "seized value", "street value", "value in usd"),
    "lead_agency": ("lead agency", "agency", "lead", "authority", "police force", "force", "unit name"),
    "source": ("source", "sources", "reference source", "news", "link"),
    "notes": ("notes", "note", "comments", "comment", "remarks", "description"),
}


def header_key(header: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: 'No. of Arrests' -> 'no of arrests'."""
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower().replace("_", " ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


# Not a field: a column holding a point (GeoJSON-like dict or WKT) to take
# longitude and latitude from, used when no latitude/longitude column matched.
COORDINATES = "coordinates"
# Not fields either: the year and month of a record's date, from two columns (CONTRACT.md section 2).
YEAR, MONTH = "year", "month"
_SYNONYM_LISTS[COORDINATES] = ("coordinates", "geometry", "geom", "the geom", "wkt", "point", "location point")
TARGETS: tuple[str, ...] = (*FIELD_NAMES, COORDINATES, YEAR, MONTH, "ignore")
VALUE_TARGETS: tuple[str, ...] = (*FIELD_NAMES, YEAR, MONTH)
DUPLICATE_RULES: tuple[str, ...] = ("keep", "reject", "sum")
MAPPING_KEYS: tuple[str, ...] = ("header_row", "columns", "constants", "where", "measures", "values", "dayfirst",
                                 "fiscal_year_start", "duplicates", "quantities")
DEFAULT = "*"  # in ``values``: the translation of any value not listed

for _field, _names in _SYNONYM_LISTS.items():
    for _name in (_field, *_names):
        SYNONYMS.setdefault(header_key(_name), _field)

# Header words that never name a field on their own inside a longer header ("Total value"
# is not money; "Date of seizure" is a date, not a seizure count).
_LONE_WORDS_NOT_ENOUGH = frozenset({
    "to", "from", "x", "y", "id", "op", "ref", "end", "lead", "force", "day", "state", "area", "place", "news",
    "link", "record", "item", "goods", "unit", "units", "uom", "usd", "seized", "seizure", "seizures", "until",
    "product", "reference", "project", "nation", "town", "point", "geom", "wkt", "note", "description",
    "comment", "comments", "sources", "long", "lat", "lon", "lng", "finish", "weight", "amount", "value",
    "total", "count", "quantity", "number", "qty", "uid", "campaign", "category", "crime", "authority",
    "agency", "location", "locality", "offence", "offense", "substance", "commodity", "pays", "pais", "iso",
})
_WORD_SYNONYMS: tuple[tuple[tuple[str, ...], str], ...] = tuple(sorted(
    ((tuple(key.split()), target) for key, target in SYNONYMS.items()
     if key and (" " in key or key not in _LONE_WORDS_NOT_ENOUGH)),
    key=lambda item: -len(item[0]),
))
_CODE_WORDS = frozenset({"iso", "iso2", "iso3", "code", "alpha", "a2", "a3", "iso3166", "m49"})
_YEAR_WORDS = frozenset({"year", "yr", "fy", "years"})
_MONTH_WORDS = frozenset({"month", "period", "mon"})


def collapse(header: str) -> str:
    """A header with its whitespace (line breaks included) collapsed to single spaces."""
    return " ".join(str(header).split())


def is_code_header(header: str) -> bool:
    """Whether a header says its column holds codes ("ISO3", "Country code", ...)."""
    return bool(_CODE_WORDS & set(header_key(header).split()))


def _date_precision(key: str) -> int:
    words = set(key.split())
    if words & _YEAR_WORDS:
        return 1
    if words & _MONTH_WORDS:
        return 2
    return 3


def _precision(target: str, header: str) -> int:
    """How precise a column is for ``target``: a full date beats a month beats a year; a name beats a code."""
    if target == "date":
        return _date_precision(header_key(header))
    if target == "country":
        return 1 if is_code_header(header) else 2
    return 0


def words_match(header: str) -> str | None:
    """The field whose words a longer header holds ("Date of seizure" -> date), or None.

    The longest synonym found wins; between equally long ones, the one before
    "of" (the head of "Date of seizure"), else the last one ("Seizure date").
    """
    words = header_key(header).split()
    found: list[tuple[int, int, str]] = []
    of = words.index("of") if "of" in words else None
    for tokens, target in _WORD_SYNONYMS:
        size = len(tokens)
        for start in range(len(words) - size + 1):
            if tuple(words[start:start + size]) == tokens:
                position = -start if of is not None and start + size <= of else start
                if of is not None and start + size <= of:
                    position += 10_000
                found.append((size, position, target))
    if not found:
        return None
    return max(found)[2]


@dataclass(frozen=True)
class Measure:
    """Where one indicator's values go: a field, plus constants for that indicator's rows only."""

    field: str
    constants: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Measures:
    """Long format: ``value`` goes to the field the ``column`` (indicator) names."""

    column: str
    value: str
    fields: dict[str, Measure]

    def to_data(self) -> dict[str, Any]:
        """JSON-ready form (an entry without constants as a plain field name)."""
        fields: dict[str, Any] = {
            k: m.field if not m.constants else {"field": m.field, "constants": dict(m.constants)}
            for k, m in self.fields.items()}
        return {"column": self.column, "value": self.value, "fields": fields}


@dataclass(frozen=True)
class Where:
    """Keep rows whose value in a column is among ``values`` (or, with ``keep=False``, is not)."""

    values: tuple[str, ...]
    keep: bool = True

    def to_data(self) -> list[str] | dict[str, list[str]]:
        """JSON-ready form."""
        return list(self.values) if self.keep else {"not": list(self.values)}


@dataclass
class Mapping:
    """How a file's columns and values become contract fields."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    dayfirst: bool | None = None
    header_row: int | None = None
    where: dict[str, Where] = field(default_factory=dict)
    measures: Measures | None = None
    fiscal_year_start: int = 1
    duplicates: str = "keep"
    quantities: list[QuantitySpec] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Any, origin: str = "the mapping") -> Mapping:
        """Build and validate a mapping from parsed JSON."""
        if not isinstance(data, dict):
            raise MappingError(f"{origin} must be a JSON object with 'columns', 'constants', 'values' or 'dayfirst'.")
        unknown_keys = set(data) - set(MAPPING_KEYS)
        if unknown_keys:
            raise MappingError(f"{origin} has unknown keys {sorted(unknown_keys)}: use {', '.join(MAPPING_KEYS)}.")
        columns = _str_dict(data.get("columns", {}), f"{origin}: 'columns'")
        constants = _str_dict(data.get("constants", {}), f"{origin}: 'constants'")
        values_raw = data.get("values", {})
        if not isinstance(values_raw, dict):
            raise MappingError(f"{origin}: 'values' must map a field to an object of source value -> value.")
        values = {k: _str_dict(v, f"{origin}: 'values.{k}'", nulls=True) for k, v in values_raw.items()}
        for where, names in (("columns", columns.values()), ("constants", constants), ("values", values)):
            allowed = (set(TARGETS) if where == "columns"
                       else set(VALUE_TARGETS) if where == "values" else set(FIELD_NAMES))
            bad = sorted(set(names) - allowed)
            if bad:
                extra = " (and, in 'columns', coordinates, year, month or ignore)" if where == "columns" else ""
                raise MappingError(
                    f"{origin}: '{where}' names unknown fields {bad}; the fields are {', '.join(FIELD_NAMES)}{extra}."
                )
        dayfirst = data.get("dayfirst")
        if dayfirst is not None and not isinstance(dayfirst, bool):
            raise MappingError(f"{origin}: 'dayfirst' must be true or false.")
        header_row = data.get("header_row")
        if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int)
                                       or header_row < 1):
            raise MappingError(
                f"{origin}: 'header_row' must be a row number, 1 or more (the row that holds the headers).")
        fiscal = data.get("fiscal_year_start", 1)
        if isinstance(fiscal, bool) or not isinstance(fiscal, int) or not 1 <= fiscal <= 12:
            raise MappingError(f"{origin}: 'fiscal_year_start' must be a month number from 1 to 12 (10 = October).")
        duplicates = data.get("duplicates", "keep")
        if duplicates not in DUPLICATE_RULES:
            raise MappingError(f"{origin}: 'duplicates' must be one of {', '.join(DUPLICATE_RULES)}.")
        return cls(columns=columns, constants=constants, values=values, dayfirst=dayfirst, header_row=header_row,
                   where=_where(data.get("where", {}), origin), measures=_measures(data.get("measures"), origin),
                   fiscal_year_start=fiscal, duplicates=duplicates,
                   quantities=parse_quantities(data.get("quantities"), origin))

    @classmethod
    def from_json(cls, text: str, origin: str = "the mapping") -> Mapping:
        """Parse mapping JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(f"{origin} is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
        return cls.from_data(data, origin)

    @classmethod
    def from_file(cls, path: Path) -> Mapping:
        """Read a mapping JSON file."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise MappingError(f"Cannot read the mapping file {path}: {exc.strerror}.") from exc
        return cls.from_json(text, origin=f"mapping file {path.name}")

    def to_data(self) -> dict[str, Any]:
        """The mapping as JSON-ready data, without empty parts."""
        data: dict[str, Any] = {}
        if self.header_row is not None:
            data["header_row"] = self.header_row
        if self.columns:
            data["columns"] = dict(self.columns)
        if self.constants:
            data["constants"] = dict(self.constants)
        if self.where:
            data["where"] = {k: w.to_data() for k, w in self.where.items()}
        if self.measures is not None:
            data["measures"] = self.measures.to_data()
        if self.values:
            data["values"] = {k: dict(v) for k, v in self.values.items() if v}
        if self.dayfirst is not None:
            data["dayfirst"] = self.dayfirst
        if self.fiscal_year_start != 1:
            data["fiscal_year_start"] = self.fiscal_year_start
        if self.duplicates != "keep":
            data["duplicates"] = self.duplicates
        if self.quantities:
            data["quantities"] = [q.to_data() for q in self.quantities]
        return data

    def to_json(self) -> str:
        """The mapping as JSON text."""
        return json.dumps(self.to_data(), ensure_ascii=False, indent=2)


def _str_dict(value: Any, where: str, nulls: bool = False) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be a JSON object.")
    return {str(k): (None if nulls else "") if v is None else str(v) for k, v in value.items()}


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise MappingError(f"{where} must be a non-empty list of values.")
    return tuple(str(v).strip() for v in value)


def _where(value: Any, origin: str) -> dict[str, Where]:
    if not isinstance(value, dict):
        raise MappingError(f"{origin}: 'where' must map a column to a list of values to keep (or {{\"not\": [...]}}).")
    rules: dict[str, Where] = {}
    for column, rule in value.items():
        where = f"{origin}: 'where.{column}'"
        if isinstance(rule, dict):
            if set(rule) != {"not"}:
                raise MappingError(f"{where} must be a list of values to keep or {{\"not\": [values to leave out]}}.")
            rules[str(column)] = Where(_str_list(rule["not"], where), keep=False)
        else:
            rules[str(column)] = Where(_str_list(rule, where))
    return rules


def _measures(value: Any, origin: str) -> Measures | None:
    if value is None:
        return None
    where = f"{origin}: 'measures'"
    if not isinstance(value, dict) or not isinstance(value.get("column"), str) or not isinstance(
            value.get("value"), str) or not isinstance(value.get("fields"), dict) or set(value) - {
            "column", "value", "fields"}:
        raise MappingError(f"{where} must be an object with 'column' (the indicator column), 'value' (the value "
                           "column) and 'fields' (indicator -> field).")
    fields: dict[str, Measure] = {}
    for indicator, entry in value["fields"].items():
        if isinstance(entry, str):
            entry = {"field": entry}
        if (not isinstance(entry, dict) or not isinstance(entry.get("field"), str)
                or set(entry) - {"field", "constants"}):
            raise MappingError(f"{where}: the entry of '{indicator}' must be a field name or "
                               "{\"field\": ..., \"constants\": {...}}.")
        constants = _str_dict(entry.get("constants", {}), f"{where}: constants of '{indicator}'")
        bad = sorted({entry["field"], *constants} - set(FIELD_NAMES))
        if bad:
            raise MappingError(f"{where}: '{indicator}' names unknown fields {bad}; the fields are "
                               f"{', '.join(FIELD_NAMES)}.")
        fields[str(indicator).strip()] = Measure(entry["field"], constants)
    return Measures(value["column"], value["value"], fields)


@dataclass
class Matching:
    """How a file's headers feed the fields: field -> header, how each was matched, what lost."""

    matched: dict[str, str]
    unmatched: list[str]
    how: dict[str, str] = field(default_factory=dict)  # field -> mapping / name / synonym / words
    passed_over: dict[str, list[str]] = field(default_factory=dict)  # field -> less precise candidates
    consumed: list[str] = field(default_factory=list)  # headers a mapping's measures read


def file_header(headers: list[str], name: str) -> str | None:
    """The file's header that ``name`` denotes, compared after collapsing whitespace."""
    if name in headers:
        return name
    wanted = collapse(name)
    return next((h for h in headers if collapse(h) == wanted), None)


def _mapped_headers(headers: list[str], names: list[str]) -> dict[str, str]:
    """Each name of a mapping -> the file's header; MappingError naming the ones the file lacks."""
    found = {name: file_header(headers, name) for name in names}
    missing = [name for name, header in found.items() if header is None]
    if missing:
        raise MappingError(
            f"The mapping names columns the file does not have: {', '.join(repr(h) for h in missing)}. "
            f"The file's columns are: {', '.join(headers)}."
        )
    return {name: header for name, header in found.items() if header is not None}


def match_columns(headers: list[str], mapping: Mapping | None = None) -> Matching:
    """Match source headers to fields (see :func:`match_headers`), saying how and what lost."""
    mapping = mapping or Mapping()
    names = list(mapping.columns) + list(mapping.where) + list(quantity_columns(mapping.quantities))
    if mapping.measures is not None:
        names += [mapping.measures.column, mapping.measures.value]
    resolved = _mapped_headers(headers, names)
    explicit = {resolved[h]: f for h, f in mapping.columns.items()}
    for header in quantity_columns(mapping.quantities):  # read as quantities, never matched automatically
        explicit.setdefault(resolved[header], "ignore")
    consumed = [resolved[mapping.measures.column], resolved[mapping.measures.value]] if mapping.measures else []
    measured = {m.field for m in mapping.measures.fields.values()} if mapping.measures else set()
    matched: dict[str, str] = {}
    how: dict[str, str] = {}
    for header in headers:
        target = explicit.get(header)
        if target and target != "ignore" and target not in matched:
            matched[target], how[target] = header, "mapping"
    candidates: dict[str, list[tuple[int, int, int, str, str]]] = {}
    for position, header in enumerate(headers):
        if header in explicit or header in consumed:
            continue
        key = header_key(header)
        target, kind = SYNONYMS.get(key), "synonym"
        if target is not None and key == header_key(target):
            kind = "name"
        elif target is None:
            target, kind = words_match(header), "words"
        if target is None or target in matched or target in mapping.constants or target in measured:
            continue
        if target == "date" and (YEAR in matched or MONTH in matched):
            continue
        rank = _precision(target, header)
        candidates.setdefault(target, []).append((rank, 0 if kind == "words" else 1, -position, header, kind))
    passed_over: dict[str, list[str]] = {}
    for target, found in candidates.items():
        found.sort(reverse=True)
        matched[target], how[target] = found[0][3], found[0][4]
        if len(found) > 1:
            passed_over[target] = [f[3] for f in found[1:]]
    date_candidates = sorted(candidates.get("date", []), reverse=True)
    if date_candidates and date_candidates[0][0] < 3:
        years = [c for c in date_candidates if c[0] == 1]
        months = [c for c in date_candidates if c[0] == 2]
        if years and months:  # a Year and a Month column: together they mean that month
            del matched["date"], how["date"]
            passed_over.pop("date", None)
            matched[YEAR], how[YEAR] = years[0][3], years[0][4]
            matched[MONTH], how[MONTH] = months[0][3], months[0][4]
    if COORDINATES in matched and how.get(COORDINATES) != "mapping" and (
        "latitude" in matched or "longitude" in matched
    ):
        del matched[COORDINATES], how[COORDINATES]
    used = set(matched.values()) | set(explicit) | set(consumed)
    unmatched = [h for h in headers if h not in used]
    return Matching(matched, unmatched, how, passed_over, consumed)


def match_headers(headers: list[str], mapping: Mapping | None = None) -> tuple[dict[str, str], list[str]]:
    """Match source headers to fields.

    Returns (field -> source header, unmatched headers). Explicit
    ``mapping.columns`` entries win (headers compared after collapsing
    whitespace); a header mapped to ``"ignore"`` is neither matched nor
    unmatched (it stays out of the row key). Otherwise a header matches by
    name or synonym, else by holding a field's words; when several columns
    could feed a field the most precise wins (a date beats a month beats a
    year, a name beats a code). A field given as a constant takes no column.
    An automatic ``coordinates`` match is dropped when latitude and
    longitude columns exist.
    """
    matching = match_columns(headers, mapping)
    return matching.matched, matching.unmatched


def ignored_headers(headers: list[str], mapping: Mapping | None = None) -> list[str]:
    """Headers mapped to ``"ignore"`` explicitly."""
    mapping = mapping or Mapping()
    ignored = {file_header(headers, h) for h, f in mapping.columns.items() if f == "ignore"}
    return [h for h in headers if h in ignored]


def value_key(value: str) -> str:
    """How ``values`` translations compare source values: case and spacing ignored."""
    return " ".join(str(value).split()).casefold()
