"""Bring an analytic frame up to the store's current data version by reading only what changed.

An import of a few hundred records, or the removal of a batch, changes a few rows of a
frame of millions, and reading every record again costs seconds at 1M records (a minute
or more at 10M). Each stored record row carries a version number, new whenever its values
change and never reused, and a batch id, which a batch removal may hand to another batch
without a new version. So the rows whose (version, batch id) the frame does not hold are
read, the frame rows the store no longer holds are dropped, and the categories no row
uses any more are pruned: the result holds exactly the records of a full read of the same
data version (``tests/test_delta.py`` compares the two after imports and removals).

The pairs of a large SQLite file are read column-wise by the Arrow reader's child process,
outside the read transaction of the changed rows; every write bumps the data version, so
an unchanged data version before the pairs and inside the transaction proves that both
reads saw the same data (otherwise it is read again).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ocops import queries, sqlite_arrow
from ocops.models import Quantity, Record

MAX_CHANGED_SHARE = 0.2  # more changed rows than this: a full read costs about the same
CHUNK = 20_000  # versions per IN (...) list


@dataclass(frozen=True)
class Source:
    """Which store and data version a frame holds (``frame.attrs["source"]``), with the newest
    batch id and the number of removed batches at that version (-1: not known)."""

    store_id: int
    version: int
    batches: int = -1
    removed: int = -1


STATE = sa.text(
    "SELECT (SELECT value FROM meta WHERE key = 'store_id'), (SELECT value FROM meta WHERE key = 'data_version'), "
    "(SELECT coalesce(max(id), 0) FROM batches), (SELECT count(*) FROM batches WHERE removed_at IS NOT NULL)")


def state(connectable: Engine | Connection) -> Source:
    """The store's id, data version, newest batch id and removed batches, read in one statement."""
    if isinstance(connectable, Engine):
        with connectable.connect() as conn:
            return state(conn)
    store_id, version, batches, removed = connectable.execute(STATE).one()
    return Source(int(store_id or 0), int(version), int(batches), int(removed))


def source_of(frame: pd.DataFrame) -> Source | None:
    """The store and data version ``frame`` was read at, if known."""
    found = frame.attrs.get("source")
    return found if isinstance(found, Source) else None


def mark(frame: pd.DataFrame, source: Source) -> pd.DataFrame:
    """Record on ``frame`` the store and data version it holds; returns it."""
    frame.attrs["source"] = source
    return frame


def refreshed(engine: Engine, previous: pd.DataFrame) -> tuple[Source, pd.DataFrame] | None:
    """(source, frame) of the store now, built from ``previous`` (a full frame of an earlier
    version of the same store, with its ``source``); None when a full read is the better way
    (another store, no source, or too much changed).

    After imports only (no batch removed since), the new rows are those with a version above
    the frame's newest and the rows gone are those the new batches superseded; a checksum
    of the stored (version, batch id) pairs confirms it. Otherwise, and whenever the
    checksum disagrees, every stored pair is read and compared."""
    source = source_of(previous)
    if source is None or "version" not in previous:
        return None
    for _attempt in range(5):
        before = state(engine)
        if before.store_id != source.store_id:
            return None
        if before.version == source.version:
            return before, previous
        with _snapshot(engine) as conn:
            if state(conn) != before:
                continue
            found = _after_imports(conn, previous, source)
        if found is not None:
            keep, raw, raw_quantities = found
            return before, mark(combine(previous, keep, queries.compact_frame(raw, raw_quantities)), before)
        held = _pairs(engine)  # may run outside the transaction below: the data version tells
        with _snapshot(engine) as conn:
            if state(conn) != before:
                continue  # a write came between: every write bumps the data version
            keep, wanted = _compare(previous, held)
            if len(wanted) > MAX_CHANGED_SHARE * max(len(held[0]), 1):
                return None
            raw, raw_quantities = _read_versions(conn, wanted)
        return before, mark(combine(previous, keep, queries.compact_frame(raw, raw_quantities)), before)
    return None


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection in one read transaction: SQLite's WAL and PostgreSQL's REPEATABLE READ
    both keep one snapshot of the store for all of its reads."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _after_imports(conn: Connection, previous: pd.DataFrame,
                   source: Source) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame] | None:
    """(rows of ``previous`` to keep, new rows, their quantities) when only imports came since
    ``source``, checked against the store; None to compare every pair instead."""
    now = state(conn)
    if source.batches < 0 or now.removed != source.removed or now.batches < source.batches:
        return None
    table = Record.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    quantity = Quantity.__table__  # type: ignore[attr-defined]
    newest = int(previous["version"].max()) if len(previous) else 0
    gone = np.asarray([row[0] for row in conn.execute(
        sa.text("SELECT version FROM record_history WHERE superseded_by > :b"), {"b": source.batches})],
        dtype=np.int64)
    keep = ~np.isin(previous["version"].to_numpy(), gone)
    raw = queries.read_query(conn, queries.frame_query().where(table.c.version > newest), queries.FRAME_READ)
    if len(raw) > MAX_CHANGED_SHARE * max(len(previous), 1):
        return None
    count, versions, batches = conn.execute(sa.text(
        "SELECT count(*), coalesce(sum(version), 0), coalesce(sum(batch_id), 0) FROM records")).one()
    expected = (int(keep.sum()) + len(raw),
                int(previous["version"].to_numpy()[keep].sum()) + int(pd.to_numeric(raw["version"]).sum()),
                int(previous["batch_id"].to_numpy()[keep].sum()) + int(pd.to_numeric(raw["batch_id"]).sum()))
    if (int(count), int(versions), int(batches)) != expected:
        return None  # something other than imports changed the records: compare every pair
    raw_quantities = queries.read_query(conn, queries.quantity_query().where(quantity.c.version > newest),
                                        queries.QUANTITY_FRAME)
    return keep, raw, raw_quantities


def _pairs(engine: Engine) -> tuple[np.ndarray, np.ndarray]:
    """Every stored record's (version, batch id), as two int64 arrays."""
    table = Record.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    query = sa.select(table.c.version, table.c.batch_id)
    path = queries.sqlite_file(engine)
    raw = None
    if path is not None and os.path.getsize(path) >= sqlite_arrow.MIN_BYTES:  # column-wise, in a child
        table_read = sqlite_arrow.read(path, str(query.compile(dialect=engine.dialect)))
        raw = None if table_read is None else table_read.to_pandas()  # type: ignore[attr-defined]
    if raw is None:
        with engine.connect() as conn:
            raw = queries.read_query(conn, query, ("version", "batch_id"))
    return (pd.to_numeric(raw["version"]).to_numpy(dtype=np.int64),
            pd.to_numeric(raw["batch_id"]).to_numpy(dtype=np.int64))


def _compare(previous: pd.DataFrame, held: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of ``previous`` the store still holds as they are, and the versions to read."""
    versions, batches = held
    order = np.argsort(versions, kind="stable")
    versions, batches = versions[order], batches[order]
    old_versions = previous["version"].to_numpy()
    at = np.clip(np.searchsorted(versions, old_versions), 0, max(len(versions) - 1, 0))
    keep = np.zeros(len(old_versions), dtype=bool)
    if len(versions):
        keep = (versions[at] == old_versions) & (batches[at] == previous["batch_id"].to_numpy())
    held_as_is = np.zeros(len(versions), dtype=bool)
    held_as_is[at[keep]] = True
    return keep, versions[~held_as_is]


def _read_versions(conn: Connection, versions: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frame rows and quantities of the records with these versions."""
    table = Record.__table__  # type: ignore[attr-defined]
    quantity = Quantity.__table__  # type: ignore[attr-defined]
    rows, quantities = [], []
    for start in range(0, len(versions), CHUNK):
        part = [int(v) for v in versions[start:start + CHUNK]]
        rows.append(queries.read_query(conn, queries.frame_query().where(table.c.version.in_(part)),
                                       queries.FRAME_READ))
        quantities.append(queries.read_query(conn, queries.quantity_query().where(quantity.c.version.in_(part)),
                                             queries.QUANTITY_FRAME))
    if not rows:
        return (queries.read_query(conn, queries.frame_query().where(sa.false()), queries.FRAME_READ),
                queries.read_query(conn, queries.quantity_query().where(sa.false()), queries.QUANTITY_FRAME))
    return pd.concat(rows, ignore_index=True), pd.concat(quantities, ignore_index=True)


def combine(previous: pd.DataFrame, keep: np.ndarray, added: pd.DataFrame) -> pd.DataFrame:
    """The ``keep`` rows of ``previous`` followed by ``added`` (both full frames), as one frame:
    positions (``rid``) renumbered, quantities carried over, unused categories pruned.
    Each column is written once into its final array (a frame of millions of rows)."""
    columns = {name: _joined(previous[name], keep, added[name]) for name in previous.columns}
    frame = pd.DataFrame(columns, copy=False)
    frame["rid"] = np.arange(len(frame), dtype=np.int32)
    old_quantities = queries.quantities_of(previous).table
    position = np.cumsum(keep) - 1  # the new position of each kept row
    carried = keep[old_quantities["record"].to_numpy()]
    new_quantities = queries.quantities_of(added).table
    records = _joined(pd.Series(position[old_quantities["record"].to_numpy()]), carried,
                      new_quantities["record"] + int(keep.sum()))
    table = pd.DataFrame({"record": records.astype(np.int32),
                          **{name: _joined(old_quantities[name], carried, new_quantities[name])
                             for name in ("item", "kind", "amount", "value_usd")}}, copy=False)
    frame.attrs["quantities"] = queries.Quantities(table, len(frame))
    return frame


def _joined(old: pd.Series, keep: np.ndarray, new: pd.Series) -> Any:
    """The ``keep`` values of ``old`` followed by ``new``: categoricals with the sorted union of
    the categories still in use (as a full read has them), other columns in ``old``'s type."""
    if not isinstance(old.dtype, pd.CategoricalDtype):
        values = old.to_numpy()
        return _compressed(values, keep, new.to_numpy().astype(values.dtype, copy=False))
    new = new if isinstance(new.dtype, pd.CategoricalDtype) else new.astype("category")
    old_labels = [str(c) for c in old.cat.categories]
    new_labels = [str(c) for c in new.cat.categories]
    union = pd.Index(sorted(set(old_labels) | set(new_labels)), dtype=object)
    old_codes = _recode(old.cat.codes.to_numpy(), union.get_indexer(pd.Index(old_labels, dtype=object)))
    codes = _compressed(old_codes, keep,
                        _recode(new.cat.codes.to_numpy(), union.get_indexer(pd.Index(new_labels, dtype=object))))
    used = np.bincount(codes[codes >= 0], minlength=len(union)) > 0  # a full read has no unused category
    if used.all():
        return pd.Categorical.from_codes(codes, categories=union)
    return pd.Categorical.from_codes(_recode(codes, np.cumsum(used) - 1), categories=union[used])


def _compressed(values: np.ndarray, keep: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """``values[keep]`` followed by ``tail``, written straight into one new array."""
    kept = int(keep.sum())
    out = np.empty(kept + len(tail), dtype=values.dtype)
    np.compress(keep, values, out=out[:kept])
    out[kept:] = tail
    return out


def _recode(codes: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """Category codes through ``mapping`` (old code -> new code), -1 (missing) kept, in the
    narrowest integer type that holds them."""
    dtype = np.int16 if len(mapping) < 2**15 else np.int32
    if not len(mapping):  # no categories: every value is missing
        return np.full(len(codes), -1, dtype=dtype)
    if np.array_equal(mapping, np.arange(len(mapping))):
        return codes.astype(dtype, copy=False)  # nothing moves
    return np.where(codes >= 0, mapping[np.maximum(codes, 0)], -1).astype(dtype)
