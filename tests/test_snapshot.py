"""The local frame copy: named by store id and data version, never stale."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from ocops import queries
from ocops.importer import Vocabulary, import_bytes, remove_batch
from ocops.snapshot import FORMAT_VERSION, cached_frame
from ocops.store import open_store

HEADER = "operation,date,country,crime_area,arrests,seized_quantity,seized_unit\n"
FIRST = HEADER + "Op A,2019-03-01,France,Drug trafficking,5,2,kg\nOp B,2019-04-01,KEN,Wildlife,7,,\n"
SECOND = HEADER + "Op C,2020-01-01,Peru,People smuggling,11,,\n"
# The frame's columns and types per cache format: a change of the frame (ocops.queries.compact_frame)
# fails here until FORMAT_VERSION is bumped and the new format's schema is added.
FORMATS = {1: {
    "date": "datetime64[s]", "country": "category", "crime_area": "category", "operation": "category",
    "arrests": "int64", "seizures": "int64", "victims_rescued": "int64", "seized_value_usd": "float64",
    "batch_id": "int64", "seized_kg": "float64", "seized_l": "float64", "seized_items": "float64", "month": "int32",
    "latitude": "float64", "longitude": "float64", "city": "category", "end_date": "datetime64[s]",
    "lead_agency": "category",
}, 2: {
    "date": "datetime64[s]", "country": "category", "crime_area": "category", "operation": "category",
    "arrests": "int64", "seizures": "int64", "victims_rescued": "int64", "batch_id": "int64", "rid": "int32",
    "seized_value_usd": "float64", "seized_kg": "float64", "seized_l": "float64", "seized_items": "float64",
    "month": "int32", "latitude": "float64", "longitude": "float64", "city": "category", "end_date": "datetime64[s]",
    "lead_agency": "category",
}, 3: {
    "date": "datetime64[s]", "country": "category", "crime_area": "category", "operation": "category",
    "arrests": "int64", "seizures": "int64", "victims_rescued": "int64", "batch_id": "int64", "rid": "int32",
    "version": "int64", "seized_value_usd": "float64", "seized_kg": "float64", "seized_l": "float64",
    "seized_items": "float64", "month": "int32", "latitude": "float64", "longitude": "float64", "city": "category",
    "end_date": "datetime64[s]", "lead_agency": "category",
}}


def _arrests(frame: pd.DataFrame) -> int:
    return int(queries.totals(frame)["arrests"])


def test_copy_follows_every_change(engine: Engine, vocabulary: Vocabulary, tmp_path: Path) -> None:
    assert _arrests(cached_frame(engine, tmp_path)) == 0
    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    first = cached_frame(engine, tmp_path)
    assert _arrests(first) == 12 and queries.totals(first)["seized_kg"] == 2
    files = sorted(p.name for p in tmp_path.glob("frame-*.parquet"))
    assert len(files) == 1
    again = cached_frame(engine, tmp_path)  # read back from the copy
    assert _arrests(again) == 12
    assert list(again["country"].cat.categories) == ["FRA", "KEN"]
    report = import_bytes(engine, SECOND.encode(), "second.csv", vocabulary)
    assert _arrests(cached_frame(engine, tmp_path)) == 23
    remove_batch(engine, report.batch_id)  # type: ignore[arg-type]
    assert _arrests(cached_frame(engine, tmp_path)) == 12
    assert len(list(tmp_path.glob("*.parquet"))) == 2  # older versions (frame and quantities) are deleted


def test_two_stores_never_share_a_copy(store_url: str, vocabulary: Vocabulary, tmp_path: Path) -> None:
    one = open_store(store_url)
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    import_bytes(one, FIRST.encode(), "first.csv", vocabulary)
    import_bytes(other, SECOND.encode(), "second.csv", vocabulary)  # same data version, other data
    assert _arrests(cached_frame(one, tmp_path)) == 12
    assert _arrests(cached_frame(other, tmp_path)) == 11
    one.dispose()
    other.dispose()


def test_a_broken_copy_is_replaced_and_no_folder_means_no_copy(engine: Engine, vocabulary: Vocabulary,
                                                                tmp_path: Path) -> None:
    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    cached_frame(engine, tmp_path)
    (copy,) = tmp_path.glob("frame-*.parquet")
    copy.write_bytes(b"not parquet")
    assert _arrests(cached_frame(engine, tmp_path)) == 12
    assert _arrests(cached_frame(engine, None)) == 12


def test_child_arrow_reader_gives_the_same_frame(tmp_path: Path, vocabulary: Vocabulary,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Large SQLite stores are read by the ADBC driver in a child process: same figures."""
    from ocops import sqlite_arrow

    engine = open_store(f"sqlite:///{tmp_path / 'big.db'}")
    import_bytes(engine, (FIRST + SECOND.split("\n", 1)[1]).encode(), "both.csv", vocabulary)
    slow = queries.load_frame(engine)
    monkeypatch.setattr(sqlite_arrow, "MIN_BYTES", 0)
    fast = queries.load_frame(engine)
    assert queries.totals(fast) == queries.totals(slow) == {
        "records": 3, "operations": 3, "countries": 3, "arrests": 23, "seizures": 0, "victims_rescued": 0,
        "seized_value_usd": 0.0, "seized_kg": 2.0, "seized_l": 0.0, "seized_items": 0}
    assert list(fast["country"].cat.categories) == ["FRA", "KEN", "PER"]
    assert fast["date"].dtype == slow["date"].dtype
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False, check_categorical=False)  # dates parsed by Arrow too
    assert sqlite_arrow.read(str(tmp_path / "big.db"), "SELECT count(*) AS n FROM records").to_pylist() == [{"n": 3}]
    engine.dispose()


def test_a_failing_child_reader_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The fast reader's failure is a logged warning with the child's reason, not a silent fallback."""
    from ocops import sqlite_arrow

    path = str(tmp_path / "missing" / "none.db")
    with caplog.at_level("WARNING", logger="ocops.sqlite_arrow"):
        assert sqlite_arrow.read(path, "SELECT 1") is None
    (record,) = caplog.records
    assert record.getMessage().startswith(f"The fast SQLite reader (ADBC, in a child process) failed on {path}: ")
    assert record.getMessage().endswith(". Reading through SQLAlchemy instead, which is several times slower.")
    assert "Traceback" not in record.getMessage()


def _meta(engine: Engine) -> tuple[int, int]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        meta = dict(conn.execute(sa.text("SELECT key, value FROM meta")).all())
    return int(meta["store_id"]), int(meta["data_version"])


def test_the_frame_schema_is_that_of_the_cache_format(engine: Engine, vocabulary: Vocabulary) -> None:
    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    assert {name: str(dtype) for name, dtype in queries.load_frame(engine).dtypes.items()} == FORMATS[FORMAT_VERSION]


def test_a_copy_written_by_another_format_is_never_served(engine: Engine, vocabulary: Vocabulary,
                                                          tmp_path: Path) -> None:
    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    store_id, version = _meta(engine)
    stale = queries.load_frame(engine).assign(arrests=999)  # what older code might have written
    stale.attrs = {}
    for name in (f"frame-{store_id}-{version}.parquet", f"frame-v{FORMAT_VERSION + 1}-{store_id}-{version}.parquet"):
        stale.to_parquet(tmp_path / name, index=False)
    assert _arrests(cached_frame(engine, tmp_path)) == 12
    assert (tmp_path / f"frame-v{FORMAT_VERSION}-{store_id}-{version}.parquet").is_file()
    assert (tmp_path / f"frame-{store_id}-{version}.parquet").is_file()  # left to the code that wrote it


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o002, 0o664), (0o022, 0o644), (0o077, 0o600)])
def test_copies_follow_the_umask_so_replicas_of_one_group_can_share_them(
        engine: Engine, vocabulary: Vocabulary, tmp_path: Path, umask: None, mask: int, mode: int) -> None:
    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    os.umask(mask)
    cached_frame(engine, tmp_path / "shared")
    copies = sorted((tmp_path / "shared").iterdir())  # no temporary file left behind
    assert [c.name.split("-")[:2] for c in copies] == [["frame", f"v{FORMAT_VERSION}"], ["quantities", f"v{FORMAT_VERSION}"]]
    assert all(c.stat().st_mode & 0o777 == mode for c in copies)


def test_summary_reads_only_its_columns_of_a_copy_and_gives_the_same_figures(
        engine: Engine, vocabulary: Vocabulary, tmp_path: Path) -> None:
    import_bytes(engine, (FIRST + SECOND.split("\n", 1)[1]).encode(), "both.csv", vocabulary)
    whole = cached_frame(engine, tmp_path)  # writes the copy
    countries = vocabulary.countries
    lean = cached_frame(engine, tmp_path, columns=queries.SUMMARY_COLUMNS, quantities_needed=False)
    assert list(lean.columns) == list(queries.SUMMARY_COLUMNS)
    for by in (None, "region", "crime_area", "country", "month", "operation"):
        assert queries.summary(lean, queries.Filter(), countries, by) == \
            queries.summary(whole, queries.Filter(), countries, by)
    with_items = cached_frame(engine, tmp_path, columns=queries.SUMMARY_COLUMNS)
    assert queries.summary(with_items, queries.Filter(), countries, "seized_item") == \
        queries.summary(whole, queries.Filter(), countries, "seized_item")


def test_a_late_writer_of_an_older_version_never_deletes_a_newer_copy(
        engine: Engine, vocabulary: Vocabulary, tmp_path: Path) -> None:
    """Two background writers may finish out of order; stale temporary files of a killed writer go."""
    from ocops import delta, snapshot

    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    older = cached_frame(engine, None)
    first = delta.source_of(older)
    import_bytes(engine, SECOND.encode(), "second.csv", vocabulary)
    newer = cached_frame(engine, tmp_path)  # the copy of the newer version
    stale = tmp_path / ".frame-1-dead.tmp"
    stale.write_bytes(b"left by a killed writer")
    os.utime(stale, (0, 0))
    snapshot._write(tmp_path, first.store_id, first.version, older)  # type: ignore[union-attr]  # finishes last
    names = sorted(p.name for p in tmp_path.iterdir())
    version = delta.source_of(newer).version  # type: ignore[union-attr]
    assert f"frame-v{FORMAT_VERSION}-{first.store_id}-{version}.parquet" in names  # type: ignore[union-attr]
    assert not stale.exists()
    assert _arrests(cached_frame(engine, tmp_path)) == 23
