"""Import speed: `python -m ocops import` of N canonical rows vs the database's own bulk load.

Baselines, in the same run: `sqlite3 .import --csv` into a plain table (SQLite) and
`COPY ... FROM STDIN` into a plain table (PostgreSQL). Target (issue 7): ocops on
SQLite <= 2.5x the sqlite3 baseline, normalisation, keys and history included.

    python -m benchmarks.bench_import --rows 1000000 [--repeat 3]

Each ocops import runs as a whole process (start-up included) and must report every
row imported (a re-import: every row unchanged), so a broken import cannot look fast.
With ``--repeat N`` the baseline and ocops alternate N times and medians are reported;
peak RSS is the largest of the ocops import processes.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.common import demo_csv, emit, pg_available, pg_schema_url, run_cli


def sqlite_baseline(csv_path: Path, folder: Path) -> float:
    """Seconds for the sqlite3 shell to load the CSV into a new table."""
    db = folder / "baseline.db"
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(["sqlite3", str(db), ".import --csv " + str(csv_path) + " records"], check=True)
    return time.perf_counter() - start


def pg_baseline(csv_path: Path, url: str) -> float:
    """Seconds for COPY of the CSV into a plain text table."""
    engine = sa.create_engine(url)
    header = csv_path.open(encoding="utf-8").readline().strip().split(",")
    columns = ", ".join(f'"{h}" text' for h in header)
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE baseline ({columns})")
        cursor = conn.connection.dbapi_connection.cursor()
        copy_sql = "COPY baseline FROM STDIN WITH (FORMAT csv, HEADER true)"
        with csv_path.open("rb") as handle, cursor.copy(copy_sql) as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def checked_import(url: str, csv_path: Path, rows: int, expect: str) -> float:
    """Seconds for one `python -m ocops import`; raises unless all ``rows`` came out as ``expect``."""
    seconds, result = run_cli("--db", url, "import", str(csv_path))
    report = json.loads(result.stdout)
    if report.get(expect) != rows or report.get("rejected") != 0:
        raise RuntimeError(f"ocops import did not report {rows} rows {expect}: {result.stdout[:500]}")
    return seconds


def peak_rss_mb() -> float:
    """Largest resident set of the child processes so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def median(values: list[float]) -> float:
    """Median rounded for the report."""
    return round(statistics.median(values), 2)


def main() -> None:
    """Run the import benchmark and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="alternate baseline and ocops N times (medians)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = demo_csv(args.rows, folder)
        bases, imports, reimports = [], [], []
        for attempt in range(max(1, args.repeat)):
            bases.append(sqlite_baseline(csv_path, folder))
            url = f"sqlite:///{folder / f'ocops{attempt}.db'}"
            imports.append(checked_import(url, csv_path, args.rows, "imported"))
            reimports.append(checked_import(url, csv_path, args.rows, "unchanged"))
            for leftover in folder.glob(f"ocops{attempt}.db*"):
                leftover.unlink()
        base, ocops_seconds = statistics.median(bases), statistics.median(imports)
        out: dict[str, object] = {
            "benchmark": "import", "rows": args.rows, "repeat": max(1, args.repeat),
            "sqlite": {"baseline_sqlite3_import_s": median(bases), "ocops_import_s": median(imports),
                       "ratio": round(ocops_seconds / base, 2), "target_ratio": 2.5,
                       "reimport_unchanged_s": median(reimports),
                       "runs": {"baseline_s": [round(b, 2) for b in bases], "ocops_s": [round(i, 2) for i in imports]}},
        }
        if not args.no_postgres and pg_available():
            copies, pg_imports = [], []
            for _ in range(max(1, args.repeat)):
                with pg_schema_url() as url:
                    copies.append(pg_baseline(csv_path, url))
                    pg_imports.append(checked_import(url, csv_path, args.rows, "imported"))
            out["postgresql"] = {"baseline_copy_s": median(copies), "ocops_import_s": median(pg_imports),
                                 "ratio": round(statistics.median(pg_imports) / statistics.median(copies), 2)}
        out["ocops_peak_rss_mb"] = peak_rss_mb()
        out["ok"] = out["sqlite"]["ratio"] <= 2.5  # type: ignore[index]
        emit(out)


if __name__ == "__main__":
    main()
