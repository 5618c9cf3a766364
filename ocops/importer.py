"""Apply a prepared file to the store: batches, upserts, history and undo.

An import is one transaction. New keys are inserted; a key whose values
changed moves its old values into ``record_history`` (tagged with the batch
that had set them) before the new ones replace them; unchanged rows are
left alone. Each set of values has a ``version`` number that its seized
quantities (table ``quantities``) refer to, so quantities move with it.
Every batch that holds a key, changed or not, is recorded in
``record_batches`` with the value hash it had. Removing a batch takes its
layer out of every record's stack (see :func:`remove_batch`); the batch
itself stays listed as removed, so its number is never reused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ocops import keyrule
from ocops.errors import BatchAlreadyRemoved, UnknownBatch, UnusableFile
from ocops.geo import CountryIndex
from ocops.ingest.mapping import Mapping
from ocops.ingest.normalise import STORE_COLUMNS, Prepared, normalise
from ocops.ingest.quantities import QUANTITY_COLUMNS
from ocops.ingest.reader import read_table
from ocops.ingest.report import ImportReport
from ocops.models import Batch, utcnow
from ocops.seized_items import SeizedItems, load_seized_items
from ocops.store import bump_data_version, lock_for_writing
from ocops.taxonomy import Taxonomy

# The seized_* columns of a prepared file become rows of ``quantities`` (QUANTITY_WRITE).
RECORD_COLUMNS: tuple[str, ...] = tuple(c for c in STORE_COLUMNS if not c.startswith("seized_"))
WRITE_COLUMNS: tuple[str, ...] = (*RECORD_COLUMNS, "key", "value_hash", "batch_id", "version")
QUANTITY_WRITE: tuple[str, ...] = ("version", *QUANTITY_COLUMNS[1:])
SAMPLE_BATCH = "sample"
MAX_ID = 2_147_483_647  # the largest id an INTEGER column holds on PostgreSQL (and well within SQLite's)
WRITE_CHUNK = 50_000  # rows turned into driver tuples at a time (bounds the memory of a large import)
SQLITE_IMPORT_CACHE_KIB = 262_144  # page cache while importing: the key index stays in memory
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Vocabulary:
    """The lookups normalisation needs: countries, crime areas and seized items."""

    countries: CountryIndex
    taxonomy: Taxonomy
    items: SeizedItems = field(default_factory=load_seized_items)


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
    return _prepare_owned([data], filename, vocabulary, mapping, max_bytes)


def _prepare_owned(box: list[bytes], filename: str, vocabulary: Vocabulary, mapping: Mapping | None,
                   max_bytes: int | None) -> Prepared:
    """:func:`prepare` of the bytes popped from ``box``: once parsed they are let go, so a caller
    that holds no other reference (``import_path``) does not keep a large file in memory while
    it is normalised and written. Arrow's pool then returns what normalising no longer uses."""
    mapping = mapping or Mapping()
    data = box.pop()
    raw = read_table(data, filename, max_bytes=max_bytes, header_row=mapping.header_row)
    del data
    prepared = normalise(raw, mapping, vocabulary.countries, vocabulary.taxonomy, vocabulary.items)
    del raw
    pa.default_memory_pool().release_unused()
    return prepared


def _report(prepared: Prepared, filename: str, *, dry_run: bool, all_or_nothing: bool) -> ImportReport:
    return ImportReport(
        file=filename, rows_read=prepared.rows_read, rejected=prepared.rejected,
        errors=list(prepared.errors), ignored_columns=list(prepared.ignored_columns),
        header_row=prepared.header_row, columns=dict(prepared.columns_used), skipped=prepared.skipped,
        skipped_by=dict(prepared.skipped_by), detected=dict(prepared.detected),
        unknown_items=list(prepared.unknown_items), dry_run=dry_run, all_or_nothing=all_or_nothing,
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
    any_row = sa.text("SELECT count(*) FROM (SELECT 1 FROM records LIMIT 1) AS any_row")
    if not keys or conn.execute(any_row).scalar() == 0:
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


def _record_chunks(columns: dict[str, np.ndarray], selected: np.ndarray, batch_id: int,
                   versions: np.ndarray) -> Iterator[list[np.ndarray]]:
    """The selected rows' WRITE_COLUMNS as arrays, a chunk of rows at a time."""
    for start in range(0, len(selected), WRITE_CHUNK):
        index = selected[start:start + WRITE_CHUNK]
        values = [columns[name][index] for name in WRITE_COLUMNS[:-2]]
        values.append(np.full(len(index), batch_id, dtype=np.int64))
        values.append(versions[start:start + WRITE_CHUNK])
        yield values


def _chunks(arrays: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
    """Equal-length arrays a chunk of rows at a time."""
    for start in range(0, len(arrays[0]), WRITE_CHUNK):
        yield [a[start:start + WRITE_CHUNK] for a in arrays]


def _rows(columns: dict[str, np.ndarray], selected: np.ndarray, batch_id: int,
          versions: np.ndarray) -> Iterator[tuple[Any, ...]]:
    """The selected rows as driver-ready tuples (None for missing; dates already ISO text),
    built column-wise a chunk at a time; ``versions`` holds one number per selected row."""
    for values in _record_chunks(columns, selected, batch_id, versions):
        yield from zip(*(_driver_values(v) for v in values), strict=True)


def _copy_csv(conn: Connection, table: str, names: Sequence[str], chunks: Iterable[list[np.ndarray]]) -> None:
    """PostgreSQL: COPY column chunks as CSV written by Arrow (no Python object per row or value).

    Every value is quoted and a missing one (None, NaN) is an unquoted empty field, so that
    PostgreSQL's CSV format tells NULL from an empty text exactly; floats are written in their
    shortest round-trip form, so they arrive unchanged."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    raw = conn.connection.dbapi_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)") as copy:
            for values in chunks:
                arrays = [pa.array(v, type=pa.string(), from_pandas=True) if v.dtype == object
                          else pa.array(v, from_pandas=True) for v in values]
                sink = io.BytesIO()
                pacsv.write_csv(pa.Table.from_arrays(arrays, names=list(names)), sink, options)
                copy.write(sink.getbuffer())
    finally:
        cursor.close()


def _quantity_arrays(quantities: dict[str, np.ndarray], selected: np.ndarray,
                     versions: np.ndarray, rows: int) -> list[np.ndarray]:
    """QUANTITY_WRITE of the selected rows' quantities, each with its row's version (empty when none)."""
    if not len(quantities.get("row", ())):
        return []
    version_of = np.full(rows, -1, dtype=np.int64)
    version_of[selected] = versions
    own = version_of[quantities["row"]]
    keep = own >= 0
    return [own[keep]] + [quantities[name][keep] for name in QUANTITY_WRITE[1:]]


def _quantity_rows(quantities: dict[str, np.ndarray], selected: np.ndarray,
                   versions: np.ndarray, rows: int) -> list[tuple[Any, ...]]:
    """The quantities of the selected rows as driver-ready tuples, each with its row's version."""
    arrays = _quantity_arrays(quantities, selected, versions, rows)
    if not arrays:
        return []
    return list(zip(*(_driver_values(a) for a in arrays), strict=True))


def _allocate_versions(conn: Connection, count: int) -> np.ndarray:
    """``count`` new version numbers (never reused; the writer holds the write lock)."""
    first = int(conn.execute(sa.text("SELECT value FROM meta WHERE key = 'next_version'")).scalar_one())
    conn.execute(sa.text("UPDATE meta SET value = :v WHERE key = 'next_version'"), {"v": first + count})
    return np.arange(first, first + count, dtype=np.int64)


def _record_membership(conn: Connection, columns: dict[str, np.ndarray], batch_id: int,
                       unchanged: np.ndarray) -> None:
    """Every key of the file is held by this batch, with the value hash it had (changed or not).

    Call it after the new and changed rows are in ``records``: their memberships are copied
    there by the database (INSERT ... SELECT, no row passes through Python); only the
    ``unchanged`` rows (positions) are sent from here."""
    conn.execute(sa.text("INSERT INTO record_batches (key, batch_id, value_hash) "
                         "SELECT key, batch_id, value_hash FROM records WHERE batch_id = :b"), {"b": batch_id})
    keys, hashes = columns["key"], columns["value_hash"]
    for start in range(0, len(unchanged), WRITE_CHUNK):
        part = unchanged[start:start + WRITE_CHUNK]
        _bulk_insert(conn, "record_batches", ("key", "batch_id", "value_hash"),
                     [(k, batch_id, h) for k, h in zip(keys[part].tolist(), hashes[part].tolist(), strict=True)])


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
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # type: ignore[arg-type]  # sqlite3 takes any iterable
    finally:
        cursor.close()


def _insert_batch(conn: Connection, filename: str, sha256: str, user: str, report: ImportReport) -> int:
    table = Batch.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
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
        keyrule.check(conn)  # keys computed by another rule would duplicate the store
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
        if dry_run:
            return report
        batch_id = _insert_batch(conn, filename, sha256, user, report)
        report.batch_id = batch_id
        if not (report.imported or report.updated):
            _record_membership(conn, columns, batch_id, np.arange(len(keys)))
            bump_data_version(conn)  # the batch list changed: every write bumps the version
            return report
        if report.updated:
            progress(0.6, f"Keeping the previous values of {report.updated:,} updated records")
            _create_temp_keys(conn, keys[changed].tolist())
            value_columns = ", ".join(WRITE_COLUMNS)
            conn.execute(sa.text(
                f"INSERT INTO record_history ({value_columns}, superseded_by) "
                f"SELECT {value_columns}, :batch FROM records WHERE key IN (SELECT key FROM tmp_keys)"
            ), {"batch": batch_id})
            conn.exec_driver_sql("DELETE FROM records WHERE key IN (SELECT key FROM tmp_keys)")
        progress(0.7, f"Writing {report.imported + report.updated:,} records")
        selected = np.flatnonzero(new | changed)
        versions = _allocate_versions(conn, len(selected))
        unchanged = np.flatnonzero(~(new | changed))
        if conn.dialect.name == "sqlite":
            _bulk_insert(conn, "quantities", QUANTITY_WRITE,
                         _quantity_rows(prepared.quantities, selected, versions, len(keys)))
            # A larger page cache for this write only: the pooled connection gets its own back.
            previous = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
            conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
            try:
                _bulk_insert(conn, "records", WRITE_COLUMNS, _rows(columns, selected, batch_id, versions))
                _record_membership(conn, columns, batch_id, unchanged)
            finally:
                conn.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")
        else:
            quantities = _quantity_arrays(prepared.quantities, selected, versions, len(keys))
            if quantities:
                _copy_csv(conn, "quantities", QUANTITY_WRITE, _chunks(quantities))
            _copy_csv(conn, "records", WRITE_COLUMNS, _record_chunks(columns, selected, batch_id, versions))
            _record_membership(conn, columns, batch_id, unchanged)
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
    box = [data]
    del data
    return _import_owned(engine, box, filename, vocabulary, mapping=mapping, user=user,
                         all_or_nothing=all_or_nothing, dry_run=dry_run, max_bytes=max_bytes,
                         progress=progress, restrict=restrict)


def _import_owned(engine: Engine, box: list[bytes], filename: str, vocabulary: Vocabulary, *,
                  mapping: Mapping | None, user: str, all_or_nothing: bool, dry_run: bool,
                  max_bytes: int | None, progress: Progress,
                  restrict: Callable[[Prepared], Prepared] | None) -> ImportReport:
    """:func:`import_bytes` of the bytes in ``box`` (taken out, so they can be let go once parsed)."""
    progress(0.05, f"Reading {filename}")
    sha256 = hashlib.sha256(box[0]).hexdigest()
    prepared = _prepare_owned(box, filename, vocabulary, mapping, max_bytes)
    if restrict is not None:
        prepared = restrict(prepared)
    progress(0.4, f"Checked {prepared.rows_read:,} rows")
    return apply(engine, prepared, filename, sha256, user=user, all_or_nothing=all_or_nothing,
                 dry_run=dry_run, progress=progress)


def use_system_allocator() -> None:
    """Let Arrow allocate through the C library, as numpy and Python do, for a process that
    mostly imports (the CLI): what normalising frees is then reused by the next step or given
    back, instead of staying in Arrow's own pool. At 1M rows this lowers the import's peak RSS
    by about 150 MB at no measurable cost in time."""
    pa.set_memory_pool(pa.system_memory_pool())


def import_path(engine: Engine, path: Path, vocabulary: Vocabulary, **options: Any) -> ImportReport:
    """Import a file from disk (the CLI's entry point); the file's bytes are let go once parsed."""
    try:
        box = [path.read_bytes()]
    except IsADirectoryError as exc:
        raise UnusableFile(f"{path} is a folder: give the path of a file.") from exc
    except OSError as exc:
        raise UnusableFile(f"Cannot read {path}: {exc.strerror}.") from exc
    settings = {"mapping": None, "user": "unknown", "all_or_nothing": False, "dry_run": False,
                "max_bytes": None, "progress": _quiet, "restrict": None, **options}
    return _import_owned(engine, box, path.name, vocabulary, **settings)


def sample_mapping(sample: Path) -> Mapping | None:
    """The mapping shipped beside a sample file (``<name>.mapping.json``: its further quantities), if any."""
    path = sample.with_name(sample.stem + ".mapping.json")
    return Mapping.from_file(path) if path.is_file() else None


def load_sample_if_empty(engine: Engine, sample: Path, vocabulary: Vocabulary) -> ImportReport | None:
    """Load the illustrative sample as batch ``sample`` into a store that has no batch yet
    (with the mapping beside it, see :func:`sample_mapping`)."""
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM batches")).scalar():
            return None
    data = sample.read_bytes()
    prepared = prepare(data, sample.name, vocabulary, sample_mapping(sample))
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


def _temp_table(conn: Connection, name: str, select: str, params: dict[str, Any] | None = None) -> None:
    """A temporary table holding the rows of ``select`` (dropped at commit on PostgreSQL)."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    suffix = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    conn.execute(sa.text(f"CREATE TEMP TABLE {name}{suffix} AS {select}"), params or {})


_VERSION_COLUMNS = ", ".join(WRITE_COLUMNS)
_SAME_VALUES = "m.key = {t}.key AND m.value_hash = {t}.value_hash"
# Versions a removal leaves without use: no remaining batch holds their values, the current
# record has the same values, or an older history row has them.
_UNUSED_HISTORY = (
    "SELECT h.version FROM record_history h WHERE h.key IN (SELECT key FROM tmp_keys) AND ("
    "NOT EXISTS (SELECT 1 FROM record_batches m WHERE m.key = h.key AND m.value_hash = h.value_hash) "
    "OR EXISTS (SELECT 1 FROM records r WHERE r.key = h.key AND r.value_hash = h.value_hash) "
    "OR EXISTS (SELECT 1 FROM record_history o WHERE o.key = h.key AND o.value_hash = h.value_hash "
    "AND o.id < h.id))"
)


def remove_batch(engine: Engine, batch_id: int, user: str = "unknown") -> Removal:
    """Undo a batch exactly; the batch stays listed as removed (by ``user``, now).

    Each record is held by the batches whose files had it (changed or not),
    each with the values it had. Removing a batch takes its layer out: a
    record stays while any remaining batch holds it, with the values of the
    latest one (and their quantities); it disappears when no batch holds it.
    Values the removed batch wrote that a remaining batch also had pass to
    the earliest such batch.
    """
    missing = UnknownBatch(f"There is no batch {batch_id}: list the batches with `python -m ocops batches`.")
    if not 0 < batch_id <= MAX_ID:
        raise missing  # beyond what an id column holds: asking the store would fail, not answer
    with engine.begin() as conn:
        lock_for_writing(conn)
        row = conn.execute(sa.text("SELECT filename, removed_at, removed_by FROM batches WHERE id = :b"),
                           {"b": batch_id}).first()
        if row is None:
            raise missing
        if row[1] is not None:
            raise BatchAlreadyRemoved(
                f"Batch {batch_id} ({row[0]}) was already removed on {_when(row[1])[:16].replace('T', ' ')} UTC "
                f"by {row[2] or 'unknown'}: "
                "nothing to undo. List the batches with `python -m ocops batches`.")
        params = {"b": batch_id}
        _temp_table(conn, "tmp_keys", "SELECT key FROM record_batches WHERE batch_id = :b "
                    "UNION SELECT key FROM records WHERE batch_id = :b "
                    "UNION SELECT key FROM record_history WHERE batch_id = :b", params)
        _temp_table(conn, "tmp_before", "SELECT key, version FROM records WHERE key IN (SELECT key FROM tmp_keys)")
        conn.execute(sa.text("DELETE FROM record_batches WHERE batch_id = :b"), params)
        for table in ("records", "record_history"):  # values a later batch also had pass to it
            same = _SAME_VALUES.format(t=table)
            conn.execute(sa.text(
                f"UPDATE {table} SET batch_id = (SELECT min(m.batch_id) FROM record_batches m WHERE {same}) "
                f"WHERE batch_id = :b AND EXISTS (SELECT 1 FROM record_batches m WHERE {same})"), params)
        _temp_table(conn, "tmp_dead", "SELECT version FROM records WHERE batch_id = :b "
                    "UNION SELECT version FROM record_history WHERE batch_id = :b", params)
        conn.execute(sa.text("DELETE FROM records WHERE batch_id = :b"), params)
        conn.execute(sa.text("DELETE FROM record_history WHERE batch_id = :b"), params)
        _temp_table(conn, "tmp_top",
                    "SELECT m.key, m.value_hash FROM record_batches m JOIN (SELECT key, max(batch_id) AS top "
                    "FROM record_batches WHERE key IN (SELECT key FROM tmp_keys) GROUP BY key) t "
                    "ON m.key = t.key AND m.batch_id = t.top")
        # The latest remaining holder decides each record's values.
        conn.execute(sa.text(
            f"INSERT INTO record_history ({_VERSION_COLUMNS}, superseded_by) SELECT {_VERSION_COLUMNS}, :b "
            "FROM records WHERE key IN (SELECT key FROM tmp_keys) AND NOT EXISTS (SELECT 1 FROM tmp_top t "
            "WHERE t.key = records.key AND t.value_hash = records.value_hash)"), params)
        conn.exec_driver_sql(
            "DELETE FROM records WHERE key IN (SELECT key FROM tmp_keys) AND NOT EXISTS "
            "(SELECT 1 FROM tmp_top t WHERE t.key = records.key AND t.value_hash = records.value_hash)")
        _temp_table(conn, "tmp_restore",
                    "SELECT max(h.id) AS id FROM record_history h JOIN tmp_top t ON h.key = t.key "
                    "AND h.value_hash = t.value_hash WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.key = h.key) "
                    "GROUP BY h.key")
        conn.exec_driver_sql(f"INSERT INTO records ({_VERSION_COLUMNS}) SELECT {_VERSION_COLUMNS} "
                             "FROM record_history WHERE id IN (SELECT id FROM tmp_restore)")
        conn.exec_driver_sql("DELETE FROM record_history WHERE id IN (SELECT id FROM tmp_restore)")
        conn.exec_driver_sql(f"INSERT INTO tmp_dead (version) {_UNUSED_HISTORY}")
        conn.exec_driver_sql("DELETE FROM record_history WHERE version IN (SELECT version FROM tmp_dead)")
        conn.exec_driver_sql("DELETE FROM quantities WHERE version IN (SELECT version FROM tmp_dead)")
        removed, restored = conn.exec_driver_sql(
            "SELECT count(*) - count(r.key), count(CASE WHEN r.version <> b.version THEN 1 END) "
            "FROM tmp_before b LEFT JOIN records r ON r.key = b.key").one()
        conn.execute(sa.text("UPDATE batches SET removed_at = :at, removed_by = :user WHERE id = :b"),
                     {"at": utcnow(), "user": user, "b": batch_id})
        bump_data_version(conn)
    return Removal(batch_id, row[0], removed=int(removed), restored=int(restored))


def _when(value: Any) -> str:
    """A stored time as text (SQLite returns text, PostgreSQL a datetime, shown to the second)."""
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else str(value)


def list_batches(engine: Engine) -> list[dict[str, Any]]:
    """Every batch, newest first, with its counts and the records whose values it holds now;
    removed batches stay listed with ``removed_at`` and ``removed_by``."""
    query = sa.text(
        "SELECT b.id, b.filename, b.sha256, b.created_at, b.user, b.rows_read, b.imported, b.updated, "
        "b.unchanged, b.rejected, (SELECT count(*) FROM records r WHERE r.batch_id = b.id) AS current_records, "
        "b.removed_at, b.removed_by FROM batches b ORDER BY b.id DESC"
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    result = []
    for row in rows:
        item = dict(row)
        item["created_at"] = _when(item["created_at"])
        item["removed_at"] = None if item["removed_at"] is None else _when(item["removed_at"])
        item["batch_id"] = item.pop("id")
        result.append(item)
    return result


__all__ = ["Vocabulary", "apply", "import_bytes", "import_path", "list_batches",
           "load_sample_if_empty", "prepare", "remove_batch", "use_system_allocator"]
