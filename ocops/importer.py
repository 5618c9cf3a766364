"""Apply a prepared file to the store: batches, upserts, history and undo.

An import is one transaction. New keys are inserted; a key whose values
changed moves its old values into ``record_history`` (tagged with the batch
that had set them) before the new ones replace them; unchanged rows are
left alone. Removing a batch pops exactly its layer off every record's
history stack (see :func:`remove_batch`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ocops.errors import UnknownBatch, UnusableFile
from ocops.geo import CountryIndex
from ocops.ingest.mapping import Mapping
from ocops.ingest.normalise import STORE_COLUMNS, Prepared, normalise
from ocops.ingest.reader import read_table
from ocops.ingest.report import ImportReport
from ocops.models import Batch, utcnow
from ocops.store import bump_data_version, lock_for_writing
from ocops.taxonomy import Taxonomy

WRITE_COLUMNS: tuple[str, ...] = (*STORE_COLUMNS, "key", "value_hash", "batch_id")
SAMPLE_BATCH = "sample"
WRITE_CHUNK = 50_000  # rows turned into driver tuples at a time (bounds the memory of a large import)
SQLITE_IMPORT_CACHE_KIB = 262_144  # page cache while importing: the key index stays in memory
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Vocabulary:
    """The lookups normalisation needs: countries and crime areas."""

    countries: CountryIndex
    taxonomy: Taxonomy


def _quiet(_fraction: float, _message: str) -> None:
    return None


def prepare(
    data: bytes,
    filename: str,
    vocabulary: Vocabulary,
    mapping: Mapping | None = None,
    max_bytes: int | None = None,
) -> Prepared:
    """Read, map, normalise and validate a file without touching the store."""
    raw = read_table(data, filename, max_bytes=max_bytes)
    return normalise(raw, mapping or Mapping(), vocabulary.countries, vocabulary.taxonomy)


def _report(prepared: Prepared, filename: str, **flags: bool) -> ImportReport:
    return ImportReport(
        file=filename, rows_read=prepared.rows_read, rejected=prepared.rejected,
        errors=list(prepared.errors), ignored_columns=list(prepared.ignored_columns),
        detected=dict(prepared.detected), **flags,
    )


def _create_temp_keys(conn: Connection, keys: Sequence[str]) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS tmp_keys")
    suffix = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    prefix = "CREATE TEMP TABLE" if conn.dialect.name == "postgresql" else "CREATE TEMP TABLE"
    conn.exec_driver_sql(f"{prefix} tmp_keys (key TEXT PRIMARY KEY){suffix}")
    _bulk_insert(conn, "tmp_keys", ("key",), [(k,) for k in keys])


def _existing(conn: Connection, keys: Sequence[str]) -> pd.DataFrame:
    """(key, value_hash, batch_id) of the stored records among ``keys``."""
    columns = ["key", "value_hash", "batch_id"]
    if not keys or conn.execute(sa.text("SELECT count(*) FROM (SELECT 1 FROM records LIMIT 1) AS any_row")).scalar() == 0:
        return pd.DataFrame(columns=columns)
    _create_temp_keys(conn, keys)
    rows = conn.exec_driver_sql(
        "SELECT r.key, r.value_hash, r.batch_id FROM records r JOIN tmp_keys t ON r.key = t.key"
    ).fetchall()
    return pd.DataFrame(rows, columns=columns)


def _classify(conn: Connection, keys: np.ndarray, value_hash: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Masks of new and changed rows, and the batches the changed rows came from."""
    existing = _existing(conn, keys.tolist())
    if existing.empty:
        return np.ones(len(keys), dtype=bool), np.zeros(len(keys), dtype=bool), []
    existing = existing.set_index("key")
    series = pd.Series(keys, dtype=object)
    known = series.isin(existing.index).to_numpy()
    old_hash = series.map(existing["value_hash"]).to_numpy(dtype=object)
    changed = known & (old_hash != value_hash)
    sources = series[changed].map(existing["batch_id"]) if changed.any() else pd.Series([], dtype=int)
    return ~known, changed, sorted({int(b) for b in sources})


def _driver_values(column: np.ndarray) -> list[Any]:
    """A column as Python values, None where missing (NaN floats included)."""
    if column.dtype.kind == "f":
        values = column.astype(object)
        values[np.isnan(column)] = None
        return values.tolist()
    return column.tolist()


def _rows(columns: dict[str, np.ndarray], selected: np.ndarray, batch_id: int) -> Iterator[tuple[Any, ...]]:
    """The selected rows as driver-ready tuples (None for missing; dates already ISO text),
    built column-wise a chunk at a time."""
    for start in range(0, len(selected), WRITE_CHUNK):
        index = selected[start:start + WRITE_CHUNK]
        values = [_driver_values(columns[name][index]) for name in WRITE_COLUMNS[:-1]]
        values.append([batch_id] * len(index))
        yield from zip(*values, strict=True)


def _bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert many rows through the driver (COPY on PostgreSQL)."""
    if isinstance(rows, list) and not rows:
        return
    names = ", ".join(columns)
    raw = conn.connection.dbapi_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def _insert_batch(conn: Connection, filename: str, sha256: str, user: str, report: ImportReport) -> int:
    table = Batch.__table__
    values = {"filename": filename, "sha256": sha256, "user": user, "rows_read": report.rows_read,
              "imported": report.imported, "updated": report.updated, "unchanged": report.unchanged,
              "rejected": report.rejected, "created_at": utcnow()}
    return int(conn.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one())


def apply(
    engine: Engine,
    prepared: Prepared,
    filename: str,
    sha256: str,
    *,
    user: str = "unknown",
    all_or_nothing: bool = False,
    dry_run: bool = False,
    only_if_empty: bool = False,
    progress: Progress = _quiet,
) -> ImportReport:
    """Write a prepared file in one transaction (or only plan it when ``dry_run``)."""
    report = _report(prepared, filename, dry_run=dry_run, all_or_nothing=all_or_nothing)
    columns = prepared.columns
    keys = columns["key"]
    with engine.begin() as conn:
        if not dry_run:
            lock_for_writing(conn)
        if only_if_empty and conn.execute(sa.text("SELECT count(*) FROM batches")).scalar():
            report.rows_read = 0
            return report
        progress(0.5, "Comparing with the stored records")
        new, changed, sources = _classify(conn, keys, columns["value_hash"])
        report.updated_from_batches = sources
        if all_or_nothing and prepared.rejected:
            return report
        report.imported, report.updated = int(new.sum()), int(changed.sum())
        report.unchanged = len(keys) - report.imported - report.updated
        if dry_run or not (report.imported or report.updated):
            if not dry_run:
                report.batch_id = _insert_batch(conn, filename, sha256, user, report)
            return report
        batch_id = _insert_batch(conn, filename, sha256, user, report)
        report.batch_id = batch_id
        if report.updated:
            progress(0.6, f"Keeping the previous values of {report.updated:,} updated records")
            _create_temp_keys(conn, keys[changed].tolist())
            value_columns = ", ".join((*STORE_COLUMNS, "key", "value_hash", "batch_id"))
            conn.execute(sa.text(
                f"INSERT INTO record_history ({value_columns}, superseded_by) "
                f"SELECT {value_columns}, :batch FROM records WHERE key IN (SELECT key FROM tmp_keys)"
            ), {"batch": batch_id})
            conn.exec_driver_sql("DELETE FROM records WHERE key IN (SELECT key FROM tmp_keys)")
        progress(0.7, f"Writing {report.imported + report.updated:,} records")
        rows = _rows(columns, np.flatnonzero(new | changed), batch_id)
        if conn.dialect.name == "sqlite":
            # A larger page cache for this write only: the pooled connection gets its own back.
            previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
            try:
                _bulk_insert(conn, "records", WRITE_COLUMNS, rows)
            finally:
                conn.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")
        else:
            _bulk_insert(conn, "records", WRITE_COLUMNS, rows)
        bump_data_version(conn)
        progress(1.0, "Done")
    return report


def import_bytes(
    engine: Engine,
    data: bytes,
    filename: str,
    vocabulary: Vocabulary,
    *,
    mapping: Mapping | None = None,
    user: str = "unknown",
    all_or_nothing: bool = False,
    dry_run: bool = False,
    max_bytes: int | None = None,
    progress: Progress = _quiet,
    restrict: Callable[[Prepared], Prepared] | None = None,
) -> ImportReport:
    """Read, validate and import one file; raises UnusableFile when nothing can be imported.

    ``restrict`` is a post-validation step (e.g. rejecting rows outside a user's scope)."""
    progress(0.05, f"Reading {filename}")
    prepared = prepare(data, filename, vocabulary, mapping, max_bytes)
    if restrict is not None:
        prepared = restrict(prepared)
    progress(0.4, f"Checked {prepared.rows_read:,} rows")
    sha256 = hashlib.sha256(data).hexdigest()
    return apply(engine, prepared, filename, sha256, user=user, all_or_nothing=all_or_nothing,
                 dry_run=dry_run, progress=progress)


def import_path(engine: Engine, path: Path, vocabulary: Vocabulary, **options: Any) -> ImportReport:
    """Import a file from disk (the CLI's entry point)."""
    try:
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise UnusableFile(f"{path} is a folder: give the path of a file.") from exc
    except OSError as exc:
        raise UnusableFile(f"Cannot read {path}: {exc.strerror}.") from exc
    return import_bytes(engine, data, path.name, vocabulary, **options)


def load_sample_if_empty(engine: Engine, sample: Path, vocabulary: Vocabulary) -> ImportReport | None:
    """Load the illustrative sample as batch ``sample`` into a store that has no batch yet."""
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM batches")).scalar():
            return None
    data = sample.read_bytes()
    prepared = prepare(data, sample.name, vocabulary)
    report = apply(engine, prepared, SAMPLE_BATCH, hashlib.sha256(data).hexdigest(),
                   user="ocops", only_if_empty=True)
    return report if report.batch_id is not None else None


@dataclass(frozen=True)
class Removal:
    """What removing a batch did."""

    batch_id: int
    filename: str
    removed: int
    restored: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"batch_id": self.batch_id, "file": self.filename, "removed": self.removed, "restored": self.restored}


def remove_batch(engine: Engine, batch_id: int) -> Removal:
    """Undo a batch exactly.

    Each record keeps a stack of versions (its history plus its current
    values). Removing a batch takes that batch's layer out of every stack:
    a record the batch set last returns to the version before it (or
    disappears if the batch added it); a record a later batch changed again
    keeps the later values, and the removed layer simply leaves its history.
    """
    with engine.begin() as conn:
        lock_for_writing(conn)
        row = conn.execute(sa.text("SELECT filename FROM batches WHERE id = :b"), {"b": batch_id}).first()
        if row is None:
            raise UnknownBatch(f"There is no batch {batch_id}: list the batches with `python -m ocops batches`.")
        params = {"b": batch_id}
        conn.execute(sa.text("DELETE FROM record_history WHERE batch_id = :b"), params)
        keys = [k for (k,) in conn.execute(sa.text("SELECT key FROM records WHERE batch_id = :b"), params)]
        conn.execute(sa.text("DELETE FROM records WHERE batch_id = :b"), params)
        restored = 0
        if keys:
            _create_temp_keys(conn, keys)
            latest = ("SELECT max(id) FROM record_history WHERE key IN (SELECT key FROM tmp_keys) GROUP BY key")
            ids = [i for (i,) in conn.exec_driver_sql(latest)]
            if ids:
                conn.exec_driver_sql("DROP TABLE IF EXISTS tmp_ids")
                suffix = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
                conn.exec_driver_sql(f"CREATE TEMP TABLE tmp_ids (id INTEGER PRIMARY KEY){suffix}")
                _bulk_insert(conn, "tmp_ids", ("id",), [(i,) for i in ids])
                columns = ", ".join(WRITE_COLUMNS)
                conn.exec_driver_sql(
                    f"INSERT INTO records ({columns}) SELECT {columns} FROM record_history "
                    "WHERE id IN (SELECT id FROM tmp_ids)"
                )
                conn.exec_driver_sql("DELETE FROM record_history WHERE id IN (SELECT id FROM tmp_ids)")
                restored = len(ids)
        conn.execute(sa.text("DELETE FROM batches WHERE id = :b"), params)
        bump_data_version(conn)
    return Removal(batch_id, row[0], removed=len(keys) - restored, restored=restored)


def list_batches(engine: Engine) -> list[dict[str, Any]]:
    """Every batch, newest first, with its counts and the records it holds now."""
    query = sa.text(
        "SELECT b.id, b.filename, b.sha256, b.created_at, b.user, b.rows_read, b.imported, b.updated, "
        "b.unchanged, b.rejected, (SELECT count(*) FROM records r WHERE r.batch_id = b.id) AS current_records "
        "FROM batches b ORDER BY b.id DESC"
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    result = []
    for row in rows:
        item = dict(row)
        created = item["created_at"]
        item["created_at"] = created.isoformat(timespec="seconds") if isinstance(created, dt.datetime) else str(created)
        item["batch_id"] = item.pop("id")
        result.append(item)
    return result


__all__ = ["Vocabulary", "apply", "import_bytes", "import_path", "list_batches",
           "load_sample_if_empty", "prepare", "remove_batch"]
