"""Query speed and memory on N records: the Overview page's figures, CLI summary, frame memory.

Targets (issue 15): everything the Overview page computes for one filter (its views,
charts and map deck, exactly as pages/overview.py) <= 150 ms at 1M records and <= 500 ms
at 10M as the maximum over at least 10 fresh filter states; `python -m ocops summary
--by month` <= 3 s as a whole process. Baseline in the same run: comparable figures as
SQL GROUP BY queries on the store.

    python -m benchmarks.bench_queries --rows 1000000 [--db URL] [--cache DIR] [--states 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.common import ROOT, demo_csv, emit, fresh_states, median_time, run_cli, state_filter, target_ms
from ocops import charts, maps, queries, views
from ocops.geo import load_countries
from ocops.importer import Vocabulary, import_path
from ocops.snapshot import cached_frame
from ocops.store import open_store
from ocops.taxonomy import load_taxonomy

SQL_BASELINE = (
    "SELECT count(*), count(DISTINCT operation), count(DISTINCT country), sum(arrests), sum(seizures), "
    "sum(victims_rescued), (SELECT sum(q.value_usd) FROM quantities q JOIN records v ON v.version = q.version "
    "WHERE v.date >= :since) FROM records WHERE date >= :since",
    "SELECT crime_area, count(*), count(DISTINCT operation), sum(arrests) FROM records WHERE date >= :since "
    "GROUP BY crime_area",
    "SELECT country, count(*), count(DISTINCT operation), sum(arrests) FROM records WHERE date >= :since "
    "GROUP BY country",
    "SELECT substr(CAST(date AS TEXT), 1, 7), crime_area, sum(arrests) FROM records WHERE date >= :since "
    "GROUP BY 1, 2",
)

MEMORY_PROBE = """
import gc, json, sys
from pathlib import Path
def rss():
    return int(open('/proc/self/statm').read().split()[1]) * 4096
import pyarrow.parquet  # noqa: F401  (part of the idle app: loaded before the baseline)
from ocops import queries, views, snapshot
from ocops.store import make_engine
engine = make_engine(sys.argv[1])
gc.collect(); before = rss()
frame = snapshot.cached_frame(engine, Path(sys.argv[2]))
gc.collect(); after = rss()
print(json.dumps({"rss_before_mb": before / 2**20, "rss_after_mb": after / 2**20,
                  "frame_mb": frame.memory_usage(deep=True).sum() / 2**20, "rows": len(frame)}))
"""


# What pages/overview.py computes for one filter, in its order: views, then the charts and
# the map deck built from them (tests/test_benchmarks.py checks that the page computes exactly this).
OVERVIEW_VIEWS: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("kpis", ("previous",)), ("items_table", ()), ("time_series", ("arrests", "month", None)),
    ("totals_by", ("region", ("arrests",))), ("totals_by", ("crime_area", ("arrests",))), ("latest_operations", ()),
)
OVERVIEW_CHARTS: tuple[tuple[str, int, tuple[Any, ...]], ...] = (  # builder, index of its view, chart arguments
    ("monthly_line", 2, ("arrests",)), ("horizontal_bars", 3, ("arrests", "Arrests by region")),
    ("horizontal_bars", 4, ("arrests", "Arrests by crime area")),
)


def overview(frame: Any, flt: queries.Filter, countries: Any) -> None:
    """Everything the Overview page computes for one filter."""
    tables = [getattr(views, name)(frame, flt, countries, *args) for name, args in OVERVIEW_VIEWS]
    for builder, index, chart_args in OVERVIEW_CHARTS:
        getattr(charts, builder)(tables[index], *chart_args)
    maps.choropleth(frame, flt, countries, "arrests", flt.countries).deck.to_json()


def describe(state: dict[str, Any]) -> str:
    """A filter state in a few words, for the JSON."""
    parts = [*state["f_region"], *state["f_country"], *state["f_crime_area"]] or ["everything"]
    return f"{' + '.join(parts)}, {state['f_period']}"


def main() -> None:
    """Build (or reuse) a store of N demo records and print the query benchmark JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="an existing store holding the records (default: build a new SQLite one)")
    parser.add_argument("--cache", help="the frame-copy folder (default: a new temporary one)")
    parser.add_argument("--states", type=int, default=10, help="fresh filter states (>= 10)")
    args = parser.parse_args()
    countries, taxonomy = load_countries(), load_taxonomy()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'bench.db'}"
        engine = open_store(url)
        build_s = None
        if not args.db:
            start = time.perf_counter()
            import_path(engine, demo_csv(args.rows, folder), Vocabulary(countries, taxonomy))
            build_s = time.perf_counter() - start
        cache = Path(args.cache) if args.cache else folder / "cache"
        start = time.perf_counter()
        cached_frame(engine, None)  # what a process with no copy of this data version pays
        store_load_s = time.perf_counter() - start
        cached_frame(engine, cache)  # writes the copy when there is none
        copy_load_s = median_time(lambda: cached_frame(engine, cache), repeat=3)
        frame = cached_frame(engine, cache)
        latest = views.latest_date(frame) or dt.date.today()
        states = fresh_states(countries.regions(), taxonomy.areas, args.states)
        filters = [state_filter(state, latest) for state in states]
        overview(frame, queries.Filter(), countries)  # the first call imports and warms what any page would
        times = []
        for flt in filters:  # each state once: no figure comes from a cache
            start = time.perf_counter()
            overview(frame, flt, countries)
            times.append((time.perf_counter() - start) * 1000)
        with engine.connect() as conn:
            def sql() -> None:
                for statement in SQL_BASELINE:
                    conn.execute(sa.text(statement), {"since": dt.date(1900, 1, 1)}).all()
            sql_baseline_ms = round(median_time(sql, repeat=3) * 1000, 1)
        env = {"OCOPS_CACHE_DIR": str(folder / "cli-cache")}
        cli_cold_s, _ = run_cli("--db", url, "summary", "--by", "month", env=env)
        cli_warm_s, result = run_cli("--db", url, "summary", "--by", "month", env=env)
        cli_figures = json.loads(result.stdout)["totals"]
        app_figures = queries.summary(frame, queries.Filter(), countries)["totals"]
        probe = subprocess.run([sys.executable, "-c", MEMORY_PROBE, url, str(cache)], cwd=ROOT,
                               capture_output=True, text=True, check=True)
        memory = json.loads(probe.stdout)
        worst, limit = max(times), target_ms(len(frame))
        summary_ok = cli_warm_s <= 3
        emit({
            "benchmark": "queries", "rows": len(frame), "store": engine.dialect.name,
            "build_store_s": None if build_s is None else round(build_s, 1),
            "frame_load_from_store_s": round(store_load_s, 2), "frame_load_from_copy_s": round(copy_load_s, 2),
            "overview_fresh_states": len(times), "overview_max_ms": round(worst, 1),
            "overview_median_ms": round(statistics.median(times), 1), "target_ms": limit,
            "overview_ms_per_state": {describe(state): round(ms, 1) for state, ms in zip(states, times, strict=True)},
            "sql_group_by_baseline_ms": sql_baseline_ms,
            "cli_summary_by_month_s": {"first_run_no_copy": round(cli_cold_s, 2), "next_runs": round(cli_warm_s, 2),
                                       "target": 3.0},
            "cli_equals_app": cli_figures == app_figures,
            "memory": {k: round(v, 1) if isinstance(v, float) else v for k, v in memory.items()},
            "memory_over_idle_mb": round(memory["rss_after_mb"] - memory["rss_before_mb"], 1),
            "ok": {"overview_max": worst <= limit, "summary": summary_ok, "cli_equals_app": cli_figures == app_figures},
        })
        engine.dispose()


if __name__ == "__main__":
    main()
