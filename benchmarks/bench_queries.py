"""Query speed and memory on N records: overview aggregates, CLI summary, frame memory.

Targets (issue 7): every overview aggregate (KPIs with the previous period,
quantities, by region, by crime area, by month x crime area, by country)
<= 150 ms median once warm, for any filter; `python -m ocops summary --by month`
<= 3 s as a whole process; the frame of 1M records <= 300 MB of RSS.
Baseline in the same run: the same figures as SQL GROUP BY queries on the store.

    python -m benchmarks.bench_queries --rows 1000000 [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.common import ROOT, demo_csv, emit, median_time, run_cli
from ocops import queries, views
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


def overview(frame, flt, countries) -> None:  # type: ignore[no-untyped-def]
    """Everything the Overview page computes for one filter."""
    views.kpis(frame, flt, countries)
    views.items_table(frame, flt, countries)
    for by in ("region", "crime_area"):
        views.totals_by(frame, flt, countries, by)
    views.by_country(frame, flt, countries)
    views.time_series(frame, flt, countries, "arrests", "month", "crime_area")


def main() -> None:
    """Build (or reuse) a store of N demo records and print the query benchmark JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="an existing store holding the records (default: build a new SQLite one)")
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
        cache = folder / "cache"
        start = time.perf_counter()
        frame = cached_frame(engine, cache)
        cold_load_s = time.perf_counter() - start
        warm_load_s = median_time(lambda: cached_frame(engine, cache), repeat=3)
        latest = views.latest_date(frame) or dt.date.today()
        year_ago = latest - dt.timedelta(days=364)
        filters = {
            "all time": queries.Filter(),
            "last 12 months": queries.Filter(since=year_ago, until=latest),
            "Europe, last 12 months": queries.Filter(regions=("Europe",), since=year_ago, until=latest),
            "one country": queries.Filter(countries=("FRA",)),
            "crime area + region": queries.Filter(regions=("Africa",), crime_areas=("Drug trafficking",)),
        }
        overview(frame, filters["all time"], countries)  # warm up
        medians = {name: round(median_time(lambda f=flt: overview(frame, f, countries), repeat=7) * 1000, 1)
                   for name, flt in filters.items()}
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
        worst = max(medians.values())
        emit({
            "benchmark": "queries", "rows": len(frame), "store": engine.dialect.name,
            "build_store_s": None if build_s is None else round(build_s, 1),
            "frame_load_from_store_s": round(cold_load_s, 2), "frame_load_from_copy_s": round(warm_load_s, 2),
            "overview_aggregates_median_ms": medians, "overview_worst_median_ms": worst, "target_ms": 150,
            "sql_group_by_baseline_ms": sql_baseline_ms,
            "cli_summary_by_month_s": {"first_run": round(cli_cold_s, 2), "next_runs": round(cli_warm_s, 2),
                                       "target": 3.0},
            "cli_equals_app": cli_figures == app_figures,
            "memory": {k: round(v, 1) if isinstance(v, float) else v for k, v in memory.items()},
            "memory_over_idle_mb": round(memory["rss_after_mb"] - memory["rss_before_mb"], 1), "memory_target_mb": 300,
            "ok": worst <= 150 and cli_warm_s <= 3 and memory["rss_after_mb"] - memory["rss_before_mb"] <= 300,
        })
        engine.dispose()


if __name__ == "__main__":
    main()
