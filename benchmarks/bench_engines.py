"""Serving the Overview's figures: the numpy frame against DuckDB and rollups, side by side (issue 15).

For each candidate engine a fresh child process loads the store's Parquet snapshot (the
``frame-v3-*`` and ``quantities-v3-*`` files ``ocops.snapshot`` writes per data version),
reports its load time and RSS (``/proc/self/statm``: the children share no memory), then
computes the Overview page's figures for at least 10 distinct filter states (none repeated,
none answered from a cache) and reports the median and the maximum time per state. The
figures of every candidate are compared with the frame's (candidate ``frame``: exactly the
``ocops.views`` / ``ocops.maps`` calls the page makes).

Figures per state (pages/overview.py): ``views.kpis`` with the previous period, ``views.items_table``,
``maps.country_table`` (the choropleth's table), ``views.time_series(arrests, month, no stack)``,
``views.totals_by`` region and crime area, ``views.latest_operations``.

Candidates:

- ``frame``: ``snapshot.cached_frame`` (the app's path) and the ``ocops.views`` functions.
- ``duckdb-parquet``: DuckDB views straight over the Parquet files (nothing loaded).
- ``duckdb-memory``: DuckDB tables built from the Parquet files in an in-memory database.
- ``duckdb-file``: the same tables in a DuckDB file next to the snapshot (built once per data
  version in its own process, rollups included; the measured process only opens it).
- ``rollup``: month x country x crime area x operation rollups (and x seized item for the items
  table), in DuckDB. They cannot answer a day-level period (last 30 days, last 12 months ending
  on the latest record date...) or a seized-item filter: those figures say ``cannot``.
- ``rollup-hybrid``: the rollups for the whole years and months of a period (a yearly rollup beside
  the monthly one) and the raw DuckDB table for the days at its edges (holds both, in memory).
- ``rollup-file``: the same as ``rollup-hybrid`` from the DuckDB file (which holds the rollups too).

Every DuckDB connection runs with ``SET threads`` (default 2) and a ``memory_limit`` (default 500MB).

    python -m benchmarks.bench_engines --rows 1000000
    python -m benchmarks.bench_engines --db sqlite:////work/bench/10m/store.db --cache-dir /work/bench/10m/cache
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, demo_csv, emit

CANDIDATES = ("frame", "duckdb-parquet", "duckdb-memory", "duckdb-file", "rollup", "rollup-hybrid", "rollup-file")
ROLLED = ("rollup", "rollup-hybrid", "rollup-file")
FIGURES = ("kpis", "items_table", "country_table", "monthly_arrests", "by_region", "by_crime_area",
           "latest_operations")
TARGET_MS = {1_000_000: 150, 10_000_000: 500}
RSS_TARGET_MB = 600
SUMS = ("arrests", "seizures", "victims_rescued", "seized_value_usd", "seized_kg", "seized_l", "seized_items")


class Cannot(Exception):
    """A candidate cannot produce a figure exactly (it says why instead of approximating)."""


def rss_mb() -> float:
    """This process's resident set size in MB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------- filter states


def filter_to_json(flt: Any) -> dict[str, Any]:
    """A Filter as JSON (dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else list(v) if isinstance(v, tuple) else v)
            for k, v in asdict(flt).items()}


def filter_from_json(data: dict[str, Any]) -> Any:
    """The Filter of :func:`filter_to_json`."""
    from ocops.queries import Filter

    return Filter(**{k: (dt.date.fromisoformat(v) if k in ("since", "until") and v else
                         tuple(v) if isinstance(v, list) else v) for k, v in data.items()})


def filter_states(catalog: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """A warm-up state and the measured states a manager would pick, all distinct."""
    from ocops.links import calendar_range, period_range
    from ocops.queries import Filter

    anchor = dt.date.fromisoformat(catalog["anchor"])

    def period(name: str) -> dict[str, dt.date | None]:
        since, until = period_range(name, anchor)
        return {"since": since, "until": until}

    countries, areas = catalog["countries"], catalog["crime_areas"]  # most records first
    operations, items = catalog["operations"], catalog["items"]
    quarter = (anchor.month - 1) // 3  # the last complete calendar quarter
    year, q = (anchor.year, quarter) if quarter else (anchor.year - 1, 4)
    q_since, q_until = calendar_range(f"{year}-Q{q}") or (None, None)
    y_since, y_until = calendar_range(str(anchor.year - 2)) or (None, None)
    mid_country = countries[min(10, len(countries) - 1)]
    states = [
        ("all time", Filter()),
        ("last 12 months", Filter(**period("last-12-months"))),
        ("last 30 days, Europe", Filter(regions=("Europe",), **period("last-30-days"))),
        ("last quarter, top crime area", Filter(crime_areas=(areas[0],), **period("last-quarter"))),
        ("year to date, Africa + Americas", Filter(regions=("Africa", "Americas"), **period("year-to-date"))),
        ("previous year, Asia and South Pacific, 2nd crime area",
         Filter(regions=("Asia and South Pacific",), crime_areas=(areas[min(1, len(areas) - 1)],),
                **period("previous-year"))),
        ("all time, the smallest country", Filter(countries=(countries[-1],))),
        ("last 12 months, a mid-sized country, 2 crime areas",
         Filter(countries=(mid_country,), crime_areas=tuple(areas[2:4]), **period("last-12-months"))),
        (f"calendar quarter {year}-Q{q}, Middle East and North Africa",
         Filter(regions=("Middle East and North Africa",), since=q_since, until=q_until)),
        (f"calendar year {anchor.year - 2}, the largest country", Filter(countries=(countries[0],), since=y_since,
                                                                         until=y_until)),
        ("last 12 months, one operation", Filter(operations=(operations[len(operations) // 2],),
                                                 **period("last-12-months"))),
        ("last 12 months, one seized item", Filter(seized_items=(items[0],), **period("last-12-months"))),
        ("custom months 2021-01..2023-06, Europe, 3 crime areas",
         Filter(regions=("Europe",), crime_areas=tuple(areas[4:7]), since=dt.date(2021, 1, 1),
                until=dt.date(2023, 6, 30))),
    ]
    warmup = Filter(regions=("Americas",), **period("last-12-months"))
    seen = {warmup}
    for name, flt in states:
        if flt in seen:
            raise AssertionError(f"filter state '{name}' repeats another")
        seen.add(flt)
    return filter_to_json(warmup), [(name, filter_to_json(flt)) for name, flt in states]


# ---------------------------------------------------------------- normal form of the figures


def plain(value: Any) -> Any:
    """A figure as JSON-ready lists, dicts, numbers and text (dates as ISO text, NaN as None)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [plain(row) for row in value.to_dict("records")]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(value) else float(value)
    if value is None or value is pd.NaT:
        return None
    return value


def same(a: Any, b: Any, path: str = "") -> str | None:
    """None when two plain figures agree (numbers to rel 1e-9 / abs 1e-6), else where they differ."""
    if isinstance(a, bool) or isinstance(b, bool):
        return None if a == b else f"{path}: {a!r} != {b!r}"
    if isinstance(a, int | float) and isinstance(b, int | float):
        return None if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6) else f"{path}: {a!r} != {b!r}"
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} rows != {len(b)} rows"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = same(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: columns {list(a)} != {list(b)}"
        for key in a:
            found = same(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


# ---------------------------------------------------------------- candidate (a): the frame


class FrameEngine:
    """The current product path: the compact frame from the snapshot and ``ocops.views``."""

    def __init__(self, spec: dict[str, Any], countries: Any) -> None:
        from ocops import snapshot
        from ocops.store import make_engine

        self.countries = countries
        engine = make_engine(spec["db"])
        self.frame = snapshot.cached_frame(engine, Path(spec["cache_dir"]))
        engine.dispose()

    def figures(self, flt: Any) -> dict[str, Callable[[], Any]]:
        """One callable per figure, exactly as the Overview page computes it."""
        from ocops import maps, views

        frame, countries = self.frame, self.countries
        return {
            "kpis": lambda: [{"measure": k.measure, "value": k.value, "delta": k.delta}
                             for k in views.kpis(frame, flt, countries, "previous")],
            "items_table": lambda: views.items_table(frame, flt, countries),
            "country_table": lambda: maps.country_table(frame, flt, countries),
            "monthly_arrests": lambda: views.time_series(frame, flt, countries, "arrests", "month", None),
            "by_region": lambda: views.totals_by(frame, flt, countries, "region"),
            "by_crime_area": lambda: views.totals_by(frame, flt, countries, "crime_area"),
            "latest_operations": lambda: views.latest_operations(frame, flt, countries),
        }


# ---------------------------------------------------------------- candidates (b), (c): DuckDB


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(column: str, values: Any, known: set[str] | None = None) -> str:
    values = [v for v in values if known is None or v in known]
    return f"{column} IN ({', '.join(_quote(v) for v in values)})" if values else "FALSE"


def _month(day: dt.date) -> int:
    return day.year * 100 + day.month


def _month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


RECORD_COLUMNS = ("CAST(date AS DATE) AS date, month, CAST(country AS VARCHAR) AS country, "
                  "CAST(crime_area AS VARCHAR) AS crime_area, CAST(operation AS VARCHAR) AS operation, rid, "
                  "arrests, seizures, victims_rescued, seized_value_usd, seized_kg, seized_l, seized_items")
ITEM_SQL = """
SELECT q.record AS rid, r.date, r.month, r.country, r.crime_area, r.operation, q.item, r.seizures,
       sum(q.value_usd) AS seized_value_usd,
       sum(CASE WHEN q.kind = 'kg' THEN q.amount ELSE 0 END) AS seized_kg,
       sum(CASE WHEN q.kind = 'l' THEN q.amount ELSE 0 END) AS seized_l,
       sum(CASE WHEN q.kind = 'items' THEN q.amount ELSE 0 END) AS seized_items
FROM (SELECT record, CAST(item AS VARCHAR) AS item, CAST(kind AS VARCHAR) AS kind, amount, value_usd
      FROM read_parquet({quantities})) q
JOIN records r ON r.rid = q.record
GROUP BY ALL
"""
ROLLUP_SQL = """
SELECT month, country, crime_area, operation, count(*) AS records, min(date) AS date_min, max(date) AS date_max,
       sum(arrests) AS arrests, sum(seizures) AS seizures, sum(victims_rescued) AS victims_rescued,
       sum(seized_value_usd) AS seized_value_usd, sum(seized_kg) AS seized_kg, sum(seized_l) AS seized_l,
       sum(seized_items) AS seized_items
FROM records GROUP BY ALL ORDER BY month
"""
ROLLUP_ITEMS_SQL = """
SELECT month, country, crime_area, operation, item, count(*) AS records, sum(seizures) AS seizures,
       sum(seized_value_usd) AS seized_value_usd, sum(seized_kg) AS seized_kg, sum(seized_l) AS seized_l,
       sum(seized_items) AS seized_items
FROM record_items GROUP BY ALL ORDER BY month
"""
MEASURE_SQL = ("sum(records) AS records, count(DISTINCT operation) AS operations, "
               "count(DISTINCT country) AS countries, " + ", ".join(f"sum({m}) AS {m}" for m in SUMS))
RAW_CELLS = ("date AS date_min, date AS date_max, month, country, crime_area, operation, 1 AS records, "
             + ", ".join(SUMS))
ITEM_CELLS = "month, country, crime_area, operation, item, 1 AS records, seizures, " + ", ".join(SUMS[3:])
ROLLUP_YEAR_SQL = """
SELECT month // 100 AS year, country, crime_area, operation, sum(records) AS records, min(date_min) AS date_min,
       max(date_max) AS date_max, {sums}
FROM rollup GROUP BY ALL ORDER BY year
""".format(sums=", ".join(f"sum({m}) AS {m}" for m in SUMS))
ROLLUP_ITEMS_YEAR_SQL = """
SELECT month // 100 AS year, country, crime_area, operation, item, sum(records) AS records,
       sum(seizures) AS seizures, {sums}
FROM rollup_items GROUP BY ALL ORDER BY year
""".format(sums=", ".join(f"sum({m}) AS {m}" for m in SUMS[3:]))
YEAR_CELLS = ("date_min, date_max, NULL AS month, country, crime_area, operation, records, " + ", ".join(SUMS))
YEAR_ITEM_CELLS = "NULL AS month, country, crime_area, operation, item, records, seizures, " + ", ".join(SUMS[3:])
ROLLUP_CELLS = "date_min, date_max, month, country, crime_area, operation, records, " + ", ".join(SUMS)
ROLLUP_ITEM_CELLS = "month, country, crime_area, operation, item, records, seizures, " + ", ".join(SUMS[3:])


def write_duckdb_file(spec: dict[str, Any]) -> dict[str, Any]:
    """Build the DuckDB file of the snapshot (tables records and record_items) in its own process."""
    import duckdb

    path = Path(spec["duckdb_file"])
    path.unlink(missing_ok=True)
    start = time.perf_counter()
    conn = duckdb.connect(str(path))
    _settings(conn, spec)
    _load_tables(conn, spec, rollups=True)
    conn.execute("CHECKPOINT")
    conn.close()
    return {"build_s": round(time.perf_counter() - start, 2), "file_mb": round(path.stat().st_size / 2**20, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def _settings(conn: Any, spec: dict[str, Any]) -> None:
    conn.execute(f"SET threads={int(spec['threads'])}")
    conn.execute(f"SET memory_limit={_quote(spec['memory_limit'])}")
    conn.execute("SET enable_progress_bar=false")
    conn.execute(f"SET temp_directory={_quote(str(Path(spec['cache_dir']) / 'duckdb-tmp'))}")


ENUMS = {"country": "country_t", "crime_area": "area_t", "operation": "operation_t"}


def _load_tables(conn: Any, spec: dict[str, Any], rollups: bool, raw: bool = True) -> None:
    """Tables records and record_items (and the rollups) from the Parquet files, text keys as ENUM types."""
    frame, quantities = _quote(spec["frame_path"]), _quote(spec["quantities_path"])
    for column, type_name in ENUMS.items():
        conn.execute(f"CREATE TYPE {type_name} AS ENUM (SELECT DISTINCT CAST({column} AS VARCHAR) FROM "
                     f"read_parquet({frame}) WHERE {column} IS NOT NULL ORDER BY 1)")
    conn.execute(f"CREATE TYPE item_t AS ENUM (SELECT DISTINCT CAST(item AS VARCHAR) FROM read_parquet({quantities}) "
                 "WHERE item IS NOT NULL ORDER BY 1)")
    columns = RECORD_COLUMNS
    for column, type_name in ENUMS.items():
        columns = columns.replace(f"CAST({column} AS VARCHAR)", f"CAST(CAST({column} AS VARCHAR) AS {type_name})")
    # Sorted by date, so a period filter skips whole row groups (min/max zone maps).
    conn.execute(f"CREATE TABLE records AS SELECT {columns} FROM read_parquet({frame}) ORDER BY date")
    items = ITEM_SQL.format(quantities=quantities).replace("CAST(item AS VARCHAR)",
                                                           "CAST(CAST(item AS VARCHAR) AS item_t)")
    conn.execute("CREATE TABLE record_items AS " + items + " ORDER BY date")
    if rollups:
        conn.execute("CREATE TABLE rollup AS " + ROLLUP_SQL)
        conn.execute("CREATE TABLE rollup_items AS " + ROLLUP_ITEMS_SQL)
        conn.execute("CREATE TABLE rollup_year AS " + ROLLUP_YEAR_SQL)
        conn.execute("CREATE TABLE rollup_items_year AS " + ROLLUP_ITEMS_YEAR_SQL)
        if not raw:
            conn.execute("DROP TABLE records")
            conn.execute("DROP TABLE record_items")


class DuckEngine:
    """The Overview's figures as SQL over the records (raw), the rollups, or both."""

    def __init__(self, spec: dict[str, Any], countries: Any) -> None:
        import duckdb

        self.countries, self.kind = countries, spec["candidate"]
        self.info: dict[str, Any] = {}
        if self.kind in ("duckdb-file", "rollup-file"):
            self.conn = duckdb.connect(spec["duckdb_file"], read_only=True)
        else:
            self.conn = duckdb.connect()
            if self.kind != "duckdb-parquet":  # compressed like a file, held in memory
                self.conn.execute("ATTACH ':memory:' AS held (COMPRESS)")
                self.conn.execute("USE held")
        _settings(self.conn, spec)
        if self.kind == "duckdb-parquet":
            self.conn.execute(f"CREATE VIEW records AS SELECT {RECORD_COLUMNS} FROM read_parquet("
                              f"{_quote(spec['frame_path'])})")
            items = ITEM_SQL.format(quantities=_quote(spec["quantities_path"]))
            self.conn.execute("CREATE VIEW record_items AS " + items)
        elif self.kind == "duckdb-memory":
            _load_tables(self.conn, spec, rollups=False)
        elif self.kind in ("rollup", "rollup-hybrid"):
            _load_tables(self.conn, spec, rollups=True, raw=self.kind == "rollup-hybrid")
        if self.kind in ROLLED:
            self.info["rollup_rows"] = self.conn.execute("SELECT count(*) FROM rollup").fetchall()[0][0]
            for name in ("rollup_items", "rollup_year", "rollup_items_year"):
                self.info[f"{name}_rows"] = self.conn.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        table = "rollup" if self.kind == "rollup" else "records"
        low, high = self.conn.execute(f"SELECT min({'date_min' if table == 'rollup' else 'date'}), "
                                      f"max({'date_max' if table == 'rollup' else 'date'}) FROM {table}").fetchall()[0]
        self.first_day, self.last_day = low, high
        self.known: dict[str, set[str]] = {}  # ENUM columns: a value outside the type cannot be compared
        if self.kind != "duckdb-parquet":
            for column, type_name in (*ENUMS.items(), ("item", "item_t")):
                values = self.conn.execute(f"SELECT enum_range(NULL::{type_name})").fetchall()[0][0]
                self.known[column] = set(values)
        self.cache: dict[Any, Any] = {}

    # -- selections as SQL relations of "cells" (a raw record is a cell of one record)

    def _conditions(self, flt: Any) -> list[str]:
        from ocops.queries import _country_scope

        conditions = ["TRUE"]
        scope = _country_scope(flt, self.countries)
        if scope is not None:
            conditions.append(_in("country", scope, self.known.get("country")))
        if flt.crime_areas:
            conditions.append(_in("crime_area", flt.crime_areas, self.known.get("crime_area")))
        if flt.operations:
            conditions.append(_in("operation", flt.operations, self.known.get("operation")))
        return conditions

    def _split(self, flt: Any) -> tuple[tuple[int, int] | None, list[tuple[dt.date | None, dt.date | None]]]:
        """The whole months of the period (YYYYMM bounds, None if none) and the day ranges at its edges."""
        since = None if flt.since is None or (self.first_day and flt.since <= self.first_day) else flt.since
        until = None if flt.until is None or (self.last_day and flt.until >= self.last_day) else flt.until
        if since and until and since > until:
            return None, [(since, until)]
        edges: list[tuple[dt.date | None, dt.date | None]] = []
        first_month, last_month = 0, 999999
        if since is not None:
            first_month = _month(since)
            if since.day != 1:
                end = _month_end(since)
                edges.append((since, min(end, until) if until else end))
                first_month = _month(end + dt.timedelta(days=1))
        if until is not None:
            last_month = _month(until)
            if until != _month_end(until):
                start = dt.date(until.year, until.month, 1)
                if not (since and start <= since):
                    edges.append((start, until))
                last_month = _month(start - dt.timedelta(days=1))
        return ((first_month, last_month) if first_month <= last_month else None), edges

    def _years(self, months: tuple[int, int]) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
        """Whole calendar years inside a YYYYMM range (None if none) and the month ranges around them."""
        a = max(months[0], _month(self.first_day)) // 100 * 12 + max(months[0], _month(self.first_day)) % 100 - 1
        b = min(months[1], _month(self.last_day)) // 100 * 12 + min(months[1], _month(self.last_day)) % 100 - 1
        first_year, last_year = -(-a // 12), (b + 1) // 12 - 1
        if first_year > last_year:
            return None, [months] if a <= b else []

        def yyyymm(index: int) -> int:
            return index // 12 * 100 + index % 12 + 1

        ranges = []
        if a <= first_year * 12 - 1:
            ranges.append((yyyymm(a), yyyymm(first_year * 12 - 1)))
        if (last_year + 1) * 12 <= b:
            ranges.append((yyyymm((last_year + 1) * 12), yyyymm(b)))
        return (first_year, last_year), ranges

    def _sources(self, flt: Any, years: bool = False) -> tuple[str, str]:
        """(cells, item cells) of ``flt`` as SQL; Cannot when the candidate cannot answer exactly.
        With ``years`` the rollups answer whole calendar years from the yearly rollup (no month column)."""
        conditions = " AND ".join(self._conditions(flt))
        if self.kind in ROLLED and not flt.seized_items:
            months, edges = self._split(flt)
            if self.kind == "rollup" and edges:
                raise Cannot("day-level period edges: " + ", ".join(f"{a}..{b}" for a, b in edges))
            parts, item_parts = [], []
            whole, month_ranges = (None, [months] if months else [])
            if years and months is not None:
                whole, month_ranges = self._years(months)
            if whole is not None:
                where = f"{conditions} AND year BETWEEN {whole[0]} AND {whole[1]}"
                parts.append(f"SELECT {YEAR_CELLS} FROM rollup_year WHERE {where}")
                item_parts.append(f"SELECT {YEAR_ITEM_CELLS} FROM rollup_items_year WHERE {where}")
            for low_month, high_month in month_ranges:
                where = f"{conditions} AND month BETWEEN {low_month} AND {high_month}"
                parts.append(f"SELECT {ROLLUP_CELLS} FROM rollup WHERE {where}")
                item_parts.append(f"SELECT {ROLLUP_ITEM_CELLS} FROM rollup_items WHERE {where}")
            for low, high in edges:
                days = conditions + (f" AND date >= DATE {_quote(low.isoformat())}" if low else "") + \
                    (f" AND date <= DATE {_quote(high.isoformat())}" if high else "")
                parts.append(f"SELECT {RAW_CELLS} FROM records WHERE {days}")
                item_parts.append(f"SELECT {ITEM_CELLS} FROM record_items WHERE {days}")
            if not parts:
                parts.append(f"SELECT {ROLLUP_CELLS} FROM rollup WHERE FALSE")
                item_parts.append(f"SELECT {ROLLUP_ITEM_CELLS} FROM rollup_items WHERE FALSE")
            return " UNION ALL ".join(parts), " UNION ALL ".join(item_parts)
        if self.kind == "rollup":
            raise Cannot("a seized-item filter (record measures are not split by item in the rollup)")
        days = conditions + (f" AND date >= DATE {_quote(flt.since.isoformat())}" if flt.since else "") + \
            (f" AND date <= DATE {_quote(flt.until.isoformat())}" if flt.until else "")
        if not flt.seized_items:
            return f"SELECT {RAW_CELLS} FROM records WHERE {days}", \
                f"SELECT {ITEM_CELLS} FROM record_items WHERE {days}"
        wanted = _in("item", flt.seized_items, self.known.get("item"))
        per_record = (f"SELECT rid, {', '.join(f'sum({m}) AS {m}' for m in SUMS[3:])} FROM record_items "
                      f"WHERE {days} AND {wanted} GROUP BY rid")
        cells = (f"SELECT r.date AS date_min, r.date AS date_max, r.month, r.country, r.crime_area, r.operation, "
                 f"1 AS records, r.arrests, r.seizures, r.victims_rescued, "
                 f"{', '.join('q.' + m for m in SUMS[3:])} FROM records r JOIN ({per_record}) q ON q.rid = r.rid "
                 f"WHERE {days.replace('date', 'r.date')}")
        return cells, f"SELECT {ITEM_CELLS} FROM record_items WHERE {days} AND {wanted}"

    def _frame(self, sql: str) -> Any:
        return self.conn.execute(sql).df()

    # -- the figures

    def _groups(self, flt: Any) -> dict[str, Any]:
        """One scan of the selection: GROUPING SETS (country, crime area, operation) and (month), no
        distinct aggregates; regions, totals and distinct counts follow from those few cells."""
        import numpy as np
        import pandas as pd

        from ocops.queries import MEASURES

        key = ("groups", flt)
        if key in self.cache:
            return dict(self.cache[key])
        cells, _ = self._sources(flt)
        sums = ", ".join(f"sum({m}) AS {m}" for m in SUMS)
        select = (f"CAST(c.country AS VARCHAR) AS country, CAST(c.crime_area AS VARCHAR) AS crime_area, "
                  f"CAST(c.operation AS VARCHAR) AS operation, c.month, sum(records) AS records, {sums}, "
                  f"min(date_min) AS first_date, max(date_max) AS last_date")
        if self.kind in ROLLED:  # whole years from the yearly rollup, months from the monthly
            keyed_cells, _ = self._sources(flt, years=True)
            table = pd.concat([
                self._frame(f"SELECT 1 AS by_month, {select.replace('c.month', 'NULL AS month')} "
                            f"FROM ({keyed_cells}) c GROUP BY c.country, c.crime_area, c.operation"),
                self._frame(f"SELECT 0 AS by_month, NULL AS country, NULL AS crime_area, NULL AS operation, c.month, "
                            f"sum(records) AS records, {sums}, min(date_min) AS first_date, max(date_max) AS last_date "
                            f"FROM ({cells}) c GROUP BY c.month")], ignore_index=True)
        else:
            table = self._frame(
                f"SELECT GROUPING(c.month) AS by_month, {select} "
                f"FROM ({cells}) c GROUP BY GROUPING SETS ((c.country, c.crime_area, c.operation), (c.month))")
        for name in ("records", "arrests", "seizures", "victims_rescued"):
            table[name] = table[name].astype(np.int64)
        keyed = table[table["by_month"] == 1].drop(columns=["by_month", "month"])
        keyed = keyed.assign(region=[self.countries.region_of(c) for c in keyed["country"]])
        parts: dict[str, Any] = {"month": table[table["by_month"] == 0].rename(columns={"month": "key"})
                                 .sort_values("key").reset_index(drop=True)}
        measures = {"records": "sum", **{m: "sum" for m in SUMS}, "first_date": "min", "last_date": "max"}
        for by in ("country", "crime_area", "region", "operation"):
            grouped = keyed.groupby(by, sort=True).agg(
                {**measures, "operation": "nunique", "country": "nunique"} if by not in ("country", "operation")
                else {**measures, ("country" if by == "operation" else "operation"): "nunique"})
            grouped = grouped.rename(columns={"operation": "operations", "country": "countries"})
            if by == "country":
                grouped["countries"] = 1
            if by == "operation":
                grouped["operations"] = 1
            parts[by] = grouped.reset_index().rename(columns={by: "key"})
            parts[by] = parts[by][["key", *MEASURES, "first_date", "last_date"]]
            for name in ("operations", "countries"):
                parts[by][name] = parts[by][name].astype(np.int64)
        total = {m: keyed[m].sum() for m in ("records", *SUMS)}
        total.update(operations=keyed["operation"].nunique(), countries=keyed["country"].nunique())
        parts["total"] = pd.DataFrame([total])
        self.cache[key] = parts
        return dict(parts)

    def _totals(self, flt: Any) -> dict[str, Any]:
        from ocops.queries import _clean

        names = ("records", "operations", "countries", *SUMS)
        cells, _ = self._sources(flt, years=True)
        row = self.conn.execute(f"SELECT {MEASURE_SQL} FROM ({cells})").fetchall()[0]
        return {name: _clean(value or 0, name) for name, value in zip(names, row, strict=True)}

    def kpis(self, flt: Any) -> list[dict[str, Any]]:
        """``views.kpis`` with the previous period."""
        from ocops.links import comparison_filter
        from ocops.queries import _clean
        from ocops.views import KPI_MEASURES

        total = self._groups(flt)["total"]
        now = {m: _clean(total[m].iloc[0], m) for m in KPI_MEASURES}
        previous = comparison_filter(flt, "previous")
        before = self._totals(previous) if previous else None
        return [{"measure": m, "value": now[m], "delta": None if before is None else now[m] - before[m]}
                for m in KPI_MEASURES]

    def _grouped(self, flt: Any, by: str) -> Any:
        from ocops.queries import MEASURES

        return self._groups(flt)[by][["key", *MEASURES]].reset_index(drop=True)

    def country_table(self, flt: Any) -> Any:
        """``maps.country_table``."""
        table = self._grouped(flt, "country").rename(columns={"key": "iso3"})
        table.insert(1, "name", [self.countries.get(c).name for c in table["iso3"]])
        table.insert(2, "region", [self.countries.region_of(c) for c in table["iso3"]])
        return table

    def by_region(self, flt: Any) -> Any:
        """``views.totals_by(region)`` (regions from the current country index, at query time)."""
        return self._grouped(flt, "region")

    def by_crime_area(self, flt: Any) -> Any:
        """``views.totals_by(crime_area)``."""
        return self._grouped(flt, "crime_area")

    def monthly_arrests(self, flt: Any) -> Any:
        """``views.time_series(arrests, month, None)``: every month of the range, 0 where none."""
        import pandas as pd

        months = self._groups(flt)["month"]
        if months.empty:
            return pd.DataFrame(columns=["period", "stack", "value"])
        first_day = flt.since or min(months["first_date"]).date()
        last_day = flt.until or max(months["last_date"]).date()
        numbers = {(int(m) // 100) * 12 + int(m) % 100 - 1: int(v) for m, v in zip(months["key"], months["arrests"],
                                                                                   strict=True)}
        first = min(first_day.year * 12 + first_day.month - 1, *numbers)
        last = max(last_day.year * 12 + last_day.month - 1, *numbers)
        return pd.DataFrame({
            "period": [pd.Timestamp(year=n // 12, month=n % 12 + 1, day=1) for n in range(first, last + 1)],
            "stack": "Total", "value": [numbers.get(n, 0) for n in range(first, last + 1)]})

    def items_table(self, flt: Any) -> Any:
        """``views.items_table``."""
        import numpy as np

        from ocops.views import ITEM_COLUMNS

        _, items = self._sources(flt, years=True)
        sums = ", ".join(f"sum({m}) AS {m}" for m in SUMS[4:])
        table = self._frame(f"SELECT CAST(item AS VARCHAR) AS key, sum(records) AS records, {sums}, "
                            f"sum(seized_value_usd) AS seized_value_usd FROM ({items}) GROUP BY 1")
        table["records"] = table["records"].astype(np.int64)
        table = table.sort_values(["seized_value_usd", "key"], ascending=[False, True], kind="stable")
        return table[list(ITEM_COLUMNS)].reset_index(drop=True)

    def latest_operations(self, flt: Any, limit: int = 10) -> Any:
        """``views.latest_operations``: the operations with the latest records, with names."""
        import pandas as pd

        operations = self._groups(flt)["operation"]
        if operations.empty:
            return operations
        top = operations.sort_values(["last_date", "key"], ascending=[False, True]).head(limit)
        cells, _ = self._sources(flt, years=True)
        names = {row[0]: (row[1], row[2]) for row in self.conn.execute(
            f"SELECT CAST(operation AS VARCHAR), list(DISTINCT CAST(country AS VARCHAR)), "
            f"list(DISTINCT CAST(crime_area AS VARCHAR)) FROM ({cells}) WHERE "
            f"{_in('operation', top['key'], self.known.get('operation'))} GROUP BY 1").fetchall()}
        return pd.DataFrame({
            "operation": top["key"].to_numpy(), "first_date": [d.date() for d in top["first_date"]],
            "last_date": [d.date() for d in top["last_date"]],
            "country_names": [", ".join(sorted(self.countries.get(c).name for c in names[o][0])) for o in top["key"]],
            "crime_areas": [", ".join(sorted(a for a in names[o][1] if a)) for o in top["key"]],
            "arrests": top["arrests"].to_numpy(), "seizures": top["seizures"].to_numpy(),
            "victims_rescued": top["victims_rescued"].to_numpy()})

    def figures(self, flt: Any) -> dict[str, Callable[[], Any]]:
        """One callable per figure (Cannot where this candidate cannot answer exactly); the grouped
        scan of a filter is run by the first figure that needs it and shared by the others."""
        self.cache.clear()  # never reuse another filter state's results
        return {name: (lambda name=name: getattr(self, name)(flt)) for name in FIGURES}


# ---------------------------------------------------------------- the child: one candidate


def run_candidate(spec: dict[str, Any]) -> dict[str, Any]:
    """Load one candidate, measure its RSS and time every filter state; return figures and times."""
    import gc

    import pyarrow.parquet  # noqa: F401  (part of the idle app: loaded before the baseline)

    from ocops import maps, views  # noqa: F401
    from ocops.geo import load_countries

    countries = load_countries()
    if spec["candidate"] != "frame":
        import duckdb  # noqa: F401
    gc.collect()
    idle = rss_mb()
    start = time.perf_counter()
    engine: Any = FrameEngine(spec, countries) if spec["candidate"] == "frame" else DuckEngine(spec, countries)
    load_s = time.perf_counter() - start
    gc.collect()
    loaded = rss_mb()
    warm = filter_from_json(spec["warmup"])
    start = time.perf_counter()
    for call in engine.figures(warm).values():
        try:
            call()
        except Cannot:
            pass
    warmup_ms = (time.perf_counter() - start) * 1000
    states = []
    for name, data in spec["states"]:
        flt = filter_from_json(data)
        figures: dict[str, Any] = {}
        times: dict[str, float] = {}
        for figure, call in engine.figures(flt).items():
            t0 = time.perf_counter()
            try:
                figures[figure] = plain(call())
            except Cannot as reason:
                figures[figure] = {"cannot": str(reason)}
            times[figure] = round((time.perf_counter() - t0) * 1000, 2)
        states.append({"state": name, "ms": round(sum(times.values()), 1), "figure_ms": times, "figures": figures})
    return {"candidate": spec["candidate"], "load_s": round(load_s, 2), "rss_idle_mb": round(idle, 1),
            "rss_loaded_mb": round(loaded, 1), "rss_after_states_mb": round(rss_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1), "warmup_ms": round(warmup_ms, 1),
            **getattr(engine, "info", {}), "states": states}


def prepare(spec: dict[str, Any]) -> dict[str, Any]:
    """Make sure the store's snapshot exists; return its files and what the filter states need."""
    import duckdb

    from ocops import delta, snapshot
    from ocops.store import make_engine

    engine = make_engine(spec["db"])
    folder = Path(spec["cache_dir"])
    start = time.perf_counter()
    snapshot.cached_frame(engine, folder)  # the app's path: writes the copy when missing
    snapshot_s = time.perf_counter() - start
    now = delta.state(engine)
    store_id, version = now.store_id, now.version
    engine.dispose()
    frame_path = snapshot._path(folder, store_id, version)
    quantities_path = snapshot._quantities_path(folder, store_id, version)
    conn = duckdb.connect()
    conn.execute("SET threads=2")
    frame = _quote(str(frame_path))

    def ranked(column: str, source: str = frame) -> list[str]:
        sql = (f"SELECT CAST({column} AS VARCHAR), count(*) AS n FROM read_parquet({source}) "
               "GROUP BY 1 ORDER BY 2 DESC, 1")
        return [r[0] for r in conn.execute(sql).fetchall()]

    rows, anchor = conn.execute(f"SELECT count(*), CAST(max(date) AS DATE) FROM read_parquet({frame})").fetchall()[0]
    return {"frame_path": str(frame_path), "quantities_path": str(quantities_path), "rows": rows,
            "snapshot_s": round(snapshot_s, 2), "anchor": anchor.isoformat(),
            "frame_mb": round(frame_path.stat().st_size / 2**20, 1),
            "quantities_mb": round(quantities_path.stat().st_size / 2**20, 1),
            "countries": ranked("country"), "crime_areas": ranked("crime_area"),
            "operations": ranked("operation"), "items": ranked("item", _quote(str(quantities_path))),
            "duckdb_file": str(folder / f"engines-{store_id}-{version}.duckdb")}


def child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one step in a fresh process (nothing shared), return its JSON."""
    result = subprocess.run([sys.executable, "-m", "benchmarks.bench_engines", "--child", kind, json.dumps(spec)],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return {"error": result.stderr.strip()[-1500:]}
    return dict(json.loads(result.stdout))


def summarise(results: dict[str, dict[str, Any]], target_ms: int) -> dict[str, Any]:
    """Times, memory and agreement with the frame per candidate (the figures themselves left out)."""
    reference = {s["state"]: s["figures"] for s in results["frame"].get("states", [])}
    out: dict[str, Any] = {}
    for name, result in results.items():
        if "error" in result:
            out[name] = result
            continue
        states = result.pop("states")
        times = [s["ms"] for s in states]
        per_figure = {f: round(statistics.median(s["figure_ms"][f] for s in states), 1) for f in FIGURES}
        differs, cannot = [], []
        for state in states:
            for figure, value in state["figures"].items():
                if isinstance(value, dict) and "cannot" in value:
                    cannot.append(f"{state['state']}: {figure}")
                elif name != "frame":
                    found = same(reference[state["state"]][figure], value, figure)
                    if found:
                        differs.append(f"{state['state']}: {found}")
        answered = [s["ms"] for s in states if not any(isinstance(v, dict) and "cannot" in v
                                                         for v in s["figures"].values())]
        out[name] = {**result, "states": len(states), "median_ms": round(statistics.median(times), 1),
                     "max_ms": round(max(times), 1),
                     "max_ms_answered_states": round(max(answered), 1) if answered else None,
                     "per_state_ms": {s["state"]: s["ms"] for s in states}, "median_ms_per_figure": per_figure,
                     "figures_equal_frame": not differs, "differences": differs[:10],
                     "cannot": cannot,
                     "meets_targets": not differs and not cannot and max(times) <= target_ms
                     and result["rss_loaded_mb"] <= RSS_TARGET_MB}
    return out


def main() -> None:
    """Prepare the snapshot, run every candidate in its own process, print the comparison JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="build a temporary SQLite store of N demo rows")
    parser.add_argument("--db", help="an existing store (its snapshot goes to --cache-dir)")
    parser.add_argument("--cache-dir", help="the snapshot folder of --db (OCOPS_CACHE_DIR)")
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="500MB")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, spec = args.child[0], json.loads(args.child[1])
        step = {"prepare": prepare, "run": run_candidate, "duckdb-file": write_duckdb_file}[kind]
        print(json.dumps(step(spec), default=str))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url, cache, build_s = args.db, args.cache_dir, None
        if not url:
            from ocops.geo import load_countries
            from ocops.importer import Vocabulary, import_path
            from ocops.store import open_store
            from ocops.taxonomy import load_taxonomy

            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            start = time.perf_counter()
            engine = open_store(url)
            import_path(engine, demo_csv(args.rows, Path(tmp)), Vocabulary(load_countries(), load_taxonomy()))
            engine.dispose()
            build_s = round(time.perf_counter() - start, 1)
        cache = cache or str(Path(tmp) / "cache")
        base = {"db": url, "cache_dir": cache, "threads": args.threads, "memory_limit": args.memory_limit}
        catalog = child("prepare", base)
        if "error" in catalog:
            raise SystemExit(catalog["error"])
        warmup, states = filter_states(catalog)
        spec = {**base, "frame_path": catalog["frame_path"], "quantities_path": catalog["quantities_path"],
                "duckdb_file": catalog["duckdb_file"], "warmup": warmup, "states": states}
        chosen = [c for c in args.candidates.split(",") if c]
        if "frame" not in chosen:
            chosen.insert(0, "frame")  # the reference for the figures
        extra: dict[str, Any] = {}
        results = {}
        for candidate in chosen:
            if candidate in ("duckdb-file", "rollup-file") and "duckdb_file_build" not in extra:
                extra["duckdb_file_build"] = child("duckdb-file", spec)
            results[candidate] = child("run", {**spec, "candidate": candidate})
        rows = catalog["rows"]
        target = TARGET_MS.get(rows, 150 if rows <= 1_000_000 else 500)
        summary = summarise(results, target)
        emit({"benchmark": "engines", "rows": rows, "store": url.split(":", 1)[0], "build_store_s": build_s,
              "snapshot": {k: catalog[k] for k in ("snapshot_s", "frame_mb", "quantities_mb", "anchor")},
              "threads": args.threads, "memory_limit": args.memory_limit,
              "filter_states": [name for name, _ in states], "target_ms": target, "rss_target_mb": RSS_TARGET_MB,
              "load_average": os.getloadavg(), **extra, "candidates": summary,
              "all_figures_agree": all(r.get("figures_equal_frame", False) for r in summary.values()),
              "ok": any(r.get("meets_targets") for n, r in summary.items() if n != "frame")
              or summary["frame"].get("meets_targets", False)})
        if extra.get("duckdb_file_build") and not args.db:
            Path(catalog["duckdb_file"]).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
