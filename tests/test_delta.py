"""A frame brought up to date from the changed records equals a full read, on both stores."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from ocops import delta, queries
from ocops.geo import CountryIndex
from ocops.importer import Vocabulary, import_bytes, remove_batch
from ocops.snapshot import cached_frame
from ocops.store import bump_data_version

HEADER = ("record_id,operation,date,country,city,latitude,longitude,crime_area,arrests,lead_agency,"
          "seized_item,seized_quantity,seized_unit,seized_value_usd\n")
FIRST = HEADER + (
    "1,Op Alpha,2019-03-01,France,Paris,,,Drug trafficking,5,Police A,cocaine,2,kg,1000\n"
    "2,Op Alpha,2019-03-02,Spain,,40.4,-3.7,Drug trafficking,3,Police B,heroin,1.5,kg,\n"
    "3,Op Beta,2019-04-01,Kenya,,,,Environmental crime,7,,ivory,12,items,500\n"
)
SECOND = HEADER + (
    "2,Op Alpha,2019-03-02,Spain,,40.4,-3.7,Drug trafficking,30,Police B,heroin,9,kg,20\n"  # changed
    "3,Op Beta,2019-04-01,Kenya,,,,Environmental crime,7,,ivory,12,items,500\n"  # unchanged
    "4,Op Gamma,2020-01-01,Peru,Lima,,,People smuggling,11,Police C,,,,\n"  # new
)
THIRD = HEADER + "1,Op Alpha,2019-03-01,France,Paris,,,Drug trafficking,5,Police A,cocaine,2,kg,1000\n"


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column but the positions, as plain values, in version order."""
    plain = {name: frame[name].astype(object) if isinstance(frame[name].dtype, pd.CategoricalDtype) else frame[name]
             for name in frame.columns if name != "rid"}
    return pd.DataFrame(plain).sort_values("version").reset_index(drop=True)


def _quantities(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    table = queries.quantities_of(frame).table
    versions = frame["version"].to_numpy()
    return sorted(zip(versions[table["record"].to_numpy()].tolist(), table["item"].astype(str).tolist(),
                      table["kind"].astype(str).tolist(), table["amount"].tolist(), table["value_usd"].tolist(),
                      strict=True))


def assert_same_frame(updated: pd.DataFrame, full: pd.DataFrame, countries: CountryIndex) -> None:
    """Same records, values, quantities, categories and figures."""
    assert list(updated.columns) == list(full.columns)
    pd.testing.assert_frame_equal(_rows(updated), _rows(full), check_dtype=False)
    assert list(updated["rid"]) == list(range(len(updated)))
    for name in full.columns:
        if isinstance(full[name].dtype, pd.CategoricalDtype):
            assert [str(c) for c in updated[name].cat.categories] == [str(c) for c in full[name].cat.categories]
    assert _quantities(updated) == _quantities(full)
    for by in (None, *queries.GROUPINGS):
        assert queries.summary(updated, queries.Filter(), countries, by) == \
            queries.summary(full, queries.Filter(), countries, by)


def _step(engine: Engine, previous: pd.DataFrame, countries: CountryIndex) -> pd.DataFrame:
    found = delta.refreshed(engine, previous)
    assert found is not None, "a small change is read as a change, not in full"
    source, updated = found
    full = cached_frame(engine, None)
    assert delta.source_of(full) == delta.source_of(updated) == source == delta.state(engine)
    assert_same_frame(updated, full, countries)
    return updated


class PairReads:
    """Counts how often every stored (version, batch id) pair is read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = delta._pairs

        def counted(engine: Engine) -> tuple[object, object]:
            self.count += 1
            return real(engine)

        monkeypatch.setattr(delta, "_pairs", counted)


def test_imports_and_removals_read_only_what_changed(engine: Engine, vocabulary: Vocabulary,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delta, "MAX_CHANGED_SHARE", 1.0)  # a tiny store: every step changes a large share
    pairs = PairReads(monkeypatch)
    countries = vocabulary.countries
    first = import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    frame = cached_frame(engine, None)
    second = import_bytes(engine, SECOND.encode(), "second.csv", vocabulary)
    frame = _step(engine, frame, countries)  # one record changed, one new, one unchanged
    assert queries.totals(frame)["arrests"] == 5 + 30 + 7 + 11
    assert pairs.count == 0  # after imports only: the new versions and what they superseded
    import_bytes(engine, SECOND.encode(), "again.csv", vocabulary)  # nothing changes but the version
    frame = _step(engine, frame, countries)
    assert pairs.count == 0
    remove_batch(engine, second.batch_id)  # type: ignore[arg-type]
    frame = _step(engine, frame, countries)  # the values stay, held by the same file imported again
    assert pairs.count == 1  # a removal: every pair is compared
    assert queries.totals(frame)["arrests"] == 5 + 30 + 7 + 11
    assert sorted(frame["batch_id"].tolist()) == [1, 1, 3, 3]  # handed to the later batch, same versions
    import_bytes(engine, THIRD.encode(), "third.csv", vocabulary)
    remove_batch(engine, first.batch_id)  # type: ignore[arg-type]
    frame = _step(engine, frame, countries)  # record 1 passes to the third batch: same version, new batch id
    assert sorted(frame["batch_id"].tolist()) == [3, 3, 3, 4]
    assert pairs.count == 2
    assert delta.refreshed(engine, frame) == (delta.source_of(frame), frame)


def test_a_change_behind_the_importer_is_found_by_the_checksum(engine: Engine, vocabulary: Vocabulary,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Records changed by anything but an import (here by hand, with the data version bumped) are
    not taken on trust: the checksum disagrees and every pair is compared."""
    monkeypatch.setattr(delta, "MAX_CHANGED_SHARE", 1.0)
    pairs = PairReads(monkeypatch)
    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    frame = cached_frame(engine, None)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM records WHERE arrests = 3")
        bump_data_version(conn)
    _step(engine, frame, vocabulary.countries)
    assert pairs.count == 1


def test_a_large_change_or_another_store_is_read_in_full(engine: Engine, vocabulary: Vocabulary) -> None:
    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    frame = cached_frame(engine, None)
    import_bytes(engine, SECOND.encode(), "second.csv", vocabulary)
    assert delta.refreshed(engine, frame) is None  # 2 of 4 records changed: more than MAX_CHANGED_SHARE
    stranger = frame.copy()
    stranger.attrs["source"] = delta.Source(store_id=-1, version=1)
    assert delta.refreshed(engine, stranger) is None
    unmarked = frame.copy()
    unmarked.attrs.pop("source")
    assert delta.refreshed(engine, unmarked) is None


def test_an_undone_change_brings_the_old_version_back(engine: Engine, vocabulary: Vocabulary,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delta, "MAX_CHANGED_SHARE", 1.0)
    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    frame = cached_frame(engine, None)
    second = import_bytes(engine, SECOND.encode(), "second.csv", vocabulary)
    frame = _step(engine, frame, vocabulary.countries)
    remove_batch(engine, second.batch_id)  # type: ignore[arg-type]
    frame = _step(engine, frame, vocabulary.countries)  # record 2's first values return, record 4 is gone
    assert queries.totals(frame)["arrests"] == 5 + 3 + 7
    assert sorted(frame["batch_id"].tolist()) == [1, 1, 1]
