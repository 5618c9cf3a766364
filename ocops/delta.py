"""Bring an analytic frame up to the store's current data version by reading only what changed.

An import of a few hundred records, or the removal of a batch, changes a few rows of a
frame of millions, and reading every record again costs seconds at 1M records (a minute
or more at 10M). Each stored record row carries a version number, new whenever its values
change and never reused, and a batch id, which a batch removal may hand to another batch
without a new version. So the rows whose (version, batch id) the frame does not hold are
read, the frame rows the store no longer holds are dropped, and the categories no row
uses any more are pruned: the result holds exactly the records of a full read of the same
data version (``tests/test_delta.py`` compares the two after imports and removals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ocops import queries
from ocops.models import Quantity, Record

META = sa.text("SELECT key, value FROM meta WHERE key IN ('data_version', 'store_id')")
MAX_CHANGED_SHARE = 0.2  # more changed rows than this: a full read costs about the same
CHUNK = 20_000  # versions per IN (...) list


@dataclass(frozen=True)
class Source:
    """Which store and data version a frame holds (``frame.attrs["source"]``)."""

    store_id: int
    version: int


def source_of(frame: pd.DataFrame) -> Source | None:
    """The store and data version ``frame`` was read at, if known."""
    found = frame.attrs.get("source")
    return found if isinstance(found, Source) else None


def mark(frame: pd.DataFrame, store_id: int, version: int) -> pd.DataFrame:
    """Record on ``frame`` the store and data version it holds; returns it."""
    frame.attrs["source"] = Source(store_id, version)
    return frame


def refreshed(engine: Engine, previous: pd.DataFrame) -> tuple[int, int, pd.DataFrame] | None:
    """(store id, data version, frame) of the store now, built from ``previous`` (a full frame
    of an earlier version of the same store, with its ``source``); None when a full read is
    the better way (another store, no source, or too much changed)."""
    source = source_of(previous)
    if source is None or "version" not in previous:
        return None
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():  # one snapshot: SQLite's WAL and PostgreSQL both keep it for the transaction
            meta: dict[str, Any] = dict(conn.execute(META).all())
            store_id, version = int(meta.get("store_id", 0)), int(meta["data_version"])
            if store_id != source.store_id:
                return None
            if version == source.version:
                return store_id, version, previous
            held = _pairs(conn)
            keep, wanted = _compare(previous, held)
            if len(wanted) > MAX_CHANGED_SHARE * max(len(held), 1):
                return None
            raw, raw_quantities = _read_versions(conn, wanted)
    added = queries.compact_frame(raw, raw_quantities)
    return store_id, version, mark(combine(previous, keep, added), store_id, version)


def _pairs(conn: Connection) -> pd.DataFrame:
    table = Record.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    return queries.read_query(conn, sa.select(table.c.version, table.c.batch_id), ("version", "batch_id"))


def _compare(previous: pd.DataFrame, held: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of ``previous`` the store still holds as they are, and the versions to read."""
    now = pd.Series(pd.to_numeric(held["batch_id"]).to_numpy(dtype=np.int64),
                    index=pd.to_numeric(held["version"]).to_numpy(dtype=np.int64))
    old_versions = previous["version"].to_numpy()
    current_batch = now.reindex(old_versions).to_numpy()  # NaN: the version is gone
    keep = current_batch == previous["batch_id"].to_numpy()
    kept_versions = old_versions[keep]
    wanted = np.setdiff1d(now.index.to_numpy(), kept_versions, assume_unique=True)
    return keep, wanted


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
    positions (``rid``) renumbered, quantities carried over, unused categories pruned."""
    kept = previous[keep]
    columns: dict[str, Any] = {}
    for name in previous.columns:
        old, new = kept[name], added[name]
        if isinstance(old.dtype, pd.CategoricalDtype):
            columns[name] = _joined(old, new)
        else:
            values = old.to_numpy()
            columns[name] = np.concatenate([values, new.to_numpy().astype(values.dtype, copy=False)])
    frame = pd.DataFrame(columns)
    frame["rid"] = np.arange(len(frame), dtype=np.int32)
    old_quantities = queries.quantities_of(previous).table
    position = np.cumsum(keep) - 1  # the new position of each kept row
    carried = old_quantities[keep[old_quantities["record"].to_numpy()]]
    new_quantities = queries.quantities_of(added).table
    table = pd.DataFrame({
        "record": np.concatenate([position[carried["record"].to_numpy()],
                                  new_quantities["record"].to_numpy() + len(kept)]).astype(np.int32),
        **{name: _joined(carried[name], new_quantities[name]) for name in ("item", "kind", "amount", "value_usd")},
    })
    frame.attrs["quantities"] = queries.Quantities(table, len(frame))
    return frame


def _joined(old: pd.Series, new: pd.Series) -> Any:
    """Two columns one after the other: categoricals with the sorted union of the categories
    still in use (as a full read has them), numbers as float64."""
    if isinstance(old.dtype, pd.CategoricalDtype):
        parts = [_plain_categories(old), _plain_categories(new.astype("category"))]
        union = pd.api.types.union_categoricals(parts, sort_categories=True, ignore_order=True)
        return union.remove_unused_categories()
    return np.concatenate([old.to_numpy(dtype="float64"), new.to_numpy(dtype="float64")])


def _plain_categories(column: pd.Series) -> pd.Categorical:
    """The column as a categorical whose categories are Python strings (a copy read back from
    Parquet and a fresh read from the store may type them differently)."""
    values = pd.Categorical(column)
    return pd.Categorical.from_codes(values.codes, categories=pd.Index([str(c) for c in values.categories],
                                                                        dtype=object))
