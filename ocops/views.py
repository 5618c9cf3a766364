"""Page-level figures built on the query layer (``ocops.queries``); no Streamlit.

Every function takes the compact frame, the shared :class:`~ocops.queries.Filter`
and the country index, selects with :func:`queries.select` and computes with
:func:`queries.totals` / :func:`queries.grouped` / :func:`queries.group_codes`,
so each page shows the same numbers as the CLI ``summary``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from ocops import queries
from ocops.geo import CountryIndex
from ocops.importer import SAMPLE_BATCH, list_batches
from ocops.links import comparison_filter
from ocops.queries import Filter

MEASURE_LABELS: dict[str, str] = {
    "records": "Records", "operations": "Operations", "countries": "Countries", "arrests": "Arrests",
    "seizures": "Seizures", "victims_rescued": "Victims rescued", "seized_value_usd": "Seized value (USD)",
    "seized_kg": "Seized (kg)", "seized_l": "Seized (litres)", "seized_items": "Seized (items)",
}
KPI_MEASURES: tuple[str, ...] = ("records", "operations", "countries", "arrests", "seizures",
                                 "victims_rescued", "seized_value_usd")
OPERATION_MEASURES: tuple[str, ...] = ("arrests", "seizures", "victims_rescued", "records", "seized_value_usd")
QUANTITY_MEASURES: tuple[str, ...] = ("seized_kg", "seized_l", "seized_items")
TIMELINE_MEASURES: tuple[str, ...] = ("arrests", "seizures", "victims_rescued", "records", "seized_value_usd")
GRANULARITIES: tuple[str, ...] = ("week", "month", "quarter", "year")  # weeks start on Monday
STACKS: dict[str, str] = {"crime_area": "Crime area", "region": "Region"}
TOTAL = "Total"


@dataclass(frozen=True)
class Kpi:
    """One metric card: the value for the filter and its change against the previous period."""

    measure: str
    label: str
    value: float
    delta: float | None


def kpis(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, compare: str = "previous") -> list[Kpi]:
    """The overview cards; ``delta`` against the period ``compare`` names (``links.COMPARISONS``),
    None when the period is open (all time)."""
    now = queries.totals(queries.select(frame, flt, countries))
    previous_filter = comparison_filter(flt, compare)
    before = queries.totals(queries.select(frame, previous_filter, countries)) if previous_filter else None
    return [Kpi(m, MEASURE_LABELS[m], now[m], None if before is None else now[m] - before[m])
            for m in KPI_MEASURES]


ITEM_COLUMNS: tuple[str, ...] = ("key", "records", *QUANTITY_MEASURES, "seized_value_usd")
ITEM_ACROSS: dict[str, str] = {"region": "Region", "year": "Year"}
KIND_LABELS = {"kg": "kg", "l": "l", "items": "items"}


def items_table(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> pd.DataFrame:
    """Seized quantities per item (``key``): the records carrying it, kg, litres, items and value
    in USD; largest value first, then by item."""
    table = totals_by(frame, flt, countries, "seized_item")
    if table.empty:
        return pd.DataFrame(columns=list(ITEM_COLUMNS))
    table = table.sort_values(["seized_value_usd", "key"], ascending=[False, True], kind="stable")
    return table[list(ITEM_COLUMNS)].reset_index(drop=True)


def items_across(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, across: str,
                 measure: str) -> pd.DataFrame:
    """``measure`` (records, a quantity or the value) per seized item and region or year:
    columns ``item``, ``across`` and ``value``, only cells with quantities, sorted."""
    chosen = queries.select(frame, flt, countries)
    columns = ["item", "across", "value"]
    rows = queries.quantity_rows(chosen)
    if not len(rows.position):
        return pd.DataFrame(columns=columns)
    if across == "region":
        codes, labels = queries.group_codes(chosen, "region", countries)
    else:
        years = chosen["month"].to_numpy().astype(np.int64) // 100
        codes, labels = years - years.min(), [str(y) for y in range(int(years.min()), int(years.max()) + 1)]
    size = len(labels)
    cells = rows.item * size + codes[rows.position]
    if measure == "records":  # each record once per item and cell
        pairs = np.unique(cells * max(len(chosen), 1) + rows.position)
        values = np.bincount(pairs // max(len(chosen), 1), minlength=len(rows.labels) * size)
    else:
        values = np.bincount(cells, weights=rows.weights(measure), minlength=len(rows.labels) * size)
    present = np.bincount(cells, minlength=len(rows.labels) * size) > 0
    index = np.flatnonzero(present)
    table = pd.DataFrame({"item": [rows.labels[i // size] for i in index], "across": [labels[i % size] for i in index],
                          "value": values[index]})
    return table.sort_values(["item", "across"], kind="stable").reset_index(drop=True)[columns]


def describe_quantity(item: str, kind: str | None, amount: float, value: float) -> str:
    """One seized quantity in words: 'Cocaine 120 kg (USD 3,000,000)'."""
    text = item
    if isinstance(kind, str) and not pd.isna(amount):
        text += f" {format_number(amount)} {KIND_LABELS.get(kind, kind)}"
    if not pd.isna(value) and value:
        text += f" (USD {format_number(value, 'seized_value_usd')})"
    return text


def operation_records(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, operation: str) -> pd.DataFrame:
    """One operation's records under the filter, oldest first: date, country, city, arrests, seizures,
    victims and the items each record seized (every quantity, in words)."""
    chosen = queries.select(frame, replace(flt, operations=(operation,)), countries)
    rows = queries.quantity_rows(chosen)
    table = rows.quantities.table[rows.kept]
    words: dict[int, list[str]] = {}
    for position, item, kind, amount, value in zip(rows.position.tolist(), table["item"].astype(str).tolist(),
                                                   table["kind"].astype(object).tolist(),
                                                   table["amount"].tolist(), table["value_usd"].tolist(), strict=True):
        words.setdefault(position, []).append(describe_quantity(item, kind, amount, value))
    result = pd.DataFrame({
        "date": chosen["date"].dt.date.to_numpy(),
        "country": [countries.get(c).name for c in chosen["country"].astype(str)],
        "city": chosen["city"].astype(object).fillna("").to_numpy() if "city" in chosen else "",
        "arrests": chosen["arrests"].to_numpy(), "seizures": chosen["seizures"].to_numpy(),
        "victims_rescued": chosen["victims_rescued"].to_numpy(),
        "items": ["; ".join(words.get(i, [])) for i in range(len(chosen))],
    })
    return result.sort_values(["date", "country"], kind="stable").reset_index(drop=True)


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


_EPOCH = dt.date(1970, 1, 1)
MAX_PERIODS = 5000  # a longer filter range is cut to the store's own first and last record


def _period_number(days: np.ndarray, yyyymm: np.ndarray, granularity: str) -> np.ndarray:
    """The absolute period number of each day (days since 1970-01-01 and YYYYMM given)."""
    if granularity == "week":
        return (days - (days + 3) % 7 - 4) // 7  # weeks start on Monday; 1970-01-05 (day 4) was one
    months = (yyyymm // 100) * 12 + (yyyymm % 100) - 1
    return months // {"month": 1, "quarter": 3, "year": 12}[granularity]


def _period_start(number: int, granularity: str) -> pd.Timestamp:
    """The first day of an absolute period number."""
    if granularity == "week":
        return pd.Timestamp(_EPOCH + dt.timedelta(days=number * 7 + 4))
    month = number * {"month": 1, "quarter": 3, "year": 12}[granularity]
    return pd.Timestamp(year=month // 12, month=month % 12 + 1, day=1)


def _day_number(day: dt.date, granularity: str) -> int:
    days = np.array([(day - _EPOCH).days], dtype=np.int64)
    return int(_period_number(days, np.array([day.year * 100 + day.month], dtype=np.int64), granularity)[0])


def _series_bounds(chosen: pd.DataFrame, flt: Filter) -> tuple[dt.date, dt.date]:
    """First and last day the series covers: the filter's dates, else its records' first/last day."""
    first = flt.since or chosen["date"].min().date()
    last = flt.until or chosen["date"].max().date()
    return first, last


def _period_codes(chosen: pd.DataFrame, granularity: str, first_day: dt.date,
                  last_day: dt.date) -> tuple[np.ndarray, list[pd.Timestamp]]:
    """Period code per row (0 = the period holding ``first_day``) and the first day of every
    period from ``first_day`` to ``last_day``, with or without records."""
    days = chosen["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    numbers = _period_number(days, chosen["month"].to_numpy().astype(np.int64), granularity)
    first, last = _day_number(first_day, granularity), _day_number(last_day, granularity)
    if len(numbers):
        first, last = min(first, int(numbers.min())), max(last, int(numbers.max()))
    return numbers - first, [_period_start(n, granularity) for n in range(first, last + 1)]


def _stack_codes(chosen: pd.DataFrame, stack_by: str | None, countries: CountryIndex) -> tuple[np.ndarray, list[str]]:
    if not stack_by:
        return np.zeros(len(chosen), dtype=np.int64), [TOTAL]
    return queries.group_codes(chosen, stack_by, countries)


def time_series(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, measure: str,
                granularity: str = "month", stack_by: str | None = "crime_area") -> pd.DataFrame:
    """``measure`` per period (column ``period``: first day of the week/month/quarter/year)
    and per ``stack`` (crime area or region; one stack 'Total' when None), sorted.

    Every period of the range is there for every stack that has records, with 0 where there
    were none, so a quiet month shows as a dip, not as a line from its neighbours. The range
    is the filter's dates (its records' first/last day where the filter has none), cut to the
    store's first and last record if it would exceed ``MAX_PERIODS`` periods."""
    chosen = queries.select(frame, flt, countries)
    columns = ["period", "stack", "value"]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    first_day, last_day = _series_bounds(chosen, flt)
    periods, starts = _period_codes(chosen, granularity, first_day, last_day)
    if len(starts) > MAX_PERIODS:
        periods, starts = _period_codes(chosen, granularity, max(first_day, frame["date"].min().date()),
                                        min(last_day, frame["date"].max().date()))
    stacks, labels = _stack_codes(chosen, stack_by, countries)
    values, counts = queries.measure_matrix(chosen, periods, len(starts), stacks, len(labels), measure)
    used = np.flatnonzero(counts.sum(axis=0) > 0)
    period_index = np.repeat(np.arange(len(starts)), len(used))
    stack_index = np.tile(used, len(starts))
    table = pd.DataFrame({
        "period": pd.to_datetime([starts[i] for i in period_index]).astype("datetime64[s]"),
        "stack": [labels[j] for j in stack_index],
        "value": values[period_index, stack_index],
    })
    return table.sort_values(["period", "stack"], kind="stable").reset_index(drop=True)[columns]


def totals_by(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, by: str,
              measures: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every measure (or only ``measures``, and records) per region / crime area / country /
    operation / seized item (``key`` column)."""
    return queries.grouped(queries.select(frame, flt, countries), by, countries, measures)


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
    regions, region_labels = queries.group_codes(chosen, "region", countries)
    areas, area_labels = queries.group_codes(chosen, "crime_area", countries)
    values, counts = queries.measure_matrix(chosen, regions, len(region_labels), areas, len(area_labels), measure)
    used_rows, used_columns = counts.sum(axis=1) > 0, counts.sum(axis=0) > 0
    cells = pd.DataFrame(values[np.ix_(used_rows, used_columns)],
                         index=[r for r, used in zip(region_labels, used_rows, strict=True) if used],
                         columns=[a for a, used in zip(area_labels, used_columns, strict=True) if used])
    cells[TOTAL] = queries.measure_per_group(chosen, regions, len(region_labels), measure)[used_rows]
    column_totals = list(queries.measure_per_group(chosen, areas, len(area_labels), measure)[used_columns])
    cells.loc[TOTAL] = [*column_totals, queries.totals(chosen)[measure]]
    cells = cells[[TOTAL, *[c for c in cells.columns if c != TOTAL]]]  # the total first: always in view
    cells.index.name, cells.columns.name = "Region", "Crime area"
    return cells


def share_table(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, by: str, measure: str,
                compare: str = "previous") -> pd.DataFrame:
    """Per group, largest first: ``measure`` now, its share of the total (%), the previous period
    and change (%) (NaN where there is no previous period or it was 0)."""
    now = totals_by(frame, flt, countries, by)[["key", measure]].rename(columns={measure: "current"})
    whole = queries.totals(queries.select(frame, flt, countries))[measure]
    now["share_pct"] = (now["current"] / whole * 100).round(1) if whole else 0.0
    now = now.sort_values(["current", "key"], ascending=[False, True], kind="stable").reset_index(drop=True)
    previous_filter = comparison_filter(flt, compare)
    if previous_filter is None:
        now["previous"], now["change_pct"] = np.nan, np.nan
        return now
    before = totals_by(frame, previous_filter, countries, by)[["key", measure]]
    previous = dict(zip(before["key"], before[measure], strict=True))
    now["previous"] = [previous.get(k, 0) for k in now["key"]]
    now["change_pct"] = [round((c - p) / p * 100, 1) if p else np.nan
                         for c, p in zip(now["current"], now["previous"], strict=True)]
    return now


def period_comparison(frame: pd.DataFrame, flt: Filter, countries: CountryIndex,
                      compare: str = "previous") -> pd.DataFrame:
    """Every measure: current period, previous period of equal length, change and change (%)
    (NaN where there is no previous period or it was 0)."""
    now = queries.totals(queries.select(frame, flt, countries))
    previous_filter = comparison_filter(flt, compare)
    before = queries.totals(queries.select(frame, previous_filter, countries)) if previous_filter else {}
    rows = []
    for measure, label in MEASURE_LABELS.items():
        current, previous = now[measure], before.get(measure)
        change = np.nan if previous is None else current - previous
        pct = round(change / previous * 100, 1) if previous else np.nan
        previous = np.nan if previous is None else previous
        rows.append({"measure": label, "current": current, "previous": previous, "change": change, "change_pct": pct})
    return pd.DataFrame(rows)


def _names_per_operation(chosen: pd.DataFrame, column: str, label: Any = str) -> dict[int, str]:
    """Operation code -> the sorted, comma-joined distinct values of ``column`` among its records."""
    operations = chosen["operation"].cat.codes.to_numpy().astype(np.int64)
    values = chosen[column].cat.codes.to_numpy().astype(np.int64)
    categories = [str(c) for c in chosen[column].cat.categories]  # Python strings: indexed per pair below
    size = len(categories) + 1
    n_operations = len(chosen["operation"].cat.categories)
    if n_operations * size <= 50_000_000:  # presence table instead of sorting 1M pairs
        seen = np.zeros(n_operations * size, dtype=bool)
        seen[operations * size + values + 1] = True
        pairs = np.flatnonzero(seen)
    else:
        pairs = np.unique(operations * size + values + 1)
    names: dict[int, set[str]] = {}
    for operation, value in zip((pairs // size).tolist(), (pairs % size - 1).tolist(), strict=True):
        bucket = names.setdefault(operation, set())
        if value >= 0 and categories[value]:
            bucket.add(label(categories[value]))
    return {k: ", ".join(sorted(v)) for k, v in names.items()}


def _operation_facts(chosen: pd.DataFrame) -> pd.DataFrame:
    """Per operation code present: first date, last record date, latest end date, main crime area."""
    codes = chosen["operation"].cat.codes.to_numpy()
    dates = pd.Series(chosen["date"].to_numpy())
    facts = pd.DataFrame({"first": dates.groupby(codes).min(), "last": dates.groupby(codes).max()})
    if "end_date" in chosen:
        facts["end"] = pd.Series(chosen["end_date"].to_numpy()).groupby(codes).max()
    else:
        facts["end"] = pd.NaT
    areas, area_labels = queries.group_codes(chosen, "crime_area", None)
    n_operations = len(chosen["operation"].cat.categories)
    _, counts = queries.measure_matrix(chosen, codes.astype(np.int64), n_operations, areas, len(area_labels), "records")
    facts["crime_area"] = [area_labels[i] for i in counts[facts.index.to_numpy()].argmax(axis=1)]
    operations = [str(c) for c in chosen["operation"].cat.categories]
    facts["operation"] = [operations[i] for i in facts.index]
    return facts


def operations_table(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> pd.DataFrame:
    """One row per operation: name, first and last date, lead agencies, countries, crime areas
    and every measure; latest first."""
    return _operations_of(queries.select(frame, flt, countries), countries)


def _operations_of(chosen: pd.DataFrame, countries: CountryIndex) -> pd.DataFrame:
    """:func:`operations_table` of already-selected records."""
    table = queries.grouped(chosen, "operation", countries).rename(columns={"key": "operation"})
    if table.empty:
        return table
    facts = _operation_facts(chosen)
    agencies = _names_per_operation(chosen, "lead_agency") if "lead_agency" in chosen else {}
    names = _names_per_operation(chosen, "country", lambda iso3: countries.get(iso3).name)
    areas = _names_per_operation(chosen, "crime_area")
    info = pd.DataFrame({
        "operation": facts["operation"],
        "first_date": facts["first"].dt.date, "last_date": facts["last"].dt.date,
        "lead_agencies": [agencies.get(code, "") for code in facts.index],
        "country_names": [names.get(code, "") for code in facts.index],
        "crime_areas": [areas.get(code, "") for code in facts.index],
    })
    table = table.merge(info, on="operation", how="left")
    first = ["operation", "first_date", "last_date", "lead_agencies", "country_names", "crime_areas"]
    table = table[first + [m for m in queries.MEASURES]]
    return table.sort_values(["last_date", "operation"], ascending=[False, True]).reset_index(drop=True)


def latest_operations(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, limit: int = 10) -> pd.DataFrame:
    """The operations with the most recent records (name, dates, countries, arrests, seizures):
    the first ``limit`` rows of :func:`operations_table`, computed for those operations only."""
    chosen = queries.select(frame, flt, countries)
    if len(chosen):
        codes = chosen["operation"].cat.codes.to_numpy()
        last = pd.Series(chosen["date"].to_numpy()).groupby(codes).max()
        names = chosen["operation"].cat.categories[last.index.to_numpy()].astype(str)
        latest = pd.DataFrame({"last": last.dt.normalize().to_numpy(), "operation": names})
        latest = latest.sort_values(["last", "operation"], ascending=[False, True], kind="stable").head(limit)
        chosen = chosen[queries.in_categories(chosen["operation"], latest["operation"])]
    table = _operations_of(chosen, countries)
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
            for batch_id, n in zip(counts.index.tolist(), counts.tolist(), strict=True)]
    return per_country, pd.DataFrame(rows, columns=["batch_id", "file", "imported_at", "records"])


def gantt(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, measure: str, top: int = 50) -> pd.DataFrame:
    """The ``top`` operations by ``measure``: start, end (exclusive: one day after the later of
    the last record date and the latest end_date), main crime area and the measure; largest first."""
    chosen = queries.select(frame, flt, countries)
    columns = ["operation", "start", "end", "crime_area", "value"]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    table = queries.grouped(chosen, "operation", countries).rename(columns={"key": "operation", measure: "value"})
    facts = _operation_facts(chosen).set_index("operation")
    last = facts["last"].where(facts["end"].isna() | (facts["end"] < facts["last"]), facts["end"])
    table["start"] = table["operation"].map(facts["first"]).astype("datetime64[s]")
    table["end"] = (table["operation"].map(last) + pd.Timedelta(days=1)).astype("datetime64[s]")
    table["crime_area"] = table["operation"].map(facts["crime_area"])
    table = table.sort_values(["value", "operation"], ascending=[False, True], kind="stable").head(top)
    return table[columns].reset_index(drop=True)


def map_points(frame: pd.DataFrame, flt: Filter, countries: CountryIndex) -> pd.DataFrame:
    """Per-location totals for the map (``queries.points``), one row per place, never per record."""
    return queries.points(frame, flt, countries)


def data_status(engine: Engine) -> dict[str, Any]:
    """What the store holds: batch count, time of the last import, whether the sample is loaded."""
    batches = [b for b in list_batches(engine) if not b["removed_at"]]
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


@dataclass(frozen=True)
class FrameFacts:
    """What the filters need of the whole (scoped) frame: found once per data version, not per rerun."""

    first_day: dt.date | None
    last_day: dt.date | None
    months: tuple[int, ...]  # YYYYMM with records, ascending
    operations: tuple[str, ...]  # every operation name, sorted


def frame_facts(frame: pd.DataFrame) -> FrameFacts:
    """First and last record day, the months with records and the operation names of ``frame``."""
    if frame.empty:
        return FrameFacts(None, None, (), ())
    yyyymm = frame["month"].to_numpy().astype(np.int64)
    index = (yyyymm // 100) * 12 + yyyymm % 100 - 1
    first = int(index.min())
    present = np.flatnonzero(np.bincount(index - first)) + first
    days = frame["date"].to_numpy()
    return FrameFacts(pd.Timestamp(days.min()).date(), pd.Timestamp(days.max()).date(),
                      tuple(int(m // 12 * 100 + m % 12 + 1) for m in present),
                      tuple(sorted(str(o) for o in frame["operation"].cat.categories)))
