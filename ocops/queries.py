"""The one query layer: a :class:`Filter` in, totals, groups and records out.

Figures are computed over a compact, categorical pandas frame of the
records (``load_frame``). The dashboard keeps one such frame per data
version in memory; the CLI loads just the filtered rows. Both call the same
functions below, so every page, export and command agrees. Regions are
resolved from the current region mapping at compute time, never stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.errors import BadFilter
from ocops.geo import CountryIndex
from ocops.models import Record
from ocops.schema import EXPORT_COLUMNS
from ocops.taxonomy import Taxonomy

GroupBy = Literal["region", "crime_area", "country", "month", "operation"]
GROUPINGS: tuple[str, ...] = ("region", "crime_area", "country", "month", "operation")
SUM_MEASURES: tuple[str, ...] = (
    "arrests", "seizures", "victims_rescued", "seized_value_usd", "seized_kg", "seized_l", "seized_items",
)
MEASURES: tuple[str, ...] = ("records", "operations", "countries", *SUM_MEASURES)
INT_MEASURES = frozenset({"records", "operations", "countries", "arrests", "seizures", "victims_rescued"})
FRAME_COLUMNS = ("date", "country", "crime_area", "operation", "arrests", "seizures", "victims_rescued",
                 "seized_value_usd", "seized_kind", "seized_amount", "batch_id")

# Filter attribute -> key of the `summary` JSON "filters" object (CONTRACT.md section 6).
FILTER_KEYS = {"regions": "region", "countries": "country", "crime_areas": "crime_area",
               "operations": "operation"}


@dataclass(frozen=True)
class Filter:
    """What a manager selected. Empty tuples mean 'all'; dates are inclusive."""

    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # ISO3 codes
    crime_areas: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        """The non-empty parts, JSON-ready, named like the CLI flags as in the contract's
        `summary` output (``region``, ``country``, ``crime_area``, ``operation``, ``since``, ``until``)."""
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            if isinstance(value, dt.date):
                out[name] = value.isoformat()
            elif value:
                out[FILTER_KEYS.get(name, name)] = list(value)
        return out

    def previous_period(self) -> Filter | None:
        """The same filter over the equally long period just before; None without both dates."""
        if self.since is None or self.until is None:
            return None
        length = (self.until - self.since).days + 1
        return replace(self, since=self.since - dt.timedelta(days=length),
                       until=self.since - dt.timedelta(days=1))


def make_filter(
    countries: CountryIndex,
    taxonomy: Taxonomy,
    *,
    regions: Iterable[str] = (),
    country_values: Iterable[str] = (),
    crime_areas: Iterable[str] = (),
    operations: Iterable[str] = (),
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
) -> Filter:
    """A Filter from user words, normalised like the importer; unknown values raise BadFilter."""
    known_regions = {r.lower(): r for r in countries.regions()}
    region_list = []
    for value in regions:
        if value.strip().lower() not in known_regions:
            raise BadFilter(f"Unknown region '{value}': use one of {', '.join(countries.regions())}.")
        region_list.append(known_regions[value.strip().lower()])
    country_list = []
    for value in country_values:
        country = countries.resolve(value)
        if country is None:
            hint = countries.suggest(value)
            raise BadFilter(f"Unknown country '{value}'" + (f": did you mean {' or '.join(hint)}?" if hint else "."))
        country_list.append(country.iso3)
    area_list = []
    for value in crime_areas:
        area = taxonomy.resolve(value)
        if area is None:
            raise BadFilter(f"Unknown crime area '{value}': use one of {', '.join(taxonomy.areas)}.")
        area_list.append(area)
    return Filter(
        regions=tuple(dict.fromkeys(region_list)), countries=tuple(dict.fromkeys(country_list)),
        crime_areas=tuple(dict.fromkeys(area_list)),
        operations=tuple(dict.fromkeys(" ".join(o.split()) for o in operations if o.strip())),
        since=_as_date(since, "since"), until=_as_date(until, "until"),
    )


def _as_date(value: dt.date | str | None, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadFilter(f"--{name} '{value}' is not a date: use YYYY-MM-DD.") from exc


def _country_scope(flt: Filter, countries: CountryIndex) -> list[str] | None:
    """The ISO3 codes the filter allows, or None for all."""
    scope: set[str] | None = None
    if flt.regions:
        scope = set(countries.iso3_in_regions(flt.regions))
    if flt.countries:
        scope = set(flt.countries) if scope is None else scope & set(flt.countries)
    return None if scope is None else sorted(scope)


def _sql_conditions(flt: Filter, countries: CountryIndex) -> list[sa.ColumnElement[bool]]:
    table = Record.__table__
    conditions: list[sa.ColumnElement[bool]] = []
    scope = _country_scope(flt, countries)
    if scope is not None:
        conditions.append(table.c.country.in_(scope))
    if flt.crime_areas:
        conditions.append(table.c.crime_area.in_(flt.crime_areas))
    if flt.operations:
        conditions.append(table.c.operation.in_(flt.operations))
    if flt.since:
        conditions.append(table.c.date >= flt.since)
    if flt.until:
        conditions.append(table.c.date <= flt.until)
    return conditions


def load_frame(engine: Engine, flt: Filter | None = None, countries: CountryIndex | None = None) -> pd.DataFrame:
    """The compact analytic frame of the stored records (optionally only those ``flt`` selects)."""
    table = Record.__table__
    query = sa.select(*(table.c[name] for name in FRAME_COLUMNS))
    if flt is not None and countries is not None:
        query = query.where(*_sql_conditions(flt, countries))
    with engine.connect() as conn:
        rows = conn.execute(query).fetchall()
    raw = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    return compact_frame(raw)


def compact_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Types and derived columns for fast grouping: categoricals, int32 counts, kg/l/items."""
    frame = pd.DataFrame({
        "date": pd.to_datetime(raw["date"].astype(str) if len(raw) else raw["date"]).astype("datetime64[s]"),
        "country": raw["country"].astype("category"),
        "crime_area": raw["crime_area"].astype("category"),
        "operation": raw["operation"].astype("category"),
        "arrests": raw["arrests"].fillna(0).astype("int64"),
        "seizures": raw["seizures"].fillna(0).astype("int64"),
        "victims_rescued": raw["victims_rescued"].fillna(0).astype("int64"),
        "seized_value_usd": pd.to_numeric(raw["seized_value_usd"]).fillna(0.0).astype("float64"),
        "batch_id": raw["batch_id"].astype("int64"),
    })
    amount = pd.to_numeric(raw["seized_amount"]).fillna(0.0).to_numpy(dtype="float64")
    kind = raw["seized_kind"].astype(object).to_numpy()
    for name, unit in (("seized_kg", "kg"), ("seized_l", "l"), ("seized_items", "items")):
        frame[name] = np.where(kind == unit, amount, 0.0)
    frame["month"] = (frame["date"].dt.year * 100 + frame["date"].dt.month).astype("int32")
    return frame


def select(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> pd.DataFrame:
    """The rows of ``frame`` that ``flt`` selects."""
    mask = np.ones(len(frame), dtype=bool)
    scope = _country_scope(flt, countries)
    if scope is not None:
        mask &= frame["country"].isin(scope).to_numpy()
    if flt.crime_areas:
        mask &= frame["crime_area"].isin(flt.crime_areas).to_numpy()
    if flt.operations:
        mask &= frame["operation"].isin(flt.operations).to_numpy()
    if flt.since:
        mask &= (frame["date"] >= pd.Timestamp(flt.since)).to_numpy()
    if flt.until:
        mask &= (frame["date"] <= pd.Timestamp(flt.until)).to_numpy()
    return frame[mask] if not mask.all() else frame


def with_region(frame: pd.DataFrame, countries: CountryIndex) -> pd.Series:
    """Each row's region under the current mapping (categorical)."""
    mapping = {iso3: countries.region_of(iso3) for iso3 in frame["country"].cat.categories}
    return frame["country"].map(mapping).astype("category")


def _clean(value: Any, name: str) -> Any:
    if name in INT_MEASURES:
        return int(value)
    number = float(value)
    if name == "seized_items" and number.is_integer():
        return int(number)
    return round(number, 6)


def totals(frame: pd.DataFrame) -> dict[str, Any]:
    """Every measure over an already-selected frame."""
    result: dict[str, Any] = {
        "records": len(frame),
        "operations": frame["operation"].nunique(),
        "countries": frame["country"].nunique(),
    }
    sums = frame[list(SUM_MEASURES)].sum()
    for name in SUM_MEASURES:
        result[name] = sums[name]
    return {k: _clean(v, k) for k, v in result.items()}


def group_key(frame: pd.DataFrame, by: str, countries: CountryIndex) -> pd.Series:
    """The grouping column for ``by`` (region is derived, month is YYYYMM)."""
    if by == "region":
        return with_region(frame, countries)
    if by not in GROUPINGS:
        raise BadFilter(f"Cannot group by '{by}': use one of {', '.join(GROUPINGS)}.")
    return frame[by]


def grouped(frame: pd.DataFrame, by: str, countries: CountryIndex) -> pd.DataFrame:
    """Every measure per group, one row per key, sorted by key (month keys as YYYY-MM)."""
    columns = ["key", *MEASURES]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    key = group_key(frame, by, countries).rename("key")
    groups = frame.groupby(key, observed=True, sort=True)
    table = groups[list(SUM_MEASURES)].sum()
    table.insert(0, "records", groups.size())
    table.insert(1, "operations", groups["operation"].nunique())
    table.insert(2, "countries", groups["country"].nunique())
    table = table.reset_index()
    if by == "month":
        table["key"] = [f"{k // 100:04d}-{k % 100:02d}" for k in table["key"]]
    table["key"] = table["key"].astype(str)
    return table.sort_values("key", kind="stable").reset_index(drop=True)[columns]


def summary(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, by: str | None = None) -> dict[str, Any]:
    """The `summary` JSON of CONTRACT.md section 6 for ``flt`` (groups only with ``by``)."""
    chosen = select(frame, flt, countries)
    result: dict[str, Any] = {"filters": flt.to_dict(), "totals": totals(chosen)}
    if by:
        table = grouped(chosen, by, countries)
        result["groups"] = [
            {"key": row["key"], **{m: _clean(row[m], m) for m in MEASURES}} for row in table.to_dict("records")
        ]
    return result


def records(
    engine: Engine,
    flt: Filter,
    countries: CountryIndex,
    limit: int | None = None,
    columns: Sequence[str] = EXPORT_COLUMNS,
) -> pd.DataFrame:
    """The filtered records with every contract field plus region and batch_id, newest first."""
    table = Record.__table__
    stored = [c for c in columns if c != "region"]
    if "region" in columns and "country" not in stored:
        stored.append("country")  # the region is derived from it
    query = (sa.select(*(table.c[c] for c in stored)).where(*_sql_conditions(flt, countries))
             .order_by(table.c.date.desc(), table.c.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).fetchall()
    frame = pd.DataFrame(rows, columns=stored).astype(object)
    frame = frame.where(frame.notna(), None)
    if "region" in columns:
        frame["region"] = [countries.region_of(c) for c in frame["country"]] if len(frame) else []
    return frame[list(columns)]


def count_records(engine: Engine, flt: Filter, countries: CountryIndex) -> int:
    """How many stored records ``flt`` selects."""
    table = Record.__table__
    query = sa.select(sa.func.count()).select_from(table).where(*_sql_conditions(flt, countries))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


POINT_MEASURES: tuple[str, ...] = ("records", "arrests", "seizures", "victims_rescued", "seized_value_usd")
POINT_COLUMNS: tuple[str, ...] = ("placed", "country", "city", "lat", "lon", *POINT_MEASURES)


def points(engine: Engine, flt: Filter, countries: CountryIndex, decimals: int = 1) -> pd.DataFrame:
    """Per-location totals of the filtered records, for maps (SQL GROUP BY, never one row per record).

    One row per (country, lat, lon rounded to ``decimals``) for records with coordinates
    (``placed`` = "coordinates"), per (country, city) for records with a city but no
    coordinates ("city", lat/lon empty), and per country for the rest ("country").
    """
    table = Record.__table__
    conditions = _sql_conditions(flt, countries)
    has_xy = sa.and_(table.c.latitude.is_not(None), table.c.longitude.is_not(None))
    has_city = sa.and_(table.c.city.is_not(None), table.c.city != "")
    sums = [sa.func.count().label("records"),
            *(sa.func.coalesce(sa.func.sum(table.c[m]), 0).label(m) for m in POINT_MEASURES[1:])]
    lat = sa.func.round(sa.cast(table.c.latitude, sa.Numeric), decimals)
    lon = sa.func.round(sa.cast(table.c.longitude, sa.Numeric), decimals)
    queries = {
        "coordinates": sa.select(table.c.country, sa.null().label("city"), lat.label("lat"), lon.label("lon"), *sums)
        .where(*conditions, has_xy).group_by(table.c.country, lat, lon),
        "city": sa.select(table.c.country, table.c.city, sa.null().label("lat"), sa.null().label("lon"), *sums)
        .where(*conditions, sa.not_(has_xy), has_city).group_by(table.c.country, table.c.city),
        "country": sa.select(table.c.country, sa.null().label("city"), sa.null().label("lat"), sa.null().label("lon"),
                             *sums).where(*conditions, sa.not_(has_xy), sa.not_(has_city)).group_by(table.c.country),
    }
    parts = []
    with engine.connect() as conn:
        for placed, query in queries.items():
            rows = conn.execute(query).fetchall()
            part = pd.DataFrame(rows, columns=list(POINT_COLUMNS[1:]), dtype=object)
            part.insert(0, "placed", placed)
            parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if any(len(p) for p in parts) else parts[0]
    for name in ("lat", "lon", "seized_value_usd"):
        frame[name] = pd.to_numeric(frame[name]).astype("float64")
    for name in POINT_MEASURES[:-1]:
        frame[name] = pd.to_numeric(frame[name]).astype("int64")
    return frame[list(POINT_COLUMNS)]
