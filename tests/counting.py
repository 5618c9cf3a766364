"""Counts what a dashboard rerun computes: selections by filter, views, charts, maps and frame facts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ocops import charts, maps, queries, views
from ocops.geo import CountryIndex


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
