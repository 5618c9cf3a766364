"""Page-level figures built on the query layer (``ocops.queries``); no Streamlit.

Every function takes the compact frame, the shared :class:`~ocops.queries.Filter`
and the country index, selects with :func:`queries.select` and computes with
:func:`queries.totals` / :func:`queries.grouped` / :func:`queries.with_region`,
so each page shows the same numbers as the CLI ``summary``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from ocops import queries
from ocops.geo import CountryIndex
from ocops.importer import SAMPLE_BATCH, list_batches
from ocops.queries import Filter

MEASURE_LABELS: dict[str, str] = {
    "records": "Records", "operations": "Operations", "countries": "Countries", "arrests": "Arrests",
    "seizures": "Seizures", "victims_rescued": "Victims rescued", "seized_value_usd": "Seized value (USD)",
    "seized_kg": "Seized (kg)", "seized_l": "Seized (litres)", "seized_items": "Seized (items)",
}
KPI_MEASURES: tuple[str, ...] = ("records", "operations", "countries", "arrests", "seizures",
                                 "victims_rescued", "seized_value_usd")
QUANTITY_MEASURES: tuple[str, ...] = ("seized_kg", "seized_l", "seized_items")
TIMELINE_MEASURES: tuple[str, ...] = ("arrests", "seizures", "victims_rescued", "records", "seized_value_usd")
DISTINCT_MEASURES = frozenset({"operations", "countries"})
GRANULARITIES: dict[str, str] = {"week": "W-SUN", "month": "MS", "quarter": "QS", "year": "YS"}
STACKS: dict[str, str] = {"crime_area": "Crime area", "region": "Region"}
TOTAL = "Total"


@dataclass(frozen=True)
class Kpi:
    """One metric card: the value for the filter and its change against the previous period."""

    measure: str
    label: str
    value: float
    delta: float | None


def kpis(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> list[Kpi]:
    """The overview cards; ``delta`` is None when the period is open (all time)."""
    now = queries.totals(queries.select(frame, flt, countries))
    previous_filter = flt.previous_period()
    before = queries.totals(queries.select(frame, previous_filter, countries)) if previous_filter else None
    return [Kpi(m, MEASURE_LABELS[m], now[m], None if before is None else now[m] - before[m])
            for m in KPI_MEASURES]


def quantities(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> dict[str, float]:
    """Seized quantities by kind: kg, litres and items."""
    now = queries.totals(queries.select(frame, flt, countries))
    return {m: now[m] for m in QUANTITY_MEASURES}


def format_number(value: float | None, measure: str = "") -> str:
    """Thousands separators; money without decimals, other floats with at most one."""
    if value is None:
        return "–"
    if measure == "seized_value_usd":
        return f"{value:,.0f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def format_delta(value: float | None, measure: str = "") -> str | None:
    """A signed delta for st.metric, or None for no delta."""
    if value is None:
        return None
    sign = "+" if value > 0 else ("-" if value < 0 else "±")
    return sign + format_number(abs(value), measure)


def _measure(groups: Any, measure: str) -> pd.Series:
    """``measure`` per group of a pandas GroupBy: size, distinct count or sum."""
    if measure == "records":
        return groups.size()
    if measure == "operations":
        return groups["operation"].nunique()
    if measure == "countries":
        return groups["country"].nunique()
    return groups[measure].sum()


def _stack_column(frame: pd.DataFrame, stack_by: str, countries: CountryIndex) -> pd.Series:
    return queries.with_region(frame, countries) if stack_by == "region" else frame[stack_by]


def time_series(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, measure: str,
                granularity: str = "month", stack_by: str | None = "crime_area") -> pd.DataFrame:
    """``measure`` per period (column ``period``: first day of the week/month/quarter/year)
    and per ``stack`` (crime area or region; one stack 'Total' when None), sorted."""
    chosen = queries.select(frame, flt, countries)
    columns = ["period", "stack", "value"]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    if granularity == "week":
        period = (chosen["date"] - pd.to_timedelta(chosen["date"].dt.day_of_week, unit="D")).dt.normalize()
    else:
        period = chosen["date"].dt.to_period({"month": "M", "quarter": "Q", "year": "Y"}[granularity]).dt.start_time
    period = period.rename("period").astype("datetime64[s]")
    stack = (_stack_column(chosen, stack_by, countries).astype(str) if stack_by
             else pd.Series(TOTAL, index=chosen.index)).rename("stack")
    values = _measure(chosen.groupby([period, stack], observed=True, sort=True), measure)
    table = values.rename("value").reset_index()
    return table.sort_values(["period", "stack"], kind="stable").reset_index(drop=True)[columns]


def totals_by(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, by: str) -> pd.DataFrame:
    """Every measure per region / crime area / country / operation (``key`` column)."""
    return queries.grouped(queries.select(frame, flt, countries), by, countries)


def by_country(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> pd.DataFrame:
    """Totals per country with its name and region, largest arrests first."""
    table = totals_by(frame, flt, countries, "country")
    table.insert(1, "name", [countries.get(k).name for k in table["key"]])
    table.insert(2, "region", [countries.region_of(k) for k in table["key"]])
    return table.sort_values(["arrests", "records", "name"], ascending=[False, False, True]).reset_index(drop=True)


def crosstab(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, measure: str) -> pd.DataFrame:
    """Region (rows) x crime area (columns) of ``measure`` with a 'Total' row and column.

    For operations and countries the totals are distinct counts over the whole row,
    column or selection (an operation in two regions counts once in the total)."""
    chosen = queries.select(frame, flt, countries)
    if chosen.empty:
        return pd.DataFrame()
    region = queries.with_region(chosen, countries).astype(str).rename("region")
    area = chosen["crime_area"].astype(str).rename("crime_area")
    cells = _measure(chosen.groupby([region, area], sort=True), measure).unstack(fill_value=0)
    cells[TOTAL] = _measure(chosen.groupby(region, sort=True), measure)
    column_totals = _measure(chosen.groupby(area, sort=True), measure)
    column_totals[TOTAL] = queries.totals(chosen)[measure]
    cells.loc[TOTAL] = column_totals
    cells.index.name, cells.columns.name = "Region", "Crime area"
    return cells


def share_table(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, by: str, measure: str) -> pd.DataFrame:
    """Per group: ``measure`` now, its share of the total (%), the previous period and change (%)."""
    now = totals_by(frame, flt, countries, by)[["key", measure]].rename(columns={measure: "current"})
    whole = queries.totals(queries.select(frame, flt, countries))[measure]
    now["share_pct"] = (now["current"] / whole * 100).round(1) if whole else 0.0
    previous_filter = flt.previous_period()
    if previous_filter is None:
        now["previous"], now["change_pct"] = pd.NA, pd.NA
        return now
    before = totals_by(frame, previous_filter, countries, by)[["key", measure]]
    previous = dict(zip(before["key"], before[measure], strict=True))
    now["previous"] = [previous.get(k, 0) for k in now["key"]]
    now["change_pct"] = [round((c - p) / p * 100, 1) if p else None for c, p in zip(now["current"], now["previous"])]
    return now


def period_comparison(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> pd.DataFrame:
    """Every measure: current period, previous period of equal length, change and change (%)."""
    now = queries.totals(queries.select(frame, flt, countries))
    previous_filter = flt.previous_period()
    before = queries.totals(queries.select(frame, previous_filter, countries)) if previous_filter else {}
    rows = []
    for measure, label in MEASURE_LABELS.items():
        current, previous = now[measure], before.get(measure)
        change = None if previous is None else current - previous
        pct = round(change / previous * 100, 1) if previous else None
        rows.append({"measure": label, "current": current, "previous": previous, "change": change, "change_pct": pct})
    return pd.DataFrame(rows)


def _names(values: pd.Series) -> str:
    return ", ".join(sorted({str(v) for v in values if v}))


def operations_table(frame: pd.DataFrame, flt: Filter, countries: CountryIndex,
                     lead_agencies: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per operation: name, first and last date, lead agencies, countries, crime areas
    and every measure; latest first. ``lead_agencies`` has columns operation, lead_agency
    (from :func:`lead_agency_rows`)."""
    chosen = queries.select(frame, flt, countries)
    table = queries.grouped(chosen, "operation", countries).rename(columns={"key": "operation"})
    if table.empty:
        return table
    groups = chosen.groupby(chosen["operation"].astype(str), sort=True)
    info = pd.DataFrame({
        "first_date": groups["date"].min().dt.date,
        "last_date": groups["date"].max().dt.date,
        "country_names": groups["country"].agg(lambda s: ", ".join(sorted({countries.get(c).name for c in s}))),
        "crime_areas": groups["crime_area"].agg(_names),
    })
    if lead_agencies is not None and not lead_agencies.empty:
        info["lead_agencies"] = lead_agencies.groupby("operation", sort=True)["lead_agency"].agg(_names)
    else:
        info["lead_agencies"] = ""
    info["lead_agencies"] = info["lead_agencies"].fillna("")
    table = table.join(info, on="operation")
    first = ["operation", "first_date", "last_date", "lead_agencies", "country_names", "crime_areas"]
    table = table[first + [m for m in queries.MEASURES]]
    return table.sort_values(["last_date", "operation"], ascending=[False, True]).reset_index(drop=True)


def lead_agency_rows(engine: Engine, flt: Filter, countries: CountryIndex) -> pd.DataFrame:
    """(operation, lead_agency) of the filtered records, read through ``queries.records``."""
    return queries.records(engine, flt, countries, columns=("operation", "lead_agency"))


def operation_end_dates(engine: Engine, flt: Filter, countries: CountryIndex) -> dict[str, Any]:
    """The latest ``end_date`` per operation among the filtered records (read through ``queries.records``)."""
    rows = queries.records(engine, flt, countries, columns=("operation", "end_date"))
    rows = rows[rows["end_date"].notna()]
    if rows.empty:
        return {}
    return {str(k): v for k, v in rows.groupby("operation")["end_date"].max().items()}


def latest_operations(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, limit: int = 10) -> pd.DataFrame:
    """The operations with the most recent records (name, dates, countries, arrests, seizures)."""
    table = operations_table(frame, flt, countries)
    if table.empty:
        return table
    return table[["operation", "first_date", "last_date", "country_names", "crime_areas", "arrests",
                  "seizures", "victims_rescued"]].head(limit)


def operation_detail(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, operation: str,
                     batches: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One operation under the filter: its totals per country, and the batches (files) its
    records came from with how many records each holds. ``batches`` is ``list_batches(engine)``."""
    only = replace(flt, operations=(operation,))
    per_country = by_country(frame, only, countries)
    chosen = queries.select(frame, only, countries)
    counts = chosen["batch_id"].value_counts().sort_index()
    by_id = {b["batch_id"]: b for b in batches}
    rows = [{"batch_id": int(batch_id), "file": by_id.get(batch_id, {}).get("filename", "(removed)"),
             "imported_at": _minutes(by_id[batch_id]["created_at"]) if batch_id in by_id else "",
             "records": int(n)}
            for batch_id, n in counts.items()]
    return per_country, pd.DataFrame(rows, columns=["batch_id", "file", "imported_at", "records"])


def gantt(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, measure: str, top: int = 50,
          end_dates: dict[str, Any] | None = None) -> pd.DataFrame:
    """The ``top`` operations by ``measure``: start, end (exclusive: one day after the latest
    record date or ``end_dates[operation]``, from :func:`operation_end_dates`), main crime area
    and the measure; largest first."""
    chosen = queries.select(frame, flt, countries)
    columns = ["operation", "start", "end", "crime_area", "value"]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    table = queries.grouped(chosen, "operation", countries).rename(columns={"key": "operation", measure: "value"})
    groups = chosen.groupby(chosen["operation"].astype(str), sort=True)
    table["start"] = table["operation"].map(groups["date"].min())
    last = table["operation"].map(groups["date"].max())
    if end_dates:
        ends = pd.to_datetime(table["operation"].map(end_dates)).astype("datetime64[s]")
        last = last.where(ends.isna() | (ends < last), ends)
    table["end"] = last + pd.Timedelta(days=1)
    table["crime_area"] = table["operation"].map(groups["crime_area"].agg(lambda s: s.astype(str).mode().iloc[0]))
    table = table.sort_values(["value", "operation"], ascending=[False, True], kind="stable").head(top)
    return table[columns].reset_index(drop=True)


def data_status(engine: Engine) -> dict[str, Any]:
    """What the store holds: batch count, time of the last import, whether the sample is loaded."""
    batches = list_batches(engine)
    return {
        "batches": len(batches),
        "last_import": _minutes(batches[0]["created_at"]) if batches else None,
        "sample_loaded": any(b["filename"] == SAMPLE_BATCH and b["current_records"] for b in batches),
    }


def _minutes(timestamp: str) -> str:
    """'2018-12-31T10:20:30.123+00:00' or '2018-12-31 10:20:30' as '2018-12-31 10:20 UTC'."""
    return timestamp.replace("T", " ")[:16] + " UTC"


def latest_date(frame: pd.DataFrame) -> Any:
    """The latest record date (a datetime.date), or None for an empty store."""
    return None if frame.empty else frame["date"].max().date()
