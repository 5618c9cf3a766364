"""The shared sidebar filters and their two-way sync with the URL.

A link is applied to the widgets on a session's first run, or when the URL
holds parameters that differ from the ones last written (a pasted link).
Every run then writes the widgets' filter back to ``st.query_params``, because
page navigation drops the query string. Parsing rules live in ``ocops.links``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import streamlit as st

from ocops import links
from ocops.markup import plain
from ocops.queries import Filter
from ocops.schema import EARLIEST_DATE, LATEST_DATE
from ocops.ui.data import Context, anchor_day
from ocops.ui.share import copy_link_button

REGION, COUNTRY, AREA, OPERATION, PERIOD, RANGE = ("f_region", "f_country", "f_crime_area", "f_operation",
                                                   "f_period", "f_range")
ITEM, COMPARE = "f_seized_item", "f_compare"
WRITTEN = "_ocops_params"        # the query parameters of the current filter, as last written
NOTICES = "_ocops_notices"       # (notices, params they belong to)
LAST_RANGE = "_ocops_last_range"
EARLIEST, LATEST = EARLIEST_DATE, LATEST_DATE  # the date widget offers the dates a record may carry


def _url_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in links.KEYS if st.query_params.get_all(key)}


def _operations(context: Context) -> list[str]:
    return list(context.facts.operations)


def _set_widgets(flt: Filter, period: str) -> None:
    state = st.session_state
    state[REGION], state[COUNTRY] = list(flt.regions), list(flt.countries)
    state[AREA], state[OPERATION] = list(flt.crime_areas), list(flt.operations)
    state[ITEM] = list(flt.seized_items)
    state[PERIOD] = period
    if period == links.CUSTOM:
        since = flt.since or (EARLIEST if flt.until else None)  # "until" alone: everything up to that day
        state[RANGE] = tuple(d for d in (since, flt.until) if d is not None)


def reset_filters() -> None:
    """Back to no filter over the default period (a button callback)."""
    _set_widgets(Filter(), links.DEFAULT_PERIOD)
    st.session_state[COMPARE] = links.DEFAULT_COMPARISON
    st.session_state.pop(NOTICES, None)


def _seed_custom_range() -> None:
    if st.session_state.get(PERIOD) == links.CUSTOM:
        st.session_state[RANGE] = st.session_state.get(LAST_RANGE) or ()


def _apply_link(context: Context) -> None:
    url = _url_params()
    state = st.session_state
    if WRITTEN in state and (not url or url == state[WRITTEN]):
        return
    flt, period, notices = links.filter_from_params(url, context.countries, context.vocabulary.taxonomy,
                                                    _operations(context), anchor_day(context),
                                                    context.vocabulary.items)
    _set_widgets(flt, period)
    state[COMPARE], compare_notices = links.compare_from_params(url)
    state[NOTICES] = (notices + compare_notices,
                      links.params_from_filter(flt, period) | links.compare_params(state[COMPARE]))


def _render_widgets(context: Context) -> None:
    countries, state = context.countries, st.session_state
    sidebar = st.sidebar
    region_options, in_scope = scoped_regions(context), context.scope.allows  # a link or click only narrows the scope
    state[REGION] = [r for r in state.get(REGION, []) if r in set(region_options)]
    sidebar.multiselect("Region", region_options, key=REGION, placeholder="All regions")
    chosen_regions = state.get(REGION) or []
    country_options = [c for c in (countries.iso3_in_regions(chosen_regions) if chosen_regions else
                                   [c.iso3 for c in countries.countries()]) if in_scope(c)]
    state[COUNTRY] = [c for c in state.get(COUNTRY, []) if c in set(country_options)]
    sidebar.multiselect("Country", country_options, key=COUNTRY, placeholder="All countries",
                        format_func=lambda iso3: countries.get(iso3).name)
    sidebar.multiselect("Crime area", list(context.vocabulary.taxonomy.areas), key=AREA,
                        placeholder="All crime areas")
    operations = _operations(context)
    state[OPERATION] = [o for o in state.get(OPERATION, []) if o in set(operations)]
    sidebar.multiselect("Operation", operations, key=OPERATION, placeholder="All operations (type to search)")
    sidebar.multiselect("Seized item", list(context.vocabulary.items.items), key=ITEM, placeholder="All seized items")
    sidebar.selectbox("Period", _period_options(context), key=PERIOD, on_change=_seed_custom_range,
                      format_func=lambda p: links.PERIODS.get(p) or links.calendar_label(p) or p)
    if state[PERIOD] == links.CUSTOM:
        sidebar.date_input("From – to", key=RANGE, min_value=EARLIEST, max_value=LATEST, format="YYYY-MM-DD",
                           help="Pick two days in the calendar, or type them (year, month, day) and click outside "
                                "the field: typed dates apply when you leave it. For a calendar year or quarter, "
                                "choose it in Period.")


def scoped_regions(context: Context) -> list[str]:
    """The regions the user's scope touches (every region without a scope)."""
    scope, countries = context.scope, context.countries
    return [r for r in countries.regions() if any(scope.allows(c) for c in countries.iso3_in_regions([r]))]


def _filter_from_widgets(context: Context) -> tuple[Filter, str]:
    state = st.session_state
    period = state[PERIOD]
    if period == links.CUSTOM:
        chosen = tuple(state.get(RANGE) or ())
        since = chosen[0] if chosen else None
        until = chosen[1] if len(chosen) > 1 else None
    else:
        since, until = links.calendar_range(period) or links.period_range(period, anchor_day(context))
    flt = Filter(regions=tuple(state[REGION]), countries=tuple(state[COUNTRY]),
                 crime_areas=tuple(state[AREA]), operations=tuple(state[OPERATION]),
                 seized_items=tuple(state[ITEM]), since=since, until=until)
    return flt, period


def keep_filters(context: Context) -> Context:
    """On a page without the filters: keep their values for the next page (Streamlit forgets the
    state of widgets a run does not draw); the context unchanged."""
    for key in (REGION, COUNTRY, AREA, OPERATION, ITEM, PERIOD, RANGE, COMPARE):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    return context


def sidebar_filters(context: Context) -> Context:
    """Apply a link if one was opened, draw the filters, write the URL; the context with the filter."""
    _apply_link(context)
    state = st.session_state
    for key, default in ((REGION, []), (COUNTRY, []), (AREA, []), (OPERATION, []), (ITEM, []),
                         (PERIOD, links.DEFAULT_PERIOD), (COMPARE, links.DEFAULT_COMPARISON)):
        state.setdefault(key, default)
    _render_widgets(context)
    flt, period = _filter_from_widgets(context)
    st.sidebar.caption(links.describe_period(flt, period))
    compare = _compare_widget(flt)
    st.sidebar.button("Reset filters", on_click=reset_filters, icon=":material/restart_alt:")
    copy_link_button()
    last_range = tuple(d for d in (flt.since, flt.until) if d is not None) or \
        tuple(d for d in (_first_day(context), anchor_day(context)) if d is not None)
    state[LAST_RANGE] = tuple(min(max(d, EARLIEST), LATEST) for d in last_range)  # a store may predate the range
    params = links.params_from_filter(flt, period) | links.compare_params(compare)
    if _url_params() != params:
        st.query_params.from_dict(params)
    state[WRITTEN] = params
    notices, for_params = state.get(NOTICES, ([], None))
    for notice in notices if for_params == params else []:
        st.warning(plain(notice), icon=":material/link_off:")
    return replace(context, flt=flt, period=period, compare=compare)


def _first_day(context: Context) -> dt.date | None:
    return context.facts.first_day


def _period_options(context: Context) -> list[str]:
    """The rolling presets, then each calendar year and quarter that has records (latest
    first), then the custom range; a linked calendar period without records is kept."""
    calendar = links.calendar_periods(context.facts.months)
    chosen = st.session_state.get(PERIOD)
    if chosen and chosen not in links.PERIODS and chosen not in calendar:
        calendar.insert(0, chosen)
    presets = [p for p in links.PERIODS if p != links.CUSTOM]
    return [*presets, *calendar, links.CUSTOM]


def _compare_widget(flt: Filter) -> str:
    """The "Compare with" choice (previous period or same period last year), shown only when
    the period has both dates; all time compares with nothing."""
    if flt.since is None or flt.until is None:
        return str(st.session_state.get(COMPARE) or links.DEFAULT_COMPARISON)
    return str(st.sidebar.selectbox("Compare with", [*links.COMPARISONS], key=COMPARE,
                                    format_func=lambda key: links.COMPARISONS[key]))
