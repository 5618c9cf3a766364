"""The record schema as code: the contract's fields, their kinds and roles.

One place names every field, so the importer, the store, the exports and the
pages agree on spelling, order and meaning (CONTRACT.md section 1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "date", "int", "float", "country", "crime_area"]


@dataclass(frozen=True)
class Field:
    """One field of an operation record as the contract defines it."""

    name: str
    kind: Kind
    required: bool = False
    label: str = ""


FIELDS: tuple[Field, ...] = (
    Field("record_id", "text", label="Record id"),
    Field("operation", "text", True, "Operation"),
    Field("date", "date", True, "Date"),
    Field("end_date", "date", label="End date"),
    Field("country", "country", True, "Country"),
    Field("city", "text", label="City"),
    Field("latitude", "float", label="Latitude"),
    Field("longitude", "float", label="Longitude"),
    Field("crime_area", "crime_area", True, "Crime area"),
    Field("arrests", "int", label="Arrests"),
    Field("seizures", "int", label="Seizures"),
    Field("victims_rescued", "int", label="Victims rescued"),
    Field("seized_item", "text", label="Seized item"),
    Field("seized_quantity", "float", label="Seized quantity"),
    Field("seized_unit", "text", label="Seized unit"),
    Field("seized_value_usd", "float", label="Seized value (USD)"),
    Field("lead_agency", "text", label="Lead agency"),
    Field("source", "text", label="Source"),
    Field("notes", "text", label="Notes"),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
COUNTS: tuple[str, ...] = ("arrests", "seizures", "victims_rescued")
# The largest count a record may hold (README, "Bad input"): far above any real number of
# arrests, seizures or victims in one country, and within PostgreSQL's INTEGER columns
# (2,147,483,647) and SQLite's, so both stores keep exactly what was imported.
MAX_COUNT = 1_000_000_000
# The largest seized quantity or value (USD) of one record: ten times the world's yearly output, yet
# small enough that the sums of millions of records stay finite (1e308 would print as "Infinity").
MAX_AMOUNT = 1_000_000_000_000_000
# The dates a record may carry (README, "Bad input"): a date outside is a typo (2150 for 2015), rejected
# at import so that it can never move the dashboard's rolling periods; links outside it are ignored.
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
# Measures are left out of a row's hashed key (CONTRACT.md section 5).
MEASURES: tuple[str, ...] = (*COUNTS, "seized_quantity", "seized_value_usd")
TEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "text")

# Export layout: every contract field plus region and batch (CONTRACT.md section 6).
EXPORT_COLUMNS: tuple[str, ...] = (
    *FIELD_NAMES[:5], "country_name", *FIELD_NAMES[5:], "region", "batch_id",
)
