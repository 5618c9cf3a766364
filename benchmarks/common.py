"""Helpers shared by the benchmarks: demo files, fresh stores, timing."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

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
