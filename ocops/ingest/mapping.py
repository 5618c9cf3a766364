"""Column mapping: automatic header matching plus the mapping JSON.

The same :class:`Mapping` serves the CLI (``--mapping FILE``), the upload
page and saved presets (CONTRACT.md section 2).
"""

from __future__ import annotations

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
                        "seized amount", "amount", "weight"),
    "seized_unit": ("seized unit", "unit", "units", "uom", "unit of measure", "quantity unit"),
    "seized_value_usd": ("seized value usd", "value usd", "usd", "value", "estimated value",
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
_SYNONYM_LISTS[COORDINATES] = ("coordinates", "geometry", "geom", "the geom", "wkt", "point", "location point")
TARGETS: tuple[str, ...] = (*FIELD_NAMES, COORDINATES, "ignore")

for _field, _names in _SYNONYM_LISTS.items():
    for _name in (_field, *_names):
        SYNONYMS.setdefault(header_key(_name), _field)


@dataclass
class Mapping:
    """How a file's columns and values become contract fields."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    dayfirst: bool | None = None
    quantities: list[QuantitySpec] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Any, origin: str = "the mapping") -> Mapping:
        """Build and validate a mapping from parsed JSON."""
        if not isinstance(data, dict):
            raise MappingError(f"{origin} must be a JSON object with 'columns', 'constants', 'values' or 'dayfirst'.")
        unknown_keys = set(data) - {"columns", "constants", "values", "dayfirst", "quantities"}
        if unknown_keys:
            raise MappingError(f"{origin} has unknown keys {sorted(unknown_keys)}: use columns, constants, values, dayfirst, quantities.")
        columns = _str_dict(data.get("columns", {}), f"{origin}: 'columns'")
        constants = _str_dict(data.get("constants", {}), f"{origin}: 'constants'")
        values_raw = data.get("values", {})
        if not isinstance(values_raw, dict):
            raise MappingError(f"{origin}: 'values' must map a field to an object of source value -> value.")
        values = {k: _str_dict(v, f"{origin}: 'values.{k}'") for k, v in values_raw.items()}
        for where, names in (("columns", columns.values()), ("constants", constants), ("values", values)):
            allowed = set(TARGETS) if where == "columns" else set(FIELD_NAMES)
            bad = sorted(set(names) - allowed)
            if bad:
                extra = " (and, in 'columns', coordinates or ignore)" if where == "columns" else ""
                raise MappingError(
                    f"{origin}: '{where}' names unknown fields {bad}; the fields are {', '.join(FIELD_NAMES)}{extra}."
                )
        dayfirst = data.get("dayfirst")
        if dayfirst is not None and not isinstance(dayfirst, bool):
            raise MappingError(f"{origin}: 'dayfirst' must be true or false.")
        return cls(columns=columns, constants=constants, values=values, dayfirst=dayfirst,
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
        if self.columns:
            data["columns"] = dict(self.columns)
        if self.constants:
            data["constants"] = dict(self.constants)
        if self.values:
            data["values"] = {k: dict(v) for k, v in self.values.items() if v}
        if self.dayfirst is not None:
            data["dayfirst"] = self.dayfirst
        if self.quantities:
            data["quantities"] = [q.to_data() for q in self.quantities]
        return data

    def to_json(self) -> str:
        """The mapping as JSON text."""
        return json.dumps(self.to_data(), ensure_ascii=False, indent=2)


def _str_dict(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be a JSON object.")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def match_headers(headers: list[str], mapping: Mapping | None = None) -> tuple[dict[str, str], list[str]]:
    """Match source headers to fields.

    Returns (field -> source header, unmatched headers). Explicit
    ``mapping.columns`` entries win; a header mapped to ``"ignore"`` is
    neither matched nor unmatched (it stays out of the row key). Each field
    takes the first header that matches it; a field given as a constant takes
    no column. An automatic ``coordinates`` match is dropped when latitude
    and longitude columns exist.
    """
    mapping = mapping or Mapping()
    matched: dict[str, str] = {}
    missing = [h for h in (*mapping.columns, *quantity_columns(mapping.quantities)) if h not in headers]
    if missing:
        raise MappingError(
            f"The mapping names columns the file does not have: {', '.join(repr(h) for h in missing)}. "
            f"The file's columns are: {', '.join(headers)}."
        )
    explicit = {h: f for h, f in mapping.columns.items()}
    explicit.update({h: "ignore" for h in quantity_columns(mapping.quantities) if h not in explicit})  # read as quantities
    for header in headers:
        target = explicit.get(header)
        if target and target != "ignore":
            matched.setdefault(target, header)
    for header in headers:
        if header in explicit:
            continue
        target = SYNONYMS.get(header_key(header))
        if target and target not in matched and target not in mapping.constants:
            matched[target] = header
    if COORDINATES in matched and COORDINATES not in mapping.columns.values() and (
        "latitude" in matched or "longitude" in matched
    ):
        del matched[COORDINATES]
    used = set(matched.values()) | set(explicit)
    unmatched = [h for h in headers if h not in used]
    return matched, unmatched


def ignored_headers(headers: list[str], mapping: Mapping | None = None) -> list[str]:
    """Headers mapped to ``"ignore"`` explicitly."""
    mapping = mapping or Mapping()
    return [h for h in headers if mapping.columns.get(h) == "ignore"]


def value_key(value: str) -> str:
    """How ``values`` translations compare source values: case and spacing ignored."""
    return " ".join(str(value).split()).casefold()
