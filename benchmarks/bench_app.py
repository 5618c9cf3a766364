"""Dashboard reruns on N records: server-side time per filter change, and what each page sends.

Targets (issue 7): a filter change on any page costs <= 300 ms of server-side
work once warm (AppTest rerun timing), and no page sends data that grows with
the number of records: <= 1 MB per page, measured here as the serialised size
of every element the page produced (charts, decks, tables included).

    python -m benchmarks.bench_app --rows 1000000 [--db URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, demo_csv, emit

PAGES = ("pages/overview.py", "pages/timeline.py", "pages/breakdown.py", "pages/operations.py", "pages/map.py")
# Each step changes one shared filter widget (keys from ocops/ui/filters.py).
CHANGES: tuple[tuple[str, Any], ...] = (
    ("f_region", ["Europe"]), ("f_region", ["Africa", "Americas"]), ("f_crime_area", ["Drug trafficking"]),
    ("f_region", []), ("f_crime_area", []), ("f_period", "all-time"), ("f_period", "last-12-months"),
)


def _protos(node: Any) -> Iterator[Any]:
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "ByteSize"):
        yield proto
    for child in getattr(node, "children", {}).values():
        yield from _protos(child)


def page_bytes(app: Any) -> int:
    """Serialised bytes of everything the page shows."""
    return sum(proto.ByteSize() for proto in _protos(app._tree))


def _set(app: Any, key: str, value: Any) -> None:
    widget = app.selectbox(key) if key == "f_period" else app.multiselect(key)
    widget.set_value(value)


def main() -> None:
    """Build (or reuse) a store and time each page's reruns."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="an existing store (default: build a new SQLite one)")
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    from ocops.geo import load_countries
    from ocops.importer import Vocabulary, import_path
    from ocops.store import open_store
    from ocops.taxonomy import load_taxonomy

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'bench.db'}"
        if not args.db:
            engine = open_store(url)
            import_path(engine, demo_csv(args.rows, folder), Vocabulary(load_countries(), load_taxonomy()))
            engine.dispose()
        os.environ.update({"OCOPS_DATABASE_URL": url, "OCOPS_LOAD_SAMPLE": "false",
                           "OCOPS_CACHE_DIR": str(folder / "cache")})
        os.chdir(ROOT)
        app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        start = time.perf_counter()
        app.run()
        first_run_s = time.perf_counter() - start
        results: dict[str, Any] = {}
        for page in PAGES:
            if not (ROOT / page).exists():
                continue
            app.switch_page(page)
            start = time.perf_counter()
            app.run()
            open_s = time.perf_counter() - start
            times = []
            for key, value in CHANGES:
                _set(app, key, value)
                start = time.perf_counter()
                app.run()
                times.append(time.perf_counter() - start)
            errors = [e.value for e in app.exception] + [e.value for e in app.error]
            results[page] = {"open_s": round(open_s, 3),
                             "filter_change_median_ms": round(statistics.median(times) * 1000),
                             "filter_change_max_ms": round(max(times) * 1000), "page_bytes": page_bytes(app),
                             "errors": errors}
        worst_ms = max(r["filter_change_median_ms"] for r in results.values())
        biggest = max(r["page_bytes"] for r in results.values())
        emit({"benchmark": "app", "rows": args.rows, "first_run_s": round(first_run_s, 2), "pages": results,
              "worst_filter_change_median_ms": worst_ms, "target_ms": 300,
              "largest_page_bytes": biggest, "target_bytes": 1_000_000,
              "ok": worst_ms <= 300 and biggest <= 1_000_000 and not any(r["errors"] for r in results.values())})


if __name__ == "__main__":
    main()
