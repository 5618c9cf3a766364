"""The store, the in-memory frame and cached views, shared by every page.

The data version is read on every rerun (one cheap SELECT); the frame is
reloaded only when it changed, so an import through the CLI or another
replica shows up on the next rerun.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from ocops import charts, maps, queries, snapshot, views
from ocops.auth import EVERYTHING, Identity, Scope, local_identity, scope_frame
from ocops.config import Settings, load_settings
from ocops.geo import CountryIndex, load_countries
from ocops.importer import Vocabulary, load_sample_if_empty
from ocops.queries import Filter
from ocops.seized_items import load_seized_items
from ocops.store import data_version, open_store
from ocops.taxonomy import load_taxonomy

CONTEXT_KEY = "_ocops_context"


@dataclass(frozen=True)
class Context:
    """What a page needs: the store, its current frame and the shared filter."""

    settings: Settings
    engine: Engine
    vocabulary: Vocabulary
    version: int
    frame: pd.DataFrame
    status: dict[str, Any]
    flt: Filter = Filter()
    period: str = "last-12-months"
    identity: Identity = local_identity("unknown")  # frame holds only identity.scope's records
    compare: str = "previous"  # what deltas compare with: ocops.links.COMPARISONS
    facts: views.FrameFacts = views.FrameFacts(None, None, (), ())  # of ``frame``, found once per version

    @property
    def scope(self) -> Scope:
        """The signed-in user's scope (everything without sign-in)."""
        return self.identity.scope or EVERYTHING

    @property
    def countries(self) -> CountryIndex:
        """The country index (regions included)."""
        return self.vocabulary.countries

    @property
    def store_key(self) -> str:
        """Identifies the store in cache keys."""
        return str(self.engine.url)

    def selected(self) -> pd.DataFrame:
        """The frame rows the shared filter selects."""
        return queries.select(self.frame, self.flt, self.countries)


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The deployment settings, read once per process."""
    return load_settings()


@st.cache_resource(show_spinner=False)
def vocabulary(countries_file: str, regions_file: str, crime_areas_file: str, seized_items_file: str) -> Vocabulary:
    """Countries (with regions), crime areas and seized items."""
    return Vocabulary(load_countries(Path(countries_file), Path(regions_file)), load_taxonomy(Path(crime_areas_file)),
                      load_seized_items(Path(seized_items_file)))


@st.cache_resource(show_spinner="Opening the store…")
def store(url: str, load_sample: bool, sample_file: str, _vocabulary: Vocabulary) -> Engine:
    """An engine on the upgraded store; on first start an empty store gets the sample."""
    engine = open_store(url)
    if load_sample:
        load_sample_if_empty(engine, Path(sample_file), _vocabulary)
    return engine


@st.cache_resource(show_spinner=False)
def _latest(store_key: str) -> dict[str, pd.DataFrame]:
    """The newest frame this process holds of a store: the next version is built from it."""
    return {}


@st.cache_resource(max_entries=2, show_spinner="Loading records…")
def _frame(store_key: str, version: int, _engine: Engine, _cache_dir: Path | None) -> pd.DataFrame:
    latest = _latest(store_key)
    frame = snapshot.cached_frame(_engine, _cache_dir, write_in_background=True, previous=latest.get("frame"))
    latest["frame"] = frame
    return frame


@st.cache_data(max_entries=4, show_spinner=False)
def _status(store_key: str, version: int, _engine: Engine) -> dict[str, Any]:
    return views.data_status(_engine)


def opened() -> tuple[Settings, Vocabulary, Engine]:
    """Settings, vocabulary and the upgraded store (no records read yet)."""
    config = settings()
    vocab = vocabulary(str(config.countries_file), str(config.regions_file), str(config.crime_areas_file),
                       str(config.seized_items_file))
    return config, vocab, store(config.database_url, config.load_sample, str(config.sample_file), vocab)


@st.cache_resource(max_entries=8, show_spinner=False)
def _scoped(store_key: str, version: int, scope: Scope, _frame: pd.DataFrame) -> pd.DataFrame:
    return scope_frame(_frame, scope)


@st.cache_resource(max_entries=8, show_spinner=False)
def _facts(store_key: str, version: int, scope: Scope, _frame: pd.DataFrame) -> views.FrameFacts:
    return views.frame_facts(_frame)


def load_context(identity: Identity) -> Context:
    """Settings, store, vocabulary and the frame of the current data version, cut to the user's scope
    here, once, before any filter or URL parameter is read (no filter yet). The identity is required:
    there is no unscoped way to get a Context."""
    config, vocab, engine = opened()
    version = data_version(engine)
    key = str(engine.url)
    scope = identity.scope or EVERYTHING
    frame = _scoped(key, version, scope, _frame(key, version, engine, config.cache_dir))
    return Context(config, engine, vocab, version, frame, _status(key, version, engine), identity=identity,
                   facts=_facts(key, version, scope, frame))


def publish(context: Context) -> None:
    """Hand the filtered context to the page about to run."""
    st.session_state[CONTEXT_KEY] = context


def page_context() -> Context:
    """The context the router prepared for this run; pages call this once, first.

    A page file run without the router (the legacy ``pages/`` mode Streamlit starts in,
    see ``ocops.ui.router``) runs the router here, which runs this page again behind
    it, and stops this outer run.
    """
    context = st.session_state.pop(CONTEXT_KEY, None)
    if context is not None:
        return context
    from ocops.ui import router  # the router imports this module

    router.run()
    st.stop()
    raise AssertionError("unreachable")


def clear_caches() -> None:
    """Forget the cached frame, status and views, e.g. right after an import or a batch removal."""
    _frame.clear()  # _latest stays: the next frame is built from it, whatever changed
    _scoped.clear()
    _facts.clear()
    _status.clear()
    _view.clear()
    _map.clear()
    _figure.clear()


@st.cache_data(max_entries=128, show_spinner=False)
def _view(name: str, store_key: str, version: int, scope: Scope, flt: Filter, args: tuple[Any, ...],
          _frame: pd.DataFrame, _countries: CountryIndex) -> Any:
    return getattr(views, name)(_frame, flt, _countries, *args)


def view(context: Context, name: str, *args: Any, flt: Filter | None = None) -> Any:
    """``ocops.views.<name>(frame, filter, countries, *args)``, cached per data version, scope and filter."""
    return _view(name, context.store_key, context.version, context.scope, flt or context.flt, tuple(args),
                 context.frame, context.countries)


@st.cache_resource(max_entries=64, show_spinner=False)
def _figure(builder: str, name: str, store_key: str, version: int, scope: Scope, flt: Filter, args: tuple[Any, ...],
            chart_args: tuple[Any, ...], _frame: pd.DataFrame, _countries: CountryIndex) -> Any:
    table = _view(name, store_key, version, scope, flt, args, _frame, _countries)
    return getattr(charts, builder)(table, *chart_args)


def figure(context: Context, builder: str, name: str, args: tuple[Any, ...] = (), *chart_args: Any) -> Any:
    """``ocops.charts.<builder>(view(name, *args), *chart_args)``: a chart of a view, built once per
    data version, scope, filter and arguments, not on every rerun (Streamlit only serialises it)."""
    return _figure(builder, name, context.store_key, context.version, context.scope, context.flt, tuple(args),
                   tuple(chart_args), context.frame, context.countries)


@st.cache_resource(max_entries=32, show_spinner=False)
def _map(name: str, store_key: str, version: int, scope: Scope, flt: Filter, args: tuple[Any, ...],
         _frame: pd.DataFrame, _countries: CountryIndex, _extra: tuple[Any, ...]) -> Any:
    return getattr(maps, name)(_frame, flt, _countries, *args, *_extra)


def map_view(context: Context, name: str, *args: Any, extra: tuple[Any, ...] = ()) -> Any:
    """``ocops.maps.<name>(frame, filter, countries, *args, *extra)``, kept per data version, scope,
    filter and ``args`` (a deck is built once, not on every rerun). ``extra`` must follow from the
    others (e.g. the points of the same filter): it is not part of the key."""
    return _map(name, context.store_key, context.version, context.scope, context.flt, tuple(args),
                context.frame, context.countries, extra)


def anchor_day(context: Context) -> dt.date:
    """The day rolling periods end on: the latest record date (today for an empty store)."""
    return context.facts.last_day or dt.date.today()
