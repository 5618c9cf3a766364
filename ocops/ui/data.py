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

from ocops import queries, snapshot, views
from ocops.config import Settings, load_settings
from ocops.geo import CountryIndex, load_countries
from ocops.importer import Vocabulary, load_sample_if_empty
from ocops.queries import Filter
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
    compare: str = "previous"  # what deltas compare with: ocops.links.COMPARISONS

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
def vocabulary(countries_file: str, regions_file: str, crime_areas_file: str) -> Vocabulary:
    """Countries (with regions) and crime areas."""
    return Vocabulary(load_countries(countries_file, regions_file), load_taxonomy(crime_areas_file))


@st.cache_resource(show_spinner="Opening the store…")
def store(url: str, load_sample: bool, sample_file: str, _vocabulary: Vocabulary) -> Engine:
    """An engine on the upgraded store; on first start an empty store gets the sample."""
    engine = open_store(url)
    if load_sample:
        load_sample_if_empty(engine, Path(sample_file), _vocabulary)
    return engine


@st.cache_resource(max_entries=2, show_spinner="Loading records…")
def _frame(store_key: str, version: int, _engine: Engine, _cache_dir: Path | None) -> pd.DataFrame:
    return snapshot.cached_frame(_engine, _cache_dir)


@st.cache_data(max_entries=4, show_spinner=False)
def _status(store_key: str, version: int, _engine: Engine) -> dict[str, Any]:
    return views.data_status(_engine)


def load_context() -> Context:
    """Settings, store, vocabulary and the frame of the current data version (no filter yet)."""
    config = settings()
    vocab = vocabulary(str(config.countries_file), str(config.regions_file), str(config.crime_areas_file))
    engine = store(config.database_url, config.load_sample, str(config.sample_file), vocab)
    version = data_version(engine)
    key = str(engine.url)
    return Context(config, engine, vocab, version, _frame(key, version, engine, config.cache_dir), _status(key, version, engine))


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
    _frame.clear()
    _status.clear()
    _view.clear()


@st.cache_data(max_entries=128, show_spinner=False)
def _view(name: str, store_key: str, version: int, flt: Filter, args: tuple[Any, ...],
          _frame: pd.DataFrame, _countries: CountryIndex) -> Any:
    return getattr(views, name)(_frame, flt, _countries, *args)


def view(context: Context, name: str, *args: Any, flt: Filter | None = None) -> Any:
    """``ocops.views.<name>(frame, filter, countries, *args)``, cached per data version and filter."""
    return _view(name, context.store_key, context.version, flt or context.flt, tuple(args),
                 context.frame, context.countries)


def anchor_day(context: Context) -> dt.date:
    """The day rolling periods end on: the latest record date (today for an empty store)."""
    return views.latest_date(context.frame) or dt.date.today()
