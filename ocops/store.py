"""The store of record: engines, schema upgrades and the data version.

SQLite (default, WAL mode, busy timeout) or PostgreSQL (psycopg 3). The data
version is a counter in the ``meta`` table, bumped by every write, so caches
in any process or replica can tell that their copy is stale.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ocops.config import normalise_database_url
from ocops.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant shared by all replicas: serialises schema upgrades on PostgreSQL.
ADVISORY_LOCK_ID = 0x0C0B5
WRITE_LOCK_ID = 0x0C0B6
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_IMMEDIATE = "ocops_sqlite_immediate"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # Let SQLAlchemy (not pysqlite) open transactions, so that DDL, bulk
    # executemany and temp tables all share one transaction (see _sqlite_begin).
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes SQLite's write lock up front (BEGIN IMMEDIATE, waiting up to
    # the busy timeout): a deferred transaction that read first and writes later
    # fails at once with "database is locked" when another writer got in between.
    immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for an sqlite:/// or postgresql:// URL (no schema work yet)."""
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def describe(engine: Engine) -> str:
    """The store's URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)


def upgrade(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision.

    On PostgreSQL the upgrade holds an advisory lock, so several replicas
    starting at once migrate one after the other instead of racing.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    try:
        with engine.connect() as conn:
            conn.execution_options(**{SQLITE_IMMEDIATE: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
    except OperationalError as exc:
        reason = " ".join(str(exc.orig).split())  # drivers' messages span lines; ours is one
        raise StoreError(
            f"Cannot open the store {describe(engine)}: {reason}. "
            "Check the database URL (--db or OCOPS_DATABASE_URL) and that the server is running."
        ) from exc


def open_store(url: str) -> Engine:
    """An engine on an upgraded store; a store that does not exist is created."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


def data_version(engine: Engine) -> int:
    """The store's data version; it changes whenever records change."""
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'data_version'")).scalar()
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())  # no docs link, one line
        raise StoreError(f"Cannot read the store {describe(engine)}: {reason}") from exc
    return int(value or 0)


def bump_data_version(conn: Connection) -> None:
    """Mark the data as changed, inside the writing transaction."""
    conn.execute(sa.text("UPDATE meta SET value = value + 1 WHERE key = 'data_version'"))


def lock_for_writing(conn: Connection) -> None:
    """Serialise writers; call it first in the writing transaction.

    PostgreSQL: an advisory lock. SQLite: a write that changes nothing takes the
    database's write lock now (waiting up to the busy timeout), before any read,
    so that a concurrent writer cannot make this transaction fail later with
    "database is locked".
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": WRITE_LOCK_ID})
    elif conn.dialect.name == "sqlite":
        conn.execute(sa.text("UPDATE meta SET value = value WHERE key = 'data_version'"))
