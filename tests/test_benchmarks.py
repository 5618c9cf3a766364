"""Smoke test: every benchmark runs at a tiny size and prints its JSON (timings are not asserted)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.counting import Calls

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.parametrize("name, keys", [
    ("bench_import", {"sqlite", "rows"}),
    ("bench_queries", {"overview_max_ms", "overview_fresh_states", "cli_summary_by_month_s", "memory_over_idle_mb"}),
    ("bench_app", {"pages", "worst_filter_change_max_ms", "largest_page_bytes", "first_load_after_data_change"}),
    ("bench_report", {"pdf_first_in_process_s", "cli_report_pdf_s", "pdf_mb", "print_compared"}),
])
def test_benchmark_runs_and_prints_json(name: str, keys: set[str]) -> None:
    smaller = ["--states", "2"] if name == "bench_app" else []  # a smoke test: every page, fewer states
    result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--rows", "2000", *smaller], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    start = result.stdout.index("{")
    report = json.loads(result.stdout[start:])
    assert keys <= set(report)
    assert report["rows"] == 2000


def test_fresh_states_are_distinct_and_never_the_default_view() -> None:
    from benchmarks.common import fresh_states
    from ocops.geo import load_countries
    from ocops.taxonomy import load_taxonomy

    states = fresh_states(load_countries().regions(), load_taxonomy().areas, 60)
    assert len({json.dumps(s, sort_keys=True) for s in states}) == 60
    assert {"f_region": [], "f_country": [], "f_crime_area": [], "f_period": "last-12-months"} not in states


def test_bench_queries_computes_what_the_overview_page_computes(calls: Calls) -> None:
    """The benchmark's Overview is the page's: the same views, charts and map, with the same arguments."""
    from benchmarks.bench_queries import overview
    from ocops.geo import load_countries
    from ocops.queries import Filter
    from ocops.snapshot import cached_frame
    from ocops.store import make_engine

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)
    at.run(timeout=30)
    assert not at.exception
    page = Counter(calls.computed)
    calls.reset()
    frame = cached_frame(make_engine(os.environ["OCOPS_DATABASE_URL"]), None)
    overview(frame, Filter(since=dt.date(2018, 1, 1), until=dt.date(2018, 12, 31)), load_countries())
    frame_facts = "ocops.views.frame_facts()"
    assert Counter(calls.computed) == page - Counter({frame_facts: 1}), (calls.computed, page)


@pytest.mark.slow
def test_engine_candidates_compute_the_same_figures_as_the_frame() -> None:
    """Every candidate of bench_engines gives the Overview's figures of the frame for every filter state
    (or says it cannot), at a tiny size."""
    result = subprocess.run([sys.executable, "-m", "benchmarks.bench_engines", "--rows", "2000"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert report["rows"] == 2000
    assert len(report["filter_states"]) >= 10
    assert set(report["candidates"]) == {"frame", "duckdb-parquet", "duckdb-memory", "duckdb-file", "rollup",
                                         "rollup-hybrid", "rollup-file"}
    for name, candidate in report["candidates"].items():
        assert "error" not in candidate, (name, candidate.get("error"))
        assert candidate["figures_equal_frame"], (name, candidate["differences"])
        assert candidate["states"] == len(report["filter_states"])
    assert report["all_figures_agree"]
    assert not report["candidates"]["rollup-hybrid"]["cannot"]  # the edges come from the raw table
    assert not report["candidates"]["rollup-file"]["cannot"]
    assert report["candidates"]["rollup"]["cannot"]  # day-level periods: said, not approximated
