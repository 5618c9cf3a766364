"""A frame brought up to date from the changed records equals a full read, on both stores."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from ocops import delta, queries
from ocops.geo import CountryIndex
from ocops.importer import Vocabulary, import_bytes, remove_batch
from ocops.snapshot import cached_frame

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
    store_id, version, updated = found
    full = cached_frame(engine, None)
    assert delta.source_of(full) == delta.source_of(updated) == delta.Source(store_id, version)
    assert_same_frame(updated, full, countries)
    return updated


def test_imports_and_removals_read_only_what_changed(engine: Engine, vocabulary: Vocabulary,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delta, "MAX_CHANGED_SHARE", 1.0)  # a tiny store: every step changes a large share
    countries = vocabulary.countries
    first = import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    frame = cached_frame(engine, None)
    second = import_bytes(engine, SECOND.encode(), "second.csv", vocabulary)
    frame = _step(engine, frame, countries)  # one record changed, one new, one unchanged
    assert queries.totals(frame)["arrests"] == 5 + 30 + 7 + 11
    remove_batch(engine, second.batch_id)  # type: ignore[arg-type]
    frame = _step(engine, frame, countries)  # the change undone (its old version is back), the new one gone
    assert queries.totals(frame)["arrests"] == 5 + 3 + 7
    import_bytes(engine, THIRD.encode(), "third.csv", vocabulary)
    remove_batch(engine, first.batch_id)  # type: ignore[arg-type]
    frame = _step(engine, frame, countries)  # record 1 passes to the third batch: same version, new batch id
    assert sorted(frame["batch_id"].tolist()) == [3]
    assert delta.refreshed(engine, frame) == (delta.source_of(frame).store_id,  # type: ignore[union-attr]
                                              delta.source_of(frame).version, frame)  # type: ignore[union-attr]


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
