"""Helpers shared by the benchmarks: demo files, fresh stores, timing."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ocops.queries import Filter

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("OCOPS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def demo_csv(rows: int, folder: Path) -> Path:
    """A canonical demo CSV of ``rows`` records (cached in ``folder``)."""
    path = folder / f"demo_{rows}.csv"
    if not path.exists():
        from ocops.demo import write_demo_csv

        write_demo_csv(rows, path)
    return path


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``python -m ocops`` as a whole process; return (seconds, result)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "ocops", *args], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise RuntimeError(f"ocops {' '.join(args)} failed: {result.stderr.strip()}")
    return elapsed, result


def median_time(action: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``action`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one benchmark, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def pg_available() -> bool:
    """Whether the benchmark PostgreSQL answers."""
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False


def emit(result: dict[str, object]) -> None:
    """Print the benchmark's one JSON object."""
    print(json.dumps(result, indent=1, default=str))


PERIOD_CHOICES = ("last-30-days", "last-quarter", "last-12-months", "year-to-date", "previous-year", "all-time")
STATE_COUNTRIES = ("FRA", "BRA", "NGA", "THA", "ESP", "COL")


def fresh_states(regions: Sequence[str], areas: Sequence[str], count: int, seed: int = 15) -> list[dict[str, Any]]:
    """``count`` distinct filter states as the sidebar's widget values (f_region, f_country,
    f_crime_area, f_period), none equal to the default view, in a fixed random order.

    The benchmarks time each state once, so no figure of one state is cached by another."""
    region_sets = [[], *([r] for r in regions), *([a, b] for a, b in itertools.combinations(regions, 2))]
    area_sets = [[], *([a] for a in areas), *([a, b] for a, b in itertools.combinations(areas[:6], 2))]
    combos = [{"f_region": r, "f_country": [], "f_crime_area": a, "f_period": p}
              for r in region_sets for a in area_sets for p in PERIOD_CHOICES]
    combos += [{"f_region": [], "f_country": [c], "f_crime_area": a, "f_period": p}
               for c in STATE_COUNTRIES for a in area_sets[:4] for p in PERIOD_CHOICES]
    default = {"f_region": [], "f_country": [], "f_crime_area": [], "f_period": "last-12-months"}
    combos = [c for c in combos if c != default]
    return random.Random(seed).sample(combos, count)


def state_filter(state: dict[str, Any], anchor: dt.date) -> Filter:
    """The Filter the sidebar makes of ``state`` (rolling periods end on ``anchor``)."""
    from ocops.links import period_range

    since, until = period_range(state["f_period"], anchor)
    return Filter(regions=tuple(state["f_region"]), countries=tuple(state["f_country"]),
                  crime_areas=tuple(state["f_crime_area"]), since=since, until=until)


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def target_ms(rows: int) -> int:
    """Issue 15's filter-change target: 150 ms up to 1M records, 500 ms beyond (10M)."""
    return 150 if rows <= 1_000_000 else 500
