"""A local copy of the analytic frame per data version (Parquet), shared by processes.

Reading 1M records from the store costs seconds; reading this copy costs a
fraction of one. A copy is named by the store's random id and its data
version, read in the same transaction as the records, so a copy can never
be served for data it does not hold. Copies of older versions are deleted.
Any process (an app replica, the CLI) may write one; nothing breaks if the
folder is not writable: the frame is then simply read from the store.

The name also carries :data:`FORMAT_VERSION`, so a copy written by older code
(other columns or types) is never served after an upgrade; a replica still on
the older code keeps using its own copies. Copies are created with the
process's umask (like any file it writes), so replicas running as other users
of one group can share the folder (e.g. ``umask 002`` and a setgid folder).
The folder is ``Settings.cache_dir``: ``OCOPS_CACHE_DIR``, by default
``$XDG_CACHE_HOME/ocops`` (``~/.cache/ocops``).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from ocops import delta
from ocops.queries import attach_quantities, load_frame, quantities_of, read_frame, sqlite_file

# Bump whenever the frame's columns or types change (ocops.queries.compact_frame), so
# copies written by older code are never read; tests/test_snapshot.py pins the schema.
FORMAT_VERSION = 3  # 2: the record id column (rid) and the quantities companion file; 3: version
DTYPES = "ocops_dtypes"  # the frame's column types, kept in the copy (Parquet loses some of them)


def _path(folder: Path, store_id: int, version: int) -> Path:
    return folder / f"frame-v{FORMAT_VERSION}-{store_id}-{version}.parquet"


def _quantities_path(folder: Path, store_id: int, version: int) -> Path:
    """The per-quantity companion of a copy (``ocops.queries.Quantities``), written first."""
    return folder / f"quantities-v{FORMAT_VERSION}-{store_id}-{version}.parquet"


def _read_consistent(engine: Engine) -> tuple[delta.Source, pd.DataFrame]:
    """(source, frame) as of one consistent snapshot of the store.

    An SQLite file is read by a separate (Arrow) connection, so the version is
    read before and after: a write in between shows as a change and the read
    is repeated. PostgreSQL reads both in one REPEATABLE READ transaction.
    """
    if sqlite_file(engine) is not None:
        for _attempt in range(5):
            before = delta.state(engine)
            frame = load_frame(engine)
            if delta.state(engine) == before:
                return before, frame
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            source = delta.state(conn)
            frame = read_frame(conn)
    return source, frame


def _fresh(engine: Engine, previous: pd.DataFrame | None) -> tuple[delta.Source, pd.DataFrame]:
    """(source, frame) read from the store: the changes since ``previous`` when that is the
    cheaper way, else every record."""
    found = delta.refreshed(engine, previous) if previous is not None else None
    if found is None:
        source, frame = _read_consistent(engine)
        found = source, delta.mark(frame, source)
    return found


WRITER = "ocops-frame-copy"  # the name of the background threads that write copies


def wait_for_copies(timeout: float = 60) -> None:
    """Wait until the copies being written in the background are written (e.g. before the
    folder is removed); returns after ``timeout`` seconds whatever happens."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name == WRITER:
            thread.join(max(deadline - time.monotonic(), 0))


def _write(folder: Path, store_id: int, version: int, frame: pd.DataFrame) -> None:
    if frame.empty:
        return  # nothing worth a copy, and empty columns would lose their types
    try:
        folder.mkdir(parents=True, exist_ok=True)
        plain = frame.copy(deep=False)
        plain.attrs = {}  # the quantities go to their own file, written first
        parts = ((quantities_of(frame).table, _quantities_path(folder, store_id, version)),
                 (plain, _path(folder, store_id, version)))
        for part, path in parts:
            # A unique name opened like any other file (mode 0666 less the umask), not mkstemp's 0600.
            temporary = folder / f".frame-{os.getpid()}-{secrets.token_hex(8)}.tmp"
            try:
                typed = part.copy(deep=False)
                typed.attrs = {DTYPES: {name: _spec(dtype) for name, dtype in part.dtypes.items()}}
                typed.to_parquet(temporary, index=False)
                os.replace(temporary, path)
            finally:
                temporary.unlink(missing_ok=True)
        _forget_older(folder, store_id, version)
    except OSError:
        return  # a read-only or full disk only costs speed


def _forget_older(folder: Path, store_id: int, version: int) -> None:
    """Delete this store's copies of versions older than ``version`` (never a newer one: two
    writers may finish out of order), and temporary files a killed writer left an hour ago."""
    for pattern in (f"frame-v{FORMAT_VERSION}-{store_id}-*.parquet",
                    f"quantities-v{FORMAT_VERSION}-{store_id}-*.parquet"):
        for old in folder.glob(pattern):
            written = old.stem.rsplit("-", 1)[-1]
            if written.isdigit() and int(written) < version:
                old.unlink(missing_ok=True)
    stale = time.time() - 3600
    for temporary in folder.glob(".frame-*.tmp"):
        try:
            if temporary.stat().st_mtime < stale:
                temporary.unlink(missing_ok=True)
        except OSError:
            continue


def _spec(dtype: object) -> str:
    """A column type as text, with the type of a categorical's categories."""
    if isinstance(dtype, pd.CategoricalDtype):
        return f"category[{dtype.categories.dtype}]"
    return str(dtype)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy read back with the column types the frame had (an all-empty categorical comes
    back from Parquet as float64, seconds as milliseconds); ValueError for a copy without them."""
    dtypes = frame.attrs.pop(DTYPES, None)
    if not isinstance(dtypes, dict) or not set(frame.columns) <= set(dtypes):
        raise ValueError("a frame copy without its column types")
    for name, spec in dtypes.items():
        if name not in frame:
            continue  # a column the caller did not ask for
        column = frame[name]
        if _spec(column.dtype) == spec:
            continue
        if spec.startswith("category["):
            column = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
            categories = column.cat.categories.astype(spec.removeprefix("category[").removesuffix("]"))
            frame[name] = column.cat.set_categories(categories)
        else:
            frame[name] = column.astype(spec)
    return frame


def cached_frame(engine: Engine, folder: Path | None, write_in_background: bool = False,
                 previous: pd.DataFrame | None = None, columns: Sequence[str] | None = None,
                 quantities_needed: bool = True) -> pd.DataFrame:
    """The store's frame at its current data version: from the local copy when there is one,
    else brought up to date from ``previous`` (a frame of an earlier version of this store:
    only the changed records are read, ``ocops.delta``), else read whole.

    A frame read from the store is written as the copy for the next process; with
    ``write_in_background`` (the dashboard) that happens in a thread after the frame is
    returned, so the first rerun after a data change does not wait for it. ``columns``
    (and ``quantities_needed=False``: figures of no seized item) let a one-off reader such
    as the CLI's ``summary`` read less of a copy; a frame read from the store is whole."""
    if folder is None:
        return _fresh(engine, previous)[1]
    now = delta.state(engine)
    store_id, version = now.store_id, now.version
    path, quantities = _path(folder, store_id, version), _quantities_path(folder, store_id, version)
    if path.exists() and quantities.exists():
        try:
            frame = _typed(pd.read_parquet(path, columns=None if columns is None else list(columns)))
            if not quantities_needed:
                return frame  # no companion: quantities_of() gives an empty one
            frame = attach_quantities(frame, _typed(pd.read_parquet(quantities)))
            return frame if columns is not None else delta.mark(frame, now)
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            quantities.unlink(missing_ok=True)
    source, frame = _fresh(engine, previous)
    store_id, version = source.store_id, source.version
    if write_in_background:  # not a daemon: an exiting process finishes the copy first
        threading.Thread(target=_write, args=(folder, store_id, version, frame), name=WRITER).start()
    else:
        _write(folder, store_id, version, frame)
    return frame
