"""The one query layer: a :class:`Filter` in, totals, groups and records out.

Figures are computed over a compact, categorical pandas frame of the
records (``load_frame``; cached per data version by ``ocops.snapshot``).
Groupings work on integer codes with numpy (bincount), so every overview
aggregate over 1M records takes milliseconds. Pages, exports and the CLI
call the same functions, so their figures agree. Regions are resolved from
the current region mapping at compute time, never stored.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ocops import sqlite_arrow
from ocops.errors import BadFilter
from ocops.geo import CountryIndex
from ocops.models import Quantity, Record
from ocops.schema import EXPORT_COLUMNS
from ocops.seized_items import SeizedItems, load_seized_items
from ocops.taxonomy import Taxonomy

GROUPINGS: tuple[str, ...] = ("region", "crime_area", "country", "month", "operation", "seized_item")
SUM_MEASURES: tuple[str, ...] = (
    "arrests", "seizures", "victims_rescued", "seized_value_usd", "seized_kg", "seized_l", "seized_items",
)
MEASURES: tuple[str, ...] = ("records", "operations", "countries", *SUM_MEASURES)
DISTINCT_OF = {"operations": "operation", "countries": "country"}  # distinct-count measure -> column
INT_MEASURES = frozenset({"records", "operations", "countries", "arrests", "seizures", "victims_rescued"})
FRAME_COLUMNS = ("date", "country", "crime_area", "operation", "arrests", "seizures", "victims_rescued",
                 "batch_id", "version")
# The companion per-quantity frame: which record (position ``rid`` in the frame), which item, how much.
QUANTITY_FRAME = ("version", "item_group", "kind", "amount", "value_usd")
QUANTITY_SUMS = {"seized_kg": "kg", "seized_l": "l", "seized_items": "items"}  # frame column -> kind
ITEM_MEASURES: tuple[str, ...] = ("records", "operations", "countries", "seizures", "seized_value_usd",
                                  "seized_kg", "seized_l", "seized_items")  # not split by item: arrests, victims

# Filter attribute -> key of the `summary` JSON "filters" object (CONTRACT.md section 6).
FILTER_KEYS = {"regions": "region", "countries": "country", "crime_areas": "crime_area",
               "operations": "operation", "seized_items": "seized_item"}


@dataclass(frozen=True)
class Filter:
    """What a manager selected. Empty tuples mean 'all'; dates are inclusive."""

    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # ISO3 codes
    crime_areas: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    seized_items: tuple[str, ...] = ()  # vocabulary items (ocops.seized_items), "Other" included
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
    seized_items: Iterable[str] = (),
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
    items: SeizedItems | None = None,
) -> Filter:
    """A Filter from user words, normalised like the importer; unknown values raise BadFilter."""
    region_list = []
    for value in regions:
        region = countries.region(value)
        if region is None:
            raise BadFilter(f"Unknown region '{value}': use one of {', '.join(countries.regions())}.")
        region_list.append(region)
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
    item_list = [resolve_item(value, items or load_seized_items()) for value in seized_items]
    return Filter(
        regions=tuple(dict.fromkeys(region_list)), countries=tuple(dict.fromkeys(country_list)),
        crime_areas=tuple(dict.fromkeys(area_list)),
        operations=tuple(dict.fromkeys(" ".join(o.split()) for o in operations if o.strip())),
        seized_items=tuple(dict.fromkeys(item_list)),
        since=_as_date(since, "since"), until=_as_date(until, "until"),
    )


def resolve_item(value: str, items: SeizedItems) -> str:
    """A seized item as a filter names it (name or alias, like the importer); unknown raises BadFilter."""
    item = items.resolve(value)
    if item is None:
        hint = items.suggest(value)
        raise BadFilter(f"Unknown seized item '{value}'" + (f": did you mean {' or '.join(hint)}?" if hint else ".")
                        + " Items the vocabulary does not know are counted under 'Other'.")
    return item


def _as_date(value: dt.date | str | None, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadFilter(f"--{name} '{value}' is not a date: use YYYY-MM-DD.") from exc


def _country_scope(flt: Filter, countries: CountryIndex | None) -> list[str] | None:
    """The ISO3 codes the filter allows, or None for all."""
    scope: set[str] | None = None
    if flt.regions:
        if countries is None:
            raise BadFilter("A region filter needs the country index.")
        scope = set(countries.iso3_in_regions(flt.regions))
    if flt.countries:
        scope = set(flt.countries) if scope is None else scope & set(flt.countries)
    return None if scope is None else sorted(scope)


def _sql_conditions(flt: Filter, countries: CountryIndex) -> list[sa.ColumnElement[bool]]:
    table = Record.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
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
    if flt.seized_items:
        carried = Quantity.__table__.alias("carried")  # type: ignore[attr-defined]  # an alias: the frame's quantity query reads the table too
        conditions.append(sa.exists().where(carried.c.version == table.c.version,
                                            carried.c.item_group.in_(flt.seized_items)))
    return conditions


FRAME_EXTRA = ("latitude", "longitude", "city", "end_date", "lead_agency")  # maps and operations; optional
FRAME_READ = (*FRAME_COLUMNS, *FRAME_EXTRA)  # what frame_query() reads, in order


def load_frame(engine: Engine) -> pd.DataFrame:
    """The compact analytic frame of all stored records (a :class:`Filter` is applied by :func:`select`).

    SQLite files are read column-wise into Arrow by the ADBC SQLite driver in a
    child process (``ocops.sqlite_arrow``); PostgreSQL streams COPY output. ``ocops.snapshot``
    keeps a copy per data version so that even this is paid once per change.
    """
    path = sqlite_file(engine)
    if path is not None and os.path.getsize(path) >= sqlite_arrow.MIN_BYTES:
        queries = [str(query.compile(dialect=engine.dialect)) for query in (frame_query(), quantity_query())]
        with ThreadPoolExecutor(max_workers=2) as pool:  # two child processes, one per core
            raw, raw_quantities = pool.map(lambda sql: _read_sqlite_arrow(path, sql), queries)
        if raw is not None and raw_quantities is not None:
            return compact_frame(raw, raw_quantities)
    with engine.connect() as conn:  # PostgreSQL, or the child reader is not available
        return read_frame(conn)


def sqlite_file(engine: Engine) -> str | None:
    """The database file of an SQLite engine (None for PostgreSQL or an in-memory store)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return database if database and database != ":memory:" else None


def _read_sqlite_arrow(path: str, sql: str) -> pd.DataFrame | None:
    table = sqlite_arrow.read(path, sql)
    return None if table is None else table.to_pandas()  # type: ignore[attr-defined]


def frame_query() -> sa.Select[Any]:
    """The frame's columns of every record (FRAME_READ, in order)."""
    table = Record.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    return sa.select(*(table.c[name] for name in (*FRAME_COLUMNS, *FRAME_EXTRA)))


def quantity_query() -> sa.Select[Any]:
    """The quantities of the current records."""
    table = Record.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    quantity = Quantity.__table__  # type: ignore[attr-defined]
    return sa.select(*(quantity.c[name] for name in QUANTITY_FRAME)).select_from(
        quantity.join(table, table.c.version == quantity.c.version))


def read_frame(conn: Connection) -> pd.DataFrame:
    """:func:`load_frame` on an open connection (inside the caller's transaction)."""
    raw = read_query(conn, frame_query(), FRAME_READ)
    quantities = read_query(conn, quantity_query(), QUANTITY_FRAME)
    return compact_frame(raw, quantities)


TEXT_COLUMNS = ("country", "crime_area", "operation", "city", "end_date", "lead_agency", "item_group", "kind")


def read_query(conn: Connection, query: sa.Select[Any], names: Sequence[str]) -> pd.DataFrame:
    """A query's rows as a raw frame: COPY on PostgreSQL, the DB-API cursor on SQLite."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})  # ints only
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            buffer = io.BytesIO()
            with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            raw = _parse_copy(buffer.getbuffer(), names)
            if "operation" in raw and raw["operation"].isna().any():  # no operation: "" as in the SQLite store
                operation = raw["operation"]
                if isinstance(operation.dtype, pd.CategoricalDtype) and "" not in operation.cat.categories:
                    operation = operation.cat.add_categories([""])
                raw["operation"] = operation.fillna("")
        else:
            cursor.execute(str(compiled))
            rows = cursor.fetchall()
            columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
            raw = pd.DataFrame({name: pd.Series(values, dtype=object)
                                for name, values in zip(names, columns, strict=True)})
    finally:
        cursor.close()
    return raw


def _dates(values: pd.Series, errors: str = "raise") -> pd.Series:
    """ISO dates as datetime64 (already parsed ones, e.g. by the Arrow reader, as they are)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    text = values.astype(object) if errors == "coerce" else values.astype(str)
    return pd.to_datetime(text, format="ISO8601", errors=errors)  # type: ignore[call-overload]


DATE_COLUMNS = ("date", "end_date")


def _parse_copy(data: memoryview, names: Sequence[str]) -> pd.DataFrame:
    """PostgreSQL's COPY CSV output as a raw frame, parsed by Arrow on every core: text columns
    dictionary-encoded (categoricals), ISO dates as timestamps, an empty field as missing.
    (pandas' parser needed several GB and minutes for 10M records.)"""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not len(data):  # no rows: Arrow refuses an empty file
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in names})
    types = {name: pa.dictionary(pa.int32(), pa.string()) for name in TEXT_COLUMNS if name in names}
    types.update({name: pa.timestamp("s") for name in DATE_COLUMNS if name in names})
    table = pacsv.read_csv(pa.py_buffer(data), read_options=pacsv.ReadOptions(column_names=list(names)),
                           convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""],
                                                                strings_can_be_null=True))
    return table.to_pandas()


def _numbers(raw: pd.DataFrame, name: str, dtype: str) -> np.ndarray:
    return pd.to_numeric(raw[name], errors="coerce").fillna(0).to_numpy(dtype=dtype)


def _category(values: pd.Series) -> pd.Categorical:
    """A categorical with sorted categories (already-categorical input is only reordered)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        ordered = sorted(str(c) for c in categories)
        if list(categories) != ordered:
            values = values.cat.set_categories(ordered)
        return pd.Categorical(values)
    return pd.Categorical(values.astype(object).where(values.notna(), None))


class Quantities:
    """The per-quantity companion of a frame, kept in ``frame.attrs["quantities"]``.

    ``table`` has one row per seized quantity: ``record`` (the record's ``rid``, its
    position in the full frame), ``item`` (categorical vocabulary item), ``kind``
    (kg / l / items, categorical), ``amount`` and ``value_usd``. ``records`` is the
    length of the full frame. Shared, never copied: pandas deep-copies ``attrs`` on
    every selection, and this object returns itself.
    """

    def __init__(self, table: pd.DataFrame, records: int, kinds: dict[str, np.ndarray] | None = None) -> None:
        self.table, self.records = table, records
        self._kinds: dict[str, np.ndarray] = kinds or {}  # kind -> mask of its quantities, found once

    def __deepcopy__(self, memo: dict[int, Any]) -> Quantities:
        return self

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def weights(self, measure: str) -> np.ndarray:
        """Per quantity: its value (seized_value_usd) or its amount when of the measure's kind, else 0
        (the table holds 0 for a missing amount or value)."""
        if measure == "seized_value_usd":
            return self.table["value_usd"].to_numpy(dtype="float64")
        kind = QUANTITY_SUMS[measure]
        if kind not in self._kinds:
            self._kinds[kind] = in_categories(self.table["kind"], [kind])
        return np.where(self._kinds[kind], self.table["amount"].to_numpy(dtype="float64"), 0.0)

    def per_record(self, measure: str) -> np.ndarray:
        """``measure`` summed per record of the full frame."""
        sums = np.bincount(self.table["record"].to_numpy(), weights=self.weights(measure), minlength=self.records)
        return sums.astype("float64", copy=False)  # numpy gives int64 for no quantities at all

    def only(self, mask: np.ndarray) -> Quantities:
        """The quantities of ``mask``."""
        return Quantities(self.table[mask].reset_index(drop=True), self.records,
                          {kind: of_kind[mask] for kind, of_kind in self._kinds.items()})


def quantities_of(frame: pd.DataFrame) -> Quantities:
    """The frame's per-quantity companion (empty for a frame built without one)."""
    found = frame.attrs.get("quantities")
    if isinstance(found, Quantities):
        return found
    empty = pd.DataFrame({"record": np.zeros(0, dtype=np.int32), "item": pd.Categorical([]),
                          "kind": pd.Categorical([]), "amount": np.zeros(0), "value_usd": np.zeros(0)})
    return Quantities(empty, len(frame))


def attach_quantities(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Give ``frame`` its quantity table and the per-record sums it lacks (a copy read back
    has them, written from the same frame as its table)."""
    quantities = Quantities(table, len(frame))
    frame.attrs["quantities"] = quantities
    for name in ("seized_value_usd", *QUANTITY_SUMS):
        if name not in frame:
            frame[name] = quantities.per_record(name)
    return frame


# What `summary` reads of a frame copy (the CLI reads no more: ocops.snapshot.cached_frame(columns=...)).
SUMMARY_COLUMNS: tuple[str, ...] = ("date", "country", "crime_area", "operation", "arrests", "seizures",
                                    "victims_rescued", "seized_value_usd", "seized_kg", "seized_l", "seized_items",
                                    "month", "rid")


def _quantity_table(raw: pd.DataFrame, versions: np.ndarray) -> pd.DataFrame:
    """Quantities read from the store, each tied to its record's position in the frame."""
    order = np.argsort(versions, kind="stable")
    own = pd.to_numeric(raw["version"], errors="coerce").fillna(-1).to_numpy(dtype="int64")
    index = np.clip(np.searchsorted(versions[order], own), 0, max(len(order) - 1, 0))
    found = (versions[order][index] == own) if len(order) else np.zeros(len(own), dtype=bool)
    amount = np.nan_to_num(pd.to_numeric(raw["amount"], errors="coerce").to_numpy(dtype="float64"))
    value = np.nan_to_num(pd.to_numeric(raw["value_usd"], errors="coerce").to_numpy(dtype="float64"))
    table = pd.DataFrame({
        "record": order[index][found].astype(np.int32) if len(order) else np.zeros(0, dtype=np.int32),
        "item": _category(raw["item_group"][found].reset_index(drop=True)),
        "kind": _category(raw["kind"][found].reset_index(drop=True)),
        "amount": amount[found],  # 0 when not given: the table only feeds sums
        "value_usd": value[found],
    })
    # Sorted by record, then item: a record's quantities of one item are adjacent (grouped_by_item).
    ordered = np.lexsort((table["item"].cat.codes.to_numpy(), table["record"].to_numpy()))
    return table.iloc[ordered].reset_index(drop=True)


def compact_frame(raw: pd.DataFrame, raw_quantities: pd.DataFrame | None = None) -> pd.DataFrame:
    """Types and derived columns for fast grouping: categoricals, int64 counts, kg/l/items, month;
    the quantities as a companion table (:class:`Quantities`) with their sums per record."""
    dates = _dates(raw["date"]) if len(raw) else pd.Series([], dtype="datetime64[s]")
    frame = pd.DataFrame({
        "date": dates.astype("datetime64[s]").to_numpy(),
        "country": _category(raw["country"]),
        "crime_area": _category(raw["crime_area"]),
        "operation": _category(raw["operation"]),
        "arrests": _numbers(raw, "arrests", "int64"),
        "seizures": _numbers(raw, "seizures", "int64"),
        "victims_rescued": _numbers(raw, "victims_rescued", "int64"),
        "batch_id": _numbers(raw, "batch_id", "int64"),
        "rid": np.arange(len(raw), dtype=np.int32),  # the record's position: quantities refer to it
    })
    if raw_quantities is None:
        raw_quantities = pd.DataFrame({name: pd.Series([], dtype=object) for name in QUANTITY_FRAME})
    versions = _numbers(raw, "version", "int64") if "version" in raw else np.full(len(raw), -1, dtype=np.int64)
    frame["version"] = versions  # the stored row's version: ocops.delta reads only rows the frame lacks
    attach_quantities(frame, _quantity_table(raw_quantities, versions))
    frame["month"] = (frame["date"].dt.year * 100 + frame["date"].dt.month).astype("int32")
    if all(name in raw for name in FRAME_EXTRA):
        frame["latitude"] = pd.to_numeric(raw["latitude"], errors="coerce").to_numpy(dtype="float64")
        frame["longitude"] = pd.to_numeric(raw["longitude"], errors="coerce").to_numpy(dtype="float64")
        frame["city"] = _category(raw["city"])
        frame["end_date"] = _dates(raw["end_date"], errors="coerce").astype("datetime64[s]").to_numpy()
        frame["lead_agency"] = _category(raw["lead_agency"])
    return frame


SELECTIONS_KEPT = 4  # a page's filter, its comparison period and an operation of it, per frame


class Selections:
    """The last few selections of one frame, kept in ``frame.attrs["selections"]`` so that
    every view of one filter (and every rerun that keeps it) selects once.

    Frames are never modified once built, so a selection stays valid as long as its frame.
    A frame derived from this one (pandas deep-copies ``attrs``) starts with none.
    """

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[Filter, int], tuple[CountryIndex | None, pd.DataFrame | None]] = OrderedDict()
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> Selections:
        return Selections()

    def __reduce__(self) -> tuple[type[Selections], tuple[()]]:
        return Selections, ()  # a pickled frame (st.cache_data) carries no selections

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def of(self, frame: pd.DataFrame, flt: Filter, countries: CountryIndex | None) -> pd.DataFrame:
        """The selection of ``flt`` from ``frame``, computed on first use."""
        key = (flt, id(countries))
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
        if found is None:
            chosen = _select(frame, flt, countries)
            found = (countries, None if chosen is frame else chosen)  # never a reference to the frame itself
            with self._lock:
                self._kept[key] = found
                # At most SELECTIONS_KEPT, holding at most as many rows as the frame (memory).
                while len(self._kept) > 1 and (len(self._kept) > SELECTIONS_KEPT or self._rows() > len(frame)):
                    self._kept.popitem(last=False)
        return frame if found[1] is None else found[1]

    def _rows(self) -> int:
        return sum(len(chosen) for _countries, chosen in self._kept.values() if chosen is not None)


def select(frame: pd.DataFrame, flt: Filter, countries: CountryIndex | None) -> pd.DataFrame:
    """The rows of ``frame`` that ``flt`` selects (remembered per frame: see :class:`Selections`).

    The result is shared with later callers of the same filter: never modify it."""
    selections = frame.attrs.get("selections")
    if not isinstance(selections, Selections):
        selections = frame.attrs["selections"] = Selections()
    return selections.of(frame, flt, countries)


def _select(frame: pd.DataFrame, flt: Filter, countries: CountryIndex | None) -> pd.DataFrame:
    """:func:`select` computed (the only place a selection is)."""
    mask = np.ones(len(frame), dtype=bool)
    scope = _country_scope(flt, countries) if countries is not None or not flt.regions else None
    if flt.regions and countries is None:
        raise BadFilter("A region filter needs the country index.")
    if scope is not None:
        mask &= in_categories(frame["country"], scope)
    if flt.crime_areas:
        mask &= in_categories(frame["crime_area"], flt.crime_areas)
    if flt.operations:
        mask &= in_categories(frame["operation"], flt.operations)
    if flt.since or flt.until:
        days = frame["date"].to_numpy()
        if flt.since:
            mask &= days >= np.datetime64(flt.since, "s")
        if flt.until:
            mask &= days <= np.datetime64(flt.until, "s")
    if not flt.seized_items:
        return frame if mask.all() else frame[mask]
    return _only_items(frame, mask, flt.seized_items)


def _only_items(frame: pd.DataFrame, mask: np.ndarray, items: Sequence[str]) -> pd.DataFrame:
    """The records of ``mask`` that carry any of ``items``, with only those items' quantities and value."""
    quantities = quantities_of(frame)
    wanted = quantities.only(in_categories(quantities.table["item"], items))
    carries = np.zeros(quantities.records, dtype=bool)
    carries[wanted.table["record"].to_numpy()] = True
    rid = frame["rid"].to_numpy()
    chosen = frame[mask & carries[rid]]
    rid = chosen["rid"].to_numpy()
    chosen = chosen.assign(**{name: wanted.per_record(name)[rid] for name in ("seized_value_usd", *QUANTITY_SUMS)})
    chosen.attrs["quantities"] = wanted
    return chosen


@dataclass(frozen=True)
class QuantityRows:
    """The quantities of a selected frame: each one's row position in it and item code."""

    position: np.ndarray
    item: np.ndarray
    labels: list[str]
    quantities: Quantities
    kept: np.ndarray

    def weights(self, measure: str) -> np.ndarray:
        """Per kept quantity: the value or the amount of the measure's kind."""
        return self.quantities.weights(measure)[self.kept]


def quantity_rows(chosen: pd.DataFrame) -> QuantityRows:
    """The quantities of the records in ``chosen`` (a :func:`select` result)."""
    quantities = quantities_of(chosen)
    position_of = np.full(quantities.records, -1, dtype=np.int64)
    position_of[chosen["rid"].to_numpy()] = np.arange(len(chosen))
    position = position_of[quantities.table["record"].to_numpy()]
    kept = position >= 0
    item = quantities.table["item"]
    return QuantityRows(position[kept], item.cat.codes.to_numpy().astype(np.int64)[kept],
                        [str(c) for c in item.cat.categories], quantities, kept)


def grouped_by_item(chosen: pd.DataFrame) -> pd.DataFrame:
    """Per seized item: the records, operations, countries and seizures that carry it, and only
    its quantities and value (arrests and victims are not split by item), sorted by item."""
    rows = quantity_rows(chosen)
    groups = len(rows.labels)
    # Quantities are sorted by record and item (_quantity_table): the first of each run is a distinct pair.
    first = np.ones(len(rows.item), dtype=bool)
    first[1:] = (rows.position[1:] != rows.position[:-1]) | (rows.item[1:] != rows.item[:-1])
    item, position = rows.item[first], rows.position[first]
    table = pd.DataFrame({"key": rows.labels, "records": np.bincount(item, minlength=groups)})
    for measure, column in (("operations", "operation"), ("countries", "country")):
        table[measure] = _distinct_per_group(item, groups, chosen[column].iloc[position]) if len(item) else 0
    seizures = chosen["seizures"].to_numpy()[position]
    table["seizures"] = np.rint(np.bincount(item, weights=seizures, minlength=groups)).astype(np.int64)
    for measure in ("seized_value_usd", *QUANTITY_SUMS):
        table[measure] = np.bincount(rows.item, weights=rows.weights(measure), minlength=groups)
    table = table[table["records"] > 0]
    return table.sort_values("key", kind="stable").reset_index(drop=True)[["key", *ITEM_MEASURES]]


def in_categories(column: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    """Row mask of a categorical column whose value is in ``wanted`` (compares codes, not strings)."""
    categories = column.cat.categories
    allowed = np.zeros(len(categories) + 1, dtype=bool)  # last slot: missing (code -1)
    allowed[:-1] = categories.isin(list(wanted))
    return allowed[column.cat.codes.to_numpy()]


def _clean(value: Any, name: str) -> Any:
    if name in INT_MEASURES:
        return int(round(float(value)))
    number = float(value)
    if name == "seized_items" and number.is_integer():
        return int(number)
    return round(number, 6)


def _distinct_count(column: pd.Series) -> int:
    codes = column.cat.codes.to_numpy()
    present = np.bincount(codes[codes >= 0], minlength=len(column.cat.categories))
    return int(np.count_nonzero(present))


def totals(frame: pd.DataFrame) -> dict[str, Any]:
    """Every measure over an already-selected frame."""
    result: dict[str, Any] = {
        "records": len(frame),
        "operations": _distinct_count(frame["operation"]),
        "countries": _distinct_count(frame["country"]),
    }
    for name in SUM_MEASURES:
        result[name] = frame[name].to_numpy().sum()
    return {k: _clean(v, k) for k, v in result.items()}


def group_codes(frame: pd.DataFrame, by: str, countries: CountryIndex | None) -> tuple[np.ndarray, list[str]]:
    """Integer group codes per row and the label of each code (region derived, month as YYYY-MM)."""
    if by == "region":
        if countries is None:
            raise BadFilter("Grouping by region needs the country index.")
        region_of = [countries.region_of(c) for c in frame["country"].cat.categories]
        labels = sorted(set(region_of))
        lookup = np.array([labels.index(r) for r in region_of] + [0], dtype=np.int64)
        return lookup[frame["country"].cat.codes.to_numpy()], labels
    if by == "month":
        yyyymm = frame["month"].to_numpy().astype(np.int64)
        if len(yyyymm) == 0:
            return yyyymm, []
        index = (yyyymm // 100) * 12 + (yyyymm % 100) - 1
        first = int(index.min())
        labels = [f"{(first + i) // 12:04d}-{(first + i) % 12 + 1:02d}" for i in range(int(index.max()) - first + 1)]
        return index - first, labels
    if by not in GROUPINGS or by == "seized_item":  # a record may carry several items: see grouped_by_item
        raise BadFilter(f"Cannot group by '{by}': use one of {', '.join(g for g in GROUPINGS if g != 'seized_item')}.")
    column = frame[by]
    return column.cat.codes.to_numpy().astype(np.int64), [str(c) for c in column.cat.categories]


def _distinct_per_group(codes: np.ndarray, groups: int, column: pd.Series) -> np.ndarray:
    values = column.cat.codes.to_numpy().astype(np.int64)
    size = max(len(column.cat.categories), 1)
    if groups * size <= 50_000_000:  # a presence table: no sorting, one scatter
        seen = np.zeros(groups * size, dtype=bool)
        seen[codes * size + values] = True
        return seen.reshape(groups, size).sum(axis=1)
    pairs = np.unique(codes * size + values)
    return np.bincount(pairs // size, minlength=groups)


def measure_per_group(frame: pd.DataFrame, codes: np.ndarray, groups: int, measure: str) -> np.ndarray:
    """One measure per group code: a count, a distinct count or a sum."""
    if measure == "records":
        return np.bincount(codes, minlength=groups)
    if measure in ("operations", "countries"):
        return _distinct_per_group(codes, groups, frame[DISTINCT_OF[measure]])
    sums = np.bincount(codes, weights=frame[measure].to_numpy(dtype="float64"), minlength=groups)
    return np.rint(sums).astype(np.int64) if measure in INT_MEASURES else sums


def measure_matrix(frame: pd.DataFrame, rows: np.ndarray, n_rows: int, columns: np.ndarray, n_columns: int,
                   measure: str) -> tuple[np.ndarray, np.ndarray]:
    """``measure`` and the record count per (row code, column code) cell, as two 2-D arrays."""
    cells = rows * n_columns + columns
    values = measure_per_group(frame, cells, n_rows * n_columns, measure).reshape(n_rows, n_columns)
    counts = np.bincount(cells, minlength=n_rows * n_columns).reshape(n_rows, n_columns)
    return values, counts


def grouped(frame: pd.DataFrame, by: str, countries: CountryIndex | None,
            measures: Sequence[str] | None = None) -> pd.DataFrame:
    """Every measure (or only ``measures``, and records) per group, one row per key, sorted by
    key (month keys as YYYY-MM)."""
    every = ITEM_MEASURES if by == "seized_item" else MEASURES
    wanted = list(every) if measures is None else ["records", *(m for m in every if m in measures and m != "records")]
    columns = ["key", *wanted]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    if by == "seized_item":
        return grouped_by_item(frame)[columns]
    codes, labels = group_codes(frame, by, countries)
    table = pd.DataFrame({"key": labels, **{measure: measure_per_group(frame, codes, len(labels), measure)
                                            for measure in wanted}})
    table = table[table["records"] > 0]
    if labels != sorted(labels):
        table = table.sort_values("key", kind="stable")
    return table.reset_index(drop=True)[columns]


def summary(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, by: str | None = None) -> dict[str, Any]:
    """The `summary` JSON of CONTRACT.md section 6 for ``flt`` (groups only with ``by``)."""
    chosen = select(frame, flt, countries)
    result: dict[str, Any] = {"filters": flt.to_dict(), "totals": totals(chosen)}
    if by:
        table = grouped(chosen, by, countries)
        measures = ITEM_MEASURES if by == "seized_item" else MEASURES
        result["groups"] = [
            {"key": row["key"], **{m: _clean(row[m], m) for m in measures}} for row in table.to_dict("records")
        ]
    return result


SEIZED_FIELDS = {"seized_item": "item", "seized_quantity": "quantity", "seized_unit": "unit",
                 "seized_value_usd": "value_usd"}  # contract field -> quantity column
EXPORT_QUANTITY = ("item", "item_group", "quantity", "unit", "kind", "amount", "value_usd")
RECORD_COLUMNS: tuple[str, ...] = (*EXPORT_COLUMNS, "quantities")


def records(
    engine: Engine,
    flt: Filter,
    countries: CountryIndex,
    limit: int | None = None,
    columns: Sequence[str] = RECORD_COLUMNS,
) -> pd.DataFrame:
    """The filtered records with every contract field plus region and batch_id, newest first,
    and ``quantities``: every seized quantity of the record (a list of dicts with
    EXPORT_QUANTITY keys, in order); the ``seized_*`` fields hold the first one."""
    table = Record.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    quantity = Quantity.__table__  # type: ignore[attr-defined]
    stored = [c for c in columns if c not in ("region", "quantities") and c not in SEIZED_FIELDS]
    if "region" in columns and "country" not in stored:
        stored.append("country")  # the region is derived from it
    query = (sa.select(*(table.c[c] for c in stored), table.c.version).where(*_sql_conditions(flt, countries))
             .order_by(table.c.date.desc(), table.c.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    chosen = query.subquery()
    quantities = (sa.select(quantity.c.version, *(quantity.c[c] for c in EXPORT_QUANTITY))
                  .join(chosen, chosen.c.version == quantity.c.version)
                  .order_by(quantity.c.version, quantity.c.position, quantity.c.id))
    with engine.connect() as conn:
        rows = conn.execute(query).fetchall()
        found = conn.execute(quantities).fetchall()
    frame = pd.DataFrame(rows, columns=[*stored, "version"]).astype(object)
    frame = frame.where(frame.notna(), None)
    by_version: dict[int, list[dict[str, Any]]] = {}
    for row in found:
        values = {name: (None if pd.isna(value) else value)
                  for name, value in zip(EXPORT_QUANTITY, row[1:], strict=True)}
        by_version.setdefault(int(row[0]), []).append(values)
    lists = [by_version.get(int(v), []) for v in frame["version"]]
    for name, source in SEIZED_FIELDS.items():
        if name in columns:
            frame[name] = pd.Series([q[0][source] if q else None for q in lists], index=frame.index, dtype=object)
    if "region" in columns:
        frame["region"] = [countries.region_of(c) for c in frame["country"]] if len(frame) else []
    frame["quantities"] = pd.Series(lists, index=frame.index, dtype=object)
    return frame[list(columns)]


POINT_MEASURES: tuple[str, ...] = ("records", "arrests", "seizures", "victims_rescued", "seized_value_usd")
POINT_COLUMNS: tuple[str, ...] = ("placed", "country", "city", "lat", "lon", *POINT_MEASURES)


def _round_half_away(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round like SQL's ROUND: halves away from zero (numpy rounds halves to even)."""
    scale = 10.0 ** decimals
    return np.round(np.sign(values) * np.floor(np.abs(values) * scale + 0.5) / scale, decimals)


def points(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, decimals: int = 1) -> pd.DataFrame:
    """Per-location totals of the filtered records, for maps (never one row per record).

    One row per (country, lat, lon rounded to ``decimals``) for records with coordinates
    (``placed`` = "coordinates"), per (country, city) for records with a city but no
    coordinates ("city", lat/lon empty), and per country for the rest ("country").
    """
    chosen = select(frame, flt, countries)
    n = len(chosen)
    lat = chosen["latitude"].to_numpy(dtype="float64") if "latitude" in chosen else np.full(n, np.nan)
    lon = chosen["longitude"].to_numpy(dtype="float64") if "longitude" in chosen else np.full(n, np.nan)
    has_xy = ~np.isnan(lat) & ~np.isnan(lon)
    if "city" in chosen:
        city_codes = chosen["city"].cat.codes.to_numpy()
        named = np.array([bool(str(c).strip()) for c in chosen["city"].cat.categories] + [False], dtype=bool)
        has_city = named[city_codes] & ~has_xy
        city = chosen["city"].astype(object).to_numpy()
    else:
        has_city, city = np.zeros(n, dtype=bool), np.full(n, None, dtype=object)
    base = pd.DataFrame({
        "country": chosen["country"].astype(object).to_numpy(), "city": city,
        "lat": _round_half_away(np.where(has_xy, lat, 0.0), decimals),
        "lon": _round_half_away(np.where(has_xy, lon, 0.0), decimals),
        "records": np.ones(n, dtype=np.int64),
        **{m: chosen[m].to_numpy() for m in POINT_MEASURES[1:]},
    })
    parts = []
    for placed, mask, keys in (("coordinates", has_xy, ["country", "lat", "lon"]),
                               ("city", has_city, ["country", "city"]),
                               ("country", ~has_xy & ~has_city, ["country"])):
        part = base[mask].groupby(keys, sort=True)[list(POINT_MEASURES)].sum().reset_index()
        for column in ("city", "lat", "lon"):
            if column not in keys:
                part[column] = None
        part.insert(0, "placed", placed)
        parts.append(part[list(POINT_COLUMNS)])
    result = pd.concat(parts, ignore_index=True)
    for name in ("lat", "lon", "seized_value_usd"):
        result[name] = pd.to_numeric(result[name]).astype("float64")
    for name in POINT_MEASURES[:-1]:
        result[name] = result[name].astype("int64")
    return result
