"""The store of record: migrations to head, idempotent upgrades, no schema drift,
concurrent start-up, the data version and SQLite's WAL mode."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import ocops.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from ocops.importer import Vocabulary, import_bytes, import_path, remove_batch
from ocops.store import MIGRATIONS_DIR, data_version, open_store

FIXTURE = Path(__file__).parent / "fixtures" / "core_operations.csv"
TABLES = {"batches", "records", "record_history", "quantities", "record_batches", "presets", "meta", "alembic_version",
          "audit_log"}


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_empty_store_is_migrated_to_head(engine: Engine) -> None:
    assert _head() == "0004"
    assert _revision(engine) == "0004"
    assert TABLES <= set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        meta = dict(conn.execute(sa.text("SELECT key, value FROM meta")).all())
        assert meta["data_version"] == 0 and set(meta) == {"data_version", "store_id", "key_rule", "next_version"}
        assert 0 < meta["store_id"] < 2**31


def test_upgrading_twice_changes_nothing(store_url: str) -> None:
    first = open_store(store_url)
    second = open_store(store_url)
    try:
        assert _revision(second) == "0004"
        with second.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM meta")).scalar() == 4
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert data_version(second) == 0
    finally:
        first.dispose()
        second.dispose()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def _open_and_read(url: str) -> int:
    engine = open_store(url)
    try:
        return data_version(engine)
    finally:
        engine.dispose()


def test_concurrent_start_up_on_a_fresh_store_all_succeed(store_url: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(_open_and_read, [store_url] * 8))
    assert versions == [0] * 8
    engine = open_store(store_url)
    try:
        assert _revision(engine) == "0004"
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM meta")).scalar() == 4
    finally:
        engine.dispose()


def test_concurrent_start_up_from_several_processes(store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        versions = list(pool.map(_open_and_read, [store_url] * 4))
    assert versions == [0, 0, 0, 0]


def test_data_version_rises_on_import_and_on_remove_batch(engine: Engine, vocabulary: Vocabulary) -> None:
    assert data_version(engine) == 0
    report = import_path(engine, FIXTURE, vocabulary)
    after_import = data_version(engine)
    assert after_import > 0
    again = import_path(engine, FIXTURE, vocabulary)  # same rows: nothing changes
    assert again.unchanged == 18
    assert report.batch_id is not None
    remove_batch(engine, report.batch_id)
    assert data_version(engine) > after_import


def test_sqlite_store_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'new' / 'ocops.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert (tmp_path / "new" / "ocops.db").is_file()
    finally:
        engine.dispose()


def test_concurrent_imports_all_land(engine: Engine, vocabulary: Vocabulary) -> None:
    """Writers from several threads (app sessions, a CLI) queue up instead of failing."""
    text = FIXTURE.read_text(encoding="utf-8")

    def load(worker: int) -> int:
        data = text.replace("CORE-", f"W{worker}-").encode()
        return import_bytes(engine, data, f"w{worker}.csv", vocabulary).imported

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(load, range(4))) == [18, 18, 18, 18]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM records")).scalar() == 72
        assert conn.execute(sa.text("SELECT count(*) FROM batches")).scalar() == 4
