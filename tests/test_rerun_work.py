"""What a rerun computes (issue 15, target 4), counted on every dashboard page.

A filter change selects the records of the new filter once (plus once for the period
it is compared with), however many figures the page shows; a rerun that changes
nothing (a click elsewhere, a widget that does not touch the figures) selects nothing
and computes no view, chart, map or frame fact again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from ocops.importer import Vocabulary
from tests.counting import Calls

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("pages/overview.py", "pages/timeline.py", "pages/breakdown.py", "pages/operations.py", "pages/map.py")


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


def test_selections_are_shared_and_hold_at_most_a_frame_of_rows(engine: Engine, vocabulary: Vocabulary) -> None:
    from ocops import queries
    from ocops.importer import import_bytes
    from ocops.snapshot import cached_frame
    from tests.test_delta import FIRST, SECOND

    import_bytes(engine, FIRST.encode(), "first.csv", vocabulary)
    import_bytes(engine, SECOND.encode(), "second.csv", vocabulary)
    frame = cached_frame(engine, None)  # 4 records: France, Spain, Kenya, Peru
    countries = vocabulary.countries
    europe = queries.Filter(regions=("Europe",))
    first = queries.select(frame, europe, countries)
    assert queries.select(frame, europe, countries) is first  # the same filter selects once
    assert queries.select(frame, queries.Filter(), countries) is frame  # everything: the frame itself
    queries.select(frame, queries.Filter(countries=("KEN", "PER")), countries)  # 2 + 2 rows: still within 4
    assert queries.select(frame, europe, countries) is first
    queries.select(frame, queries.Filter(countries=("KEN", "PER", "ESP")), countries)  # 2 + 2 + 3 > 4 rows
    assert queries.select(frame, europe, countries) is not first  # the oldest was let go
