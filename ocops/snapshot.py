"""A local copy of the analytic frame per data version (Parquet), shared by processes.

Reading 1M records from the store costs seconds; reading this copy costs a
fraction of one. A copy is named by the store's random id and its data
version, read in the same transaction as the records, so a copy can never
be served for data it does not hold. Copies of older versions are deleted.
Any process (an app replica, the CLI) may write one; nothing breaks if the
folder is not writable: the frame is then simply read from the store.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.queries import attach_quantities, load_frame, quantities_of, read_frame, sqlite_file

META = sa.text("SELECT key, value FROM meta WHERE key IN ('data_version', 'store_id')")


def _path(folder: Path, store_id: int, version: int) -> Path:
    return folder / f"frame-{store_id}-{version}.parquet"


def _quantities_path(folder: Path, store_id: int, version: int) -> Path:
    """The per-quantity companion of a copy (``ocops.queries.Quantities``), written first."""
    return folder / f"quantities-{store_id}-{version}.parquet"


def _identity(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        meta = dict(conn.execute(META).all())
    return int(meta.get("store_id", 0)), int(meta["data_version"])


def _read_consistent(engine: Engine) -> tuple[int, int, pd.DataFrame]:
    """(store id, data version, frame) as of one consistent snapshot of the store.

    An SQLite file is read by a separate (Arrow) connection, so the version is
    read before and after: a write in between shows as a change and the read
    is repeated. PostgreSQL reads both in one REPEATABLE READ transaction.
    """
    if sqlite_file(engine) is not None:
        for _attempt in range(5):
            before = _identity(engine)
            frame = load_frame(engine)
            if _identity(engine) == before:
                return (*before, frame)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            meta = dict(conn.execute(META).all())
            frame = read_frame(conn)
    return int(meta.get("store_id", 0)), int(meta["data_version"]), frame


def _write(folder: Path, store_id: int, version: int, frame: pd.DataFrame) -> None:
    if frame.empty:
        return  # nothing worth a copy, and empty columns would lose their types
    try:
        folder.mkdir(parents=True, exist_ok=True)
        plain = frame.copy(deep=False)
        plain.attrs = {}  # the quantities go to their own file
        parts = ((quantities_of(frame).table, _quantities_path(folder, store_id, version)),
                 (plain, _path(folder, store_id, version)))
        for part, path in parts:
            handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
            os.close(handle)
            part.to_parquet(temporary, index=False)
            os.replace(temporary, path)
        keep = {path.name for _part, path in parts}
        for pattern in (f"frame-{store_id}-*.parquet", f"quantities-{store_id}-*.parquet"):
            for old in folder.glob(pattern):
                if old.name not in keep:
                    old.unlink(missing_ok=True)
    except OSError:
        return  # a read-only or full disk only costs speed


def cached_frame(engine: Engine, folder: Path | None) -> pd.DataFrame:
    """The store's frame at its current data version, from the local copy when there is one."""
    if folder is None:
        return _read_consistent(engine)[2]
    store_id, version = _identity(engine)
    path, quantities = _path(folder, store_id, version), _quantities_path(folder, store_id, version)
    if path.exists() and quantities.exists():
        try:
            return attach_quantities(pd.read_parquet(path), pd.read_parquet(quantities))
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            quantities.unlink(missing_ok=True)
    store_id, version, frame = _read_consistent(engine)
    _write(folder, store_id, version, frame)
    return frame
