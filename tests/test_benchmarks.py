"""Smoke test: every benchmark runs at a tiny size and prints its JSON (timings are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.parametrize("name, keys", [
    ("bench_import", {"sqlite", "rows"}),
    ("bench_queries", {"overview_aggregates_median_ms", "cli_summary_by_month_s", "memory_over_idle_mb"}),
    ("bench_app", {"pages", "worst_filter_change_median_ms", "largest_page_bytes"}),
    ("bench_report", {"pdf_first_in_process_s", "cli_report_pdf_s", "pdf_mb", "print_compared"}),
])
def test_benchmark_runs_and_prints_json(name: str, keys: set[str]) -> None:
    result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--rows", "2000"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    start = result.stdout.index("{")
    report = json.loads(result.stdout[start:])
    assert keys <= set(report)
    assert report["rows"] == 2000


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
