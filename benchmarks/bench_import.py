"""Import speed: `python -m ocops import` of N canonical rows vs the database's own bulk load.

Baselines, in the same run: `sqlite3 .import --csv` into a plain table (SQLite) and
`COPY ... FROM STDIN` into a plain table (PostgreSQL). Targets (issue 15): ocops on
SQLite <= 2.5x the sqlite3 baseline and on PostgreSQL <= 2.5x COPY, normalisation, keys,
history, quantities and batch membership included; peak RSS of each import process <= 1 GB.

    python -m benchmarks.bench_import --rows 1000000 [--repeat 3]

Each ocops import runs as a whole process (start-up included) and must report every
row imported (a re-import: every row unchanged), so a broken import cannot look fast.
With ``--repeat N`` the baseline and ocops alternate N times and medians are reported;
peak RSS is the largest of the ocops import processes (each measured on its own, by wait4).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.common import ROOT, demo_csv, emit, pg_available, pg_schema_url

TARGET_RATIO = 2.5
TARGET_RSS_MB = 1024


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


def run_measured(*args: str) -> tuple[float, str, float]:
    """Run ``python -m ocops`` as a whole process; (seconds, stdout, its own peak RSS in MB).

    The output goes to temporary files so that the child is reaped here, by wait4, with its usage."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "ocops", *args], cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code not in (0, 1):
        raise RuntimeError(f"ocops {' '.join(args)} failed: {stderr.strip()[-2000:]}")
    return elapsed, stdout, round(usage.ru_maxrss / 1024, 1)  # Linux reports KiB


def checked_import(url: str, csv_path: Path, rows: int, expect: str, rss: list[float]) -> float:
    """Seconds for one `python -m ocops import` (its peak RSS appended to ``rss``);
    raises unless all ``rows`` came out as ``expect``."""
    seconds, stdout, peak = run_measured("--db", url, "import", str(csv_path))
    report = json.loads(stdout)
    if report.get(expect) != rows or report.get("rejected") != 0:
        raise RuntimeError(f"ocops import did not report {rows} rows {expect}: {stdout[:500]}")
    rss.append(peak)
    return seconds


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
    load = os.getloadavg()[0]  # other work on the machine slows ocops and the baselines alike
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = demo_csv(args.rows, folder)
        bases: list[float] = []
        imports: list[float] = []
        reimports: list[float] = []
        rss: list[float] = []
        reimport_rss: list[float] = []
        for attempt in range(max(1, args.repeat)):
            bases.append(sqlite_baseline(csv_path, folder))
            url = f"sqlite:///{folder / f'ocops{attempt}.db'}"
            imports.append(checked_import(url, csv_path, args.rows, "imported", rss))
            reimports.append(checked_import(url, csv_path, args.rows, "unchanged", reimport_rss))
            for leftover in folder.glob(f"ocops{attempt}.db*"):
                leftover.unlink()
        base, ocops_seconds = statistics.median(bases), statistics.median(imports)
        sqlite_ratio = round(ocops_seconds / base, 2)
        out: dict[str, object] = {
            "benchmark": "import", "rows": args.rows, "repeat": max(1, args.repeat),
            "load_average_at_start": load,
            "sqlite": {"baseline_sqlite3_import_s": median(bases), "ocops_import_s": median(imports),
                       "ratio": sqlite_ratio, "target_ratio": TARGET_RATIO, "ok": sqlite_ratio <= TARGET_RATIO,
                       "reimport_unchanged_s": median(reimports), "peak_rss_mb": max(rss),
                       "reimport_peak_rss_mb": max(reimport_rss),
                       "runs": {"baseline_s": [round(b, 2) for b in bases], "ocops_s": [round(i, 2) for i in imports],
                                "peak_rss_mb": rss}},
        }
        checks = [sqlite_ratio <= TARGET_RATIO]
        pg_rss: list[float] = []
        if not args.no_postgres and pg_available():
            copies: list[float] = []
            pg_imports: list[float] = []
            for _ in range(max(1, args.repeat)):
                with pg_schema_url() as url:
                    copies.append(pg_baseline(csv_path, url))
                    pg_imports.append(checked_import(url, csv_path, args.rows, "imported", pg_rss))
            pg_ratio = round(statistics.median(pg_imports) / statistics.median(copies), 2)
            out["postgresql"] = {"baseline_copy_s": median(copies), "ocops_import_s": median(pg_imports),
                                 "ratio": pg_ratio, "target_ratio": TARGET_RATIO, "ok": pg_ratio <= TARGET_RATIO,
                                 "peak_rss_mb": max(pg_rss),
                                 "runs": {"baseline_s": [round(c, 2) for c in copies],
                                          "ocops_s": [round(i, 2) for i in pg_imports], "peak_rss_mb": pg_rss}}
            checks.append(pg_ratio <= TARGET_RATIO)
        peak = max(rss + reimport_rss + pg_rss)
        out["ocops_peak_rss_mb"] = peak
        out["target_peak_rss_mb"] = TARGET_RSS_MB
        out["rss_ok"] = peak <= TARGET_RSS_MB
        out["load_average_at_end"] = os.getloadavg()[0]
        out["ok"] = all(checks) and peak <= TARGET_RSS_MB
        emit(out)

if __name__ == "__main__":
    main()
