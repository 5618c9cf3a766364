"""What a rerun computes (issue 15, target 4), counted on every dashboard page.

A filter change selects the records of the new filter once (plus once for the period
it is compared with), however many figures the page shows; a rerun that changes
nothing (a click elsewhere, a widget that does not touch the figures) selects nothing
and computes no view, chart, map or frame fact again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ocops import charts, maps, queries, views
from ocops.geo import CountryIndex
from tests.test_app_pages import _store

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("pages/overview.py", "pages/timeline.py", "pages/breakdown.py", "pages/operations.py", "pages/map.py")


class Calls:
    """Counts the selections (by filter) and the view, map and frame-fact computations (by what they show)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.selections: Counter[queries.Filter] = Counter()
        self.computed: Counter[str] = Counter()
        real_select = queries._select

        def counting_select(frame: Any, flt: queries.Filter, countries: Any) -> Any:
            self.selections[flt] += 1
            return real_select(frame, flt, countries)

        monkeypatch.setattr(queries, "_select", counting_select)
        for module, names in ((views, ("kpis", "items_table", "time_series", "totals_by", "latest_operations",
                                       "crosstab", "share_table", "period_comparison", "operations_table",
                                       "by_country", "gantt", "map_points", "items_across", "frame_facts")),
                              (maps, ("choropleth", "world_map", "operations_in")),
                              (charts, ("monthly_line", "horizontal_bars", "stacked_bars", "gantt", "heatmap",
                                        "item_bars"))):
            for name in names:
                monkeypatch.setattr(module, name, self._counting(module, name))

    def _counting(self, module: Any, name: str) -> Any:
        real = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:  # keyed by what it shows: no frame, table or index
            shown = ", ".join(repr(a) for a in (*args, *kwargs.values())
                              if not hasattr(a, "shape") and not isinstance(a, CountryIndex))
            self.computed[f"{module.__name__}.{name}({shown})"] += 1
            return real(*args, **kwargs)

        return counted

    def reset(self) -> None:
        """Start counting afresh."""
        self.selections.clear()
        self.computed.clear()


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """The fixture store, with every computation counted."""
    _store(tmp_path, monkeypatch, load=True)
    yield Calls(monkeypatch)
    st.cache_resource.clear()


def _run(at: AppTest) -> None:
    at.run(timeout=30)
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_a_filter_change_selects_once_and_an_unchanged_rerun_computes_nothing(calls: Calls, page: str) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)
    _run(at)
    at.switch_page(page)
    _run(at)
    assert calls.computed, "the page computed nothing: the counting missed its views"

    calls.reset()
    at.multiselect("f_region").set_value(["Europe"])
    _run(at)
    europe = next(f for f in calls.selections if f.regions == ("Europe",) and not f.operations)
    assert calls.selections[europe] == 1, calls.selections
    assert all(count == 1 for count in calls.selections.values()), calls.selections
    assert calls.computed, "a filter change must compute the page's figures"
    assert all(count == 1 for count in calls.computed.values()), calls.computed

    calls.reset()
    _run(at)  # nothing changed
    assert not calls.selections, calls.selections
    assert not calls.computed, calls.computed


def test_changing_back_to_a_filter_recomputes_nothing(calls: Calls) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)
    _run(at)
    at.multiselect("f_crime_area").set_value(["Drug trafficking"])
    _run(at)
    at.multiselect("f_crime_area").set_value([])
    calls.reset()
    _run(at)
    assert not calls.computed, calls.computed
    assert not calls.selections, calls.selections
