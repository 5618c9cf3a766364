"""Shared fixtures: real stores (SQLite and PostgreSQL) and the vocabularies.

PostgreSQL: ``OCOPS_TEST_PG`` (default postgresql://postgres@127.0.0.1:5432/test).
Each test gets its own schema, dropped afterwards. Under ``CI=true`` an
unreachable PostgreSQL (or a missing browser) fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.geo import CountryIndex, load_countries
from ocops.importer import Vocabulary
from ocops.store import open_store
from ocops.taxonomy import Taxonomy, load_taxonomy
from tests.counting import Calls

PG_URL = os.environ.get("OCOPS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path("/usr/bin/chromium")
FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent
# The project's shared folder (CONTRACT.md, realdata/) sits beside the checkout.
REALDATA = next((p for p in (ROOT.parent / "shared" / "realdata", Path("/work/shared/realdata")) if p.is_dir()),
                ROOT.parent / "shared" / "realdata")


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Frame copies (ocops.snapshot) go to a temporary folder, not the project's data/."""
    previous = os.environ.get("OCOPS_CACHE_DIR")
    os.environ["OCOPS_CACHE_DIR"] = str(tmp_path_factory.mktemp("frame-cache"))
    yield
    if previous is None:
        os.environ.pop("OCOPS_CACHE_DIR", None)
    else:
        os.environ["OCOPS_CACHE_DIR"] = previous


def require(condition: bool, why: str) -> None:
    """Skip locally, fail in CI, when a real dependency is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: a missing dependency is a failure, not a skip)")
    pytest.skip(why)


def _pg_reachable() -> bool:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except sa.exc.SQLAlchemyError:
        return False


@pytest.fixture(scope="session")
def pg_available() -> bool:
    """Whether the test PostgreSQL answers."""
    return _pg_reachable()


def _pg_schema_url(schema: str) -> str:
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[str]:
    """A URL of a new, empty store: SQLite file or a fresh PostgreSQL schema."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ocops.db'}"
        return
    require(pg_available, f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses a store runs on SQLite and on PostgreSQL."""
    chosen = any(m.args and "store_url" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize"))
    if "store_url" in metafunc.fixturenames and not chosen:  # a test may name its store kinds itself
        metafunc.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An upgraded, empty store."""
    engine = open_store(store_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def countries() -> CountryIndex:
    """The bundled country index."""
    return load_countries()


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    """The bundled crime-area taxonomy."""
    return load_taxonomy()


@pytest.fixture(scope="session")
def vocabulary(countries: CountryIndex, taxonomy: Taxonomy) -> Vocabulary:
    """Countries and crime areas, as the importer needs them."""
    return Vocabulary(countries, taxonomy)


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium for Playwright (never downloaded)."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium")
    return CHROMIUM


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """The dashboard on a fresh SQLite store with the sample loaded, served on a free port."""
    from tests.browser import serve_dashboard

    with serve_dashboard({"OCOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'ocops.db'}",
                          "OCOPS_LOAD_SAMPLE": "true"}) as url:
        yield url


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """The dashboard's fixture store (tests/test_app_pages.py), with every computation counted."""
    import streamlit as st

    from tests.test_app_pages import _store

    _store(tmp_path, monkeypatch, load=True)
    yield Calls(monkeypatch)
    st.cache_resource.clear()
