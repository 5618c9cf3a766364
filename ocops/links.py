"""Shareable links: the dashboard's filters as URL query parameters and back.

Format (keys repeated for several values, countries as ISO3)::

    ?region=Europe&region=Africa&country=FRA&crime_area=Drug+trafficking
     &operation=Operation+Andes&seized_item=Cocaine&since=2018-01-01&until=2018-12-31

Explicit ``since``/``until`` freeze the period; ``period=last-12-months`` (and the
other presets) rolls: it always ends at the anchor day, the latest record date.
Unknown values are dropped and named in a notice; parsing never raises.
No Streamlit here, so the rules are unit-tested directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from ocops.geo import CountryIndex
from ocops.queries import Filter
from ocops.schema import EARLIEST_DATE, LATEST_DATE
from ocops.seized_items import SeizedItems, load_seized_items
from ocops.taxonomy import Taxonomy

PERIODS: dict[str, str] = {
    "last-30-days": "Last 30 days",
    "last-quarter": "Last quarter",
    "last-12-months": "Last 12 months",
    "year-to-date": "Year to date",
    "previous-year": "Previous year",
    "all-time": "All time",
    "custom": "Custom range",
}
DEFAULT_PERIOD = "last-12-months"
CUSTOM = "custom"
KEYS = ("region", "country", "crime_area", "operation", "seized_item", "period", "since", "until", "compare")


def _months_back(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (clamped to the month's last day)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def period_range(period: str, anchor: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The inclusive dates of a rolling preset ending on ``anchor`` ((None, None) for all time)."""
    if period == "last-30-days":
        return anchor - dt.timedelta(days=29), anchor
    if period == "last-quarter":
        return _months_back(anchor, 3) + dt.timedelta(days=1), anchor
    if period == "last-12-months":
        return _months_back(anchor, 12) + dt.timedelta(days=1), anchor
    if period == "year-to-date":
        return dt.date(anchor.year, 1, 1), anchor
    if period == "previous-year":
        return dt.date(anchor.year - 1, 1, 1), dt.date(anchor.year - 1, 12, 31)
    if period == "all-time":
        return None, None
    raise ValueError(f"'{period}' is not a rolling period")


def _values(params: Mapping[str, Sequence[str] | str], key: str) -> list[str]:
    value = params.get(key, [])
    items = [value] if isinstance(value, str) else list(value)
    return [v.strip() for v in items if v and v.strip()]


def _parse_date(text: str, key: str, notices: list[str]) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        notices.append(f"Ignored {key}={text!r} in the link: dates are written YYYY-MM-DD.")
        return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        notices.append(f"Ignored {key}={text!r} in the link: dates must lie between {EARLIEST_DATE} and {LATEST_DATE}.")
        return None
    return day


def _split(values: list[str], lookup: Callable[[str], str | None]) -> tuple[list[str], list[str]]:
    """(known values as canonical names, unknown values as written)."""
    known, unknown = [], []
    for value in values:
        canonical = lookup(value)
        if canonical:
            known.append(canonical)
        else:
            unknown.append(value)
    return known, unknown


def _drop_notice(kind: str, unknown: list[str]) -> str:
    return f"Ignored unknown {kind} in the link: {', '.join(repr(u) for u in unknown)}."


def filter_from_params(
    params: Mapping[str, Sequence[str] | str],
    countries: CountryIndex,
    taxonomy: Taxonomy,
    operations: Iterable[str],
    anchor: dt.date,
    items: SeizedItems | None = None,
) -> tuple[Filter, str, list[str]]:
    """The Filter, the period key and notices for what was dropped, from query parameters.

    ``params`` maps a key to its values (a key repeated in the URL gives several);
    ``operations`` are the known operation names; ``anchor`` ends rolling periods;
    ``items`` resolves ``seized_item`` values (default: the bundled vocabulary).
    """
    notices: list[str] = []
    regions, unknown = _split(_values(params, "region"), countries.region)
    if unknown:
        notices.append(_drop_notice("region" + ("s" if len(unknown) > 1 else ""), unknown))

    allowed = set(countries.iso3_in_regions(regions)) if regions else None
    isos, unknown, outside = [], [], []
    for value in _values(params, "country"):
        country = countries.resolve(value)
        if country is None:
            unknown.append(value)
        elif allowed is not None and country.iso3 not in allowed:
            outside.append(country.name)
        else:
            isos.append(country.iso3)
    if unknown:
        notices.append(_drop_notice("countr" + ("ies" if len(unknown) > 1 else "y"), unknown))
    if outside:
        notices.append(f"Ignored countries outside the chosen regions: {', '.join(outside)}.")

    areas, unknown = _split(_values(params, "crime_area"), taxonomy.resolve)
    if unknown:
        notices.append(_drop_notice("crime area" + ("s" if len(unknown) > 1 else ""), unknown))

    known_ops = {" ".join(o.split()).lower(): o for o in operations}
    ops, unknown = _split(_values(params, "operation"), lambda v: known_ops.get(" ".join(v.split()).lower()))
    if unknown:
        notices.append(_drop_notice("operation" + ("s" if len(unknown) > 1 else ""), unknown))

    seized, unknown = _split(_values(params, "seized_item"), (items or load_seized_items()).resolve)
    if unknown:
        notices.append(_drop_notice("seized item" + ("s" if len(unknown) > 1 else ""), unknown))

    since_text, until_text = _values(params, "since")[:1], _values(params, "until")[:1]
    since = _parse_date(since_text[0], "since", notices) if since_text else None
    until = _parse_date(until_text[0], "until", notices) if until_text else None
    if since and until and until < since:
        notices.append(f"Ignored the period in the link: until {until} is before since {since}.")
        since = until = None
    period_text = (_values(params, "period") or [""])[0]
    if since or until:
        period = CUSTOM
    elif period_text in PERIODS and period_text != CUSTOM:
        period = period_text
        since, until = period_range(period, anchor)
    elif calendar_range(period_text) is not None:
        period = period_text.upper()
        since, until = calendar_range(period)  # type: ignore[misc]
    else:
        if period_text:
            notices.append(f"Ignored unknown period {period_text!r} in the link: use one of "
                           f"{', '.join(p for p in PERIODS if p != CUSTOM)}, a year (2018) or a quarter (2018-Q3).")
        period = DEFAULT_PERIOD
        since, until = period_range(period, anchor)
    flt = Filter(regions=tuple(dict.fromkeys(regions)), countries=tuple(dict.fromkeys(isos)),
                 crime_areas=tuple(dict.fromkeys(areas)), operations=tuple(dict.fromkeys(ops)),
                 seized_items=tuple(dict.fromkeys(seized)), since=since, until=until)
    return flt, period, notices


def params_from_filter(flt: Filter, period: str) -> dict[str, list[str]]:
    """The query parameters that restore ``flt``: presets by name (rolling), custom dates frozen.

    The default period (last 12 months) is left out, so an unfiltered view has a bare URL.
    """
    params: dict[str, list[str]] = {}
    for key, values in (("region", flt.regions), ("country", flt.countries),
                        ("crime_area", flt.crime_areas), ("operation", flt.operations),
                        ("seized_item", flt.seized_items)):
        if values:
            params[key] = list(values)
    if period == CUSTOM:
        if flt.since:
            params["since"] = [flt.since.isoformat()]
        if flt.until:
            params["until"] = [flt.until.isoformat()]
    elif period != DEFAULT_PERIOD:
        params["period"] = [period]
    return params


def describe_filter(flt: Filter, period: str, country_name: Mapping[str, str] | None = None) -> str:
    """One line naming the active filters, e.g. 'Europe · Drug trafficking · 1 Jan 2018 - 31 Dec 2018'."""
    parts: list[str] = []
    if flt.regions:
        parts.append(", ".join(flt.regions))
    if flt.countries:
        names = country_name or {}
        parts.append(", ".join(names.get(c, c) for c in flt.countries))
    if flt.crime_areas:
        parts.append(", ".join(flt.crime_areas))
    if flt.operations:
        parts.append(", ".join(flt.operations))
    if flt.seized_items:
        parts.append("seized " + ", ".join(flt.seized_items))
    if not parts:
        parts.append("All regions, countries, crime areas and operations")
    parts.append(describe_period(flt, period))
    return " · ".join(parts)


def format_day(day: dt.date) -> str:
    """A date as '1 Jan 2018'."""
    return f"{day.day} {day.strftime('%b %Y')}"


def describe_period(flt: Filter, period: str) -> str:
    """The period in words with its explicit dates."""
    if flt.since is None and flt.until is None:
        return "all time"
    since = format_day(flt.since) if flt.since else "the start"
    until = format_day(flt.until) if flt.until else "the latest record"
    label = PERIODS.get(period) or calendar_label(period) or ""
    dates = f"{since} – {until}"
    return dates if period == CUSTOM or not label else f"{label.lower()} ({dates})"


# Calendar periods: a year ("2018") or a quarter ("2018-Q3"), frozen like explicit dates.
COMPARISONS: dict[str, str] = {"previous": "Previous period", "last-year": "Same period last year"}
DEFAULT_COMPARISON = "previous"


def calendar_range(key: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a calendar period key ("2018", "2018-Q3"); None for anything else."""
    text = key.strip().upper()
    year_text, _, quarter_text = text.partition("-Q")
    if not (year_text.isdigit() and len(year_text) == 4 and 1900 <= int(year_text) <= 2100):
        return None
    year = int(year_text)
    if not _:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if quarter_text not in ("1", "2", "3", "4"):
        return None
    first_month = 3 * int(quarter_text) - 2
    last_day = _months_back(dt.date(year, first_month, 1), -3) - dt.timedelta(days=1)
    return dt.date(year, first_month, 1), last_day


def calendar_label(key: str) -> str | None:
    """'2018' for a year, 'Q3 2018' for a quarter key, None for anything else."""
    if calendar_range(key) is None:
        return None
    year, _, quarter = key.upper().partition("-Q")
    return f"Q{quarter} {year}" if quarter else year


def calendar_periods(months: Iterable[int]) -> list[str]:
    """The years and quarters that hold records (``months`` as YYYYMM numbers), latest first:
    each year followed by its quarters."""
    keys: dict[int, set[int]] = {}
    for month in months:
        keys.setdefault(int(month) // 100, set()).add((int(month) % 100 - 1) // 3 + 1)
    return [key for year in sorted(keys, reverse=True)
            for key in (str(year), *(f"{year}-Q{q}" for q in sorted(keys[year], reverse=True)))]


def same_period_last_year(flt: Filter) -> Filter | None:
    """The same filter one year earlier (29 February becomes 28 February); None without both dates."""
    if flt.since is None or flt.until is None:
        return None

    def back(day: dt.date) -> dt.date:
        return _months_back(day, 12)

    return replace(flt, since=back(flt.since), until=back(flt.until))


def _previous_calendar(flt: Filter) -> Filter | None:
    """The quarter (year) before, when ``flt`` covers exactly one calendar quarter (year)."""
    if flt.since is None or flt.until is None or flt.since.day != 1:
        return None
    for months in (3, 12):
        if (flt.since.month - 1) % months == 0 and \
                _months_back(flt.since, -months) - dt.timedelta(days=1) == flt.until:
            return replace(flt, since=_months_back(flt.since, months), until=flt.since - dt.timedelta(days=1))
    return None


def comparison_filter(flt: Filter, compare: str) -> Filter | None:
    """The filter figures are compared with: the previous period (the quarter or year before
    for a calendar quarter or year, else the period of equal length just before), or the
    same period last year (``compare`` = "last-year"); None when the period is open (all time)."""
    if compare == "last-year":
        return same_period_last_year(flt)
    return _previous_calendar(flt) or flt.previous_period()


def compare_from_params(params: Mapping[str, Sequence[str] | str]) -> tuple[str, list[str]]:
    """The comparison a link names (``compare=last-year``), with a notice for an unknown one."""
    text = (_values(params, "compare") or [DEFAULT_COMPARISON])[0]
    if text in COMPARISONS:
        return text, []
    return DEFAULT_COMPARISON, [f"Ignored unknown comparison {text!r} in the link: use compare=last-year."]


def compare_params(compare: str) -> dict[str, list[str]]:
    """The query parameter of a comparison (none for the default)."""
    return {} if compare == DEFAULT_COMPARISON else {"compare": [compare]}
