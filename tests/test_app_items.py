"""Seized items in the dashboard (AppTest): the Overview's table by item, the sidebar filter and
its link, on a store imported from a file with several quantity columns (figures by hand)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ocops.geo import load_countries
from ocops.importer import Vocabulary, import_bytes
from ocops.ingest.mapping import Mapping
from ocops.store import open_store
from ocops.taxonomy import load_taxonomy
from tests.test_app_pages import _param, _run, _store
from tests.test_quantities import SEIZURES_FILE, SEIZURES_MAPPING

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def seizures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A store holding SEIZURES_FILE imported with its ``quantities`` mapping."""
    url = _store(tmp_path, monkeypatch, load=False)
    engine = open_store(url)
    report = import_bytes(engine, SEIZURES_FILE.encode(), "seizures.csv", Vocabulary(load_countries(), load_taxonomy()),
                          mapping=Mapping.from_data(SEIZURES_MAPPING))
    assert report.imported == 4
    engine.dispose()
    yield url
    st.cache_resource.clear()


def _items(at: AppTest) -> dict[str, dict[str, float]]:
    table = next(d.value for d in at.dataframe if "Seized item" in d.value.columns)
    return table.set_index("Seized item").to_dict("index")


def test_overview_table_by_item_and_the_sidebar_filter(seizures: str) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)
    at.query_params["period"] = "all-time"
    _run(at)
    assert _items(at) == {
        "Cocaine": {"Records": 2, "kg": 150.5, "litres": 0.0, "items": 0.0, "Value (USD)": 2000000.0},
        "Firearms": {"Records": 2, "kg": 0.0, "litres": 0.0, "items": 15.0, "Value (USD)": 0.0},
        "Heroin": {"Records": 1, "kg": 0.5, "litres": 0.0, "items": 0.0, "Value (USD)": 0.0},
        "Other": {"Records": 1, "kg": 0.0, "litres": 0.0, "items": 7.0, "Value (USD)": 0.0},
    }
    at.sidebar.multiselect(key="f_seized_item").set_value(["Firearms", "Other"])
    _run(at)
    cards = {m.label: m.value for m in at.metric}
    assert (cards["Records"], cards["Arrests"], cards["Seizures"]) == ("2", "6", "6")  # rows 1 and 3
    assert list(_items(at)) == ["Firearms", "Other"]
    assert _param(at, "seized_item") == ["Firearms", "Other"]


def test_a_link_with_an_item_filters_and_unknown_items_are_named(seizures: str) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)
    at.query_params["period"] = "all-time"
    at.query_params["seized_item"] = ["cocaine", "unobtainium"]
    _run(at)
    assert at.sidebar.multiselect(key="f_seized_item").value == ["Cocaine"]
    assert _items(at) == {"Cocaine": {"Records": 2, "kg": 150.5, "litres": 0.0, "items": 0.0,
                                      "Value (USD)": 2000000.0}}
    assert [w.value for w in at.warning] == ["Ignored unknown seized item in the link: 'unobtainium'."]
    assert _param(at, "seized_item") == ["Cocaine"]
