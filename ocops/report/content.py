"""What a briefing says: every figure from the query layer, plus where the figures come from.

Nothing here draws or formats a page; ``ocops.report.html`` does. The figures are the
ones the dashboard pages show for the same :class:`~ocops.queries.Filter`
(``ocops.views`` / ``ocops.queries``), so a briefing and the screen agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from ocops import links, maps, queries, views
from ocops.geo import CountryIndex
from ocops.importer import SAMPLE_BATCH, list_batches
from ocops.queries import Filter
from ocops.store import data_version
from ocops.views import _minutes as minutes  # the one spelling of a time in the dashboard

TOP_OPERATIONS = 10
MAP_MEASURE = "arrests"
ALL_RECORDS = "All records"
UNITS = {"seized_kg": "kg", "seized_l": "litres", "seized_items": "items"}


@dataclass(frozen=True)
class Provenance:
    """Who asks and what the store holds: the parts of a briefing that are not figures."""

    generated_by: str
    data_version: int
    batches: Sequence[Mapping[str, Any]]  # importer.list_batches(engine)
    marking: str = ""
    scope: str = ALL_RECORDS
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def provenance(engine: Engine, generated_by: str, marking: str = "", scope: str = ALL_RECORDS) -> Provenance:
    """The provenance of a briefing built now from ``engine``'s store."""
    return Provenance(generated_by, data_version(engine), list_batches(engine), marking, scope)


@dataclass(frozen=True)
class QuantityRow:
    """One line of the seized-quantities section."""

    label: str
    value: float
    unit: str


@dataclass(frozen=True)
class Briefing:
    """Everything one briefing shows, in the order it shows it."""

    provenance: Provenance
    filter_words: str
    period: str
    comparison: str
    last_import: str | None
    records: int
    kpis: list[views.Kpi]
    quantities: list[QuantityRow]
    monthly: pd.DataFrame  # views.time_series (period, stack, value) of MAP_MEASURE
    by_region: pd.DataFrame  # views.totals_by region
    by_crime_area: pd.DataFrame
    by_country: pd.DataFrame  # maps.country_table (iso3, name, region, measures)
    top_operations: pd.DataFrame
    sources: pd.DataFrame  # batch_id, file, imported_at, user, records, comparison_records
    sample_in_figures: bool


def quantity_rows(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> list[QuantityRow]:
    """The seized quantities section: the total of each kind (kg, litres, items), then each seized
    item's quantities of every kind it has (largest value first, as the Overview's table)."""
    totals = queries.totals(queries.select(frame, flt, countries))
    rows = [QuantityRow(views.MEASURE_LABELS[m], totals[m], UNITS[m]) for m in views.QUANTITY_MEASURES]
    for item in views.items_table(frame, flt, countries).to_dict("records"):
        rows += [QuantityRow(f"{item['key']}", float(item[m]), UNITS[m])
                 for m in views.QUANTITY_MEASURES if item[m]]
    return rows


def top_operations(frame: pd.DataFrame, flt: Filter, countries: CountryIndex,
                   limit: int = TOP_OPERATIONS) -> pd.DataFrame:
    """The operations with the most arrests (then seizures, then name) under the filter.

    The top is chosen on the per-operation totals first, so the descriptive columns
    (dates, countries, crime areas) are built for those operations only, not for thousands."""
    order = (["arrests", "seizures", "key"], [False, False, True])
    totals = views.totals_by(frame, flt, countries, "operation")
    top = tuple(totals.sort_values(order[0], ascending=order[1], kind="stable").head(limit)["key"])
    if not top:  # nothing selected (an empty operations filter would mean "all")
        return views.operations_table(frame, flt, countries)
    table = views.operations_table(frame, replace(flt, operations=top), countries)
    return table.sort_values(["arrests", "seizures", "operation"], ascending=order[1],
                             kind="stable").reset_index(drop=True)


def sources(frame: pd.DataFrame, flt: Filter, countries: CountryIndex,
            batches: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The batches (files) the figures come from: records each gives to the period and to the
    comparison period; batches giving neither are left out."""
    def per_batch(selection: Filter | None) -> dict[int, int]:
        if selection is None:
            return {}
        ids = queries.select(frame, selection, countries)["batch_id"].to_numpy(dtype=np.int64)
        found, counts = np.unique(ids, return_counts=True)
        return dict(zip(found.tolist(), counts.tolist(), strict=True))

    now, before = per_batch(flt), per_batch(flt.previous_period())
    by_id = {int(b["batch_id"]): b for b in batches}
    rows = []
    for batch_id in sorted(set(now) | set(before)):
        batch = by_id.get(batch_id, {})
        rows.append({"batch_id": batch_id, "file": batch.get("filename", "(removed)"),
                     "imported_at": minutes(batch["created_at"]) if batch else "",
                     "user": batch.get("user", ""), "records": now.get(batch_id, 0),
                     "comparison_records": before.get(batch_id, 0)})
    columns = ["batch_id", "file", "imported_at", "user", "records", "comparison_records"]
    return pd.DataFrame(rows, columns=columns)


def comparison_words(flt: Filter) -> str:
    """The comparison period in words, or why there is none."""
    previous = flt.previous_period()
    if previous is None or previous.since is None or previous.until is None:
        return "none: the period is open, so the figures have no change against an earlier one"
    return (f"{links.format_day(previous.since)} – {links.format_day(previous.until)} "
            "(the preceding period of equal length)")


def gather(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, period: str,
           provenance: Provenance) -> Briefing:
    """Every figure and fact of the briefing for ``flt`` (``period`` is the links period key)."""
    names = {c: countries.get(c).name for c in flt.countries}
    table = sources(frame, flt, countries, provenance.batches)
    sample_ids = {int(b["batch_id"]) for b in provenance.batches if b.get("filename") == SAMPLE_BATCH}
    in_figures = table[(table["records"] > 0) | (table["comparison_records"] > 0)]
    last = provenance.batches[0]["created_at"] if provenance.batches else None
    return Briefing(
        provenance=provenance,
        filter_words=links.describe_filter(flt, period, names),
        period=links.describe_period(flt, period),
        comparison=comparison_words(flt),
        last_import=None if last is None else minutes(last),
        records=len(queries.select(frame, flt, countries)),
        kpis=views.kpis(frame, flt, countries),
        quantities=quantity_rows(frame, flt, countries),
        monthly=views.time_series(frame, flt, countries, MAP_MEASURE, "month", None),
        by_region=views.totals_by(frame, flt, countries, "region"),
        by_crime_area=views.totals_by(frame, flt, countries, "crime_area"),
        by_country=maps.country_table(frame, flt, countries),
        top_operations=top_operations(frame, flt, countries),
        sources=table,
        sample_in_figures=bool(sample_ids & set(in_figures["batch_id"].tolist())),
    )
