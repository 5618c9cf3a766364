"""Import speed: `python -m ocops import` of N canonical rows vs the database's own bulk load.

Baselines, in the same run: `sqlite3 .import --csv` into a plain table (SQLite) and
`COPY ... FROM STDIN` into a plain table (PostgreSQL). Target (issue 7): ocops on
SQLite <= 2.5x the sqlite3 baseline, normalisation, keys and history included.

    python -m benchmarks.bench_import --rows 1000000
"""

from __future__ import annotations

import argparse
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
        with csv_path.open("rb") as handle, cursor.copy("COPY baseline FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def main() -> None:
    """Run the import benchmark and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = demo_csv(args.rows, folder)
        base = sqlite_baseline(csv_path, folder)
        ocops_seconds, result = run_cli("--db", f"sqlite:///{folder / 'ocops.db'}", "import", str(csv_path))
        again_seconds, _ = run_cli("--db", f"sqlite:///{folder / 'ocops.db'}", "import", str(csv_path))
        out: dict[str, object] = {
            "benchmark": "import", "rows": args.rows,
            "sqlite": {"baseline_sqlite3_import_s": round(base, 2), "ocops_import_s": round(ocops_seconds, 2),
                       "ratio": round(ocops_seconds / base, 2), "target_ratio": 2.5,
                       "reimport_unchanged_s": round(again_seconds, 2)},
        }
        if not args.no_postgres and pg_available():
            with pg_schema_url() as url:
                copy_seconds = pg_baseline(csv_path, url)
                pg_seconds, _ = run_cli("--db", url, "import", str(csv_path))
            out["postgresql"] = {"baseline_copy_s": round(copy_seconds, 2), "ocops_import_s": round(pg_seconds, 2),
                                 "ratio": round(pg_seconds / copy_seconds, 2)}
        out["ok"] = out["sqlite"]["ratio"] <= 2.5  # type: ignore[index]
        emit(out)


if __name__ == "__main__":
    main()
