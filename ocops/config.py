"""Typed settings, read once from the environment and `.streamlit/secrets.toml`.

Precedence: explicit argument (``--db``) > environment variable >
``[ocops]`` table of ``.streamlit/secrets.toml`` > default.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ocops.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
# Installed (`pip install .`): the wheel carries data/ as ocops/data and the dashboard
# (dashboard.py, pages/, .streamlit/config.toml) as ocops/app. In a checkout neither
# exists and both are the top-level folders of the project.
INSTALLED = (PACKAGE_DIR / "data" / "countries.csv").is_file()
DATA_DIR = PACKAGE_DIR / "data" if INSTALLED else PROJECT_DIR / "data"
APP_DIR = PACKAGE_DIR / "app" if INSTALLED else PROJECT_DIR
# Streamlit reads .streamlit/ from the working folder; a checkout keeps it in the project.
DEFAULT_SECRETS = (Path.cwd() if INSTALLED else PROJECT_DIR) / ".streamlit" / "secrets.toml"


def _xdg_dir(variable: str, fallback: str, env: Mapping[str, str] | None = None) -> Path:
    """$XDG_<...>_HOME/ocops, or ~/<fallback>/ocops (the XDG base directory defaults)."""
    env = os.environ if env is None else env
    base = env.get(variable, "").strip()
    return (Path(base) if base and Path(base).is_absolute() else Path.home() / fallback) / "ocops"


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """Where frame copies go unless OCOPS_CACHE_DIR says otherwise: $XDG_CACHE_HOME/ocops or
    ~/.cache/ocops (None, no copies, for a user without a home folder)."""
    try:
        return _xdg_dir("XDG_CACHE_HOME", ".cache", env)
    except RuntimeError:  # Path.home(): no HOME and no password entry
        return None


@dataclass(frozen=True)
class Settings:
    """Everything ocops needs to know about its deployment."""

    database_url: str
    countries_file: Path = DATA_DIR / "countries.csv"
    regions_file: Path = DATA_DIR / "regions.csv"
    crime_areas_file: Path = DATA_DIR / "crime_areas.csv"
    seized_items_file: Path = DATA_DIR / "seized_items.csv"
    sample_file: Path = DATA_DIR / "sample_operations.csv"
    cache_dir: Path | None = None  # local frame copies (ocops.snapshot); None: off (load_settings picks the default)
    max_upload_mb: int = 200
    load_sample: bool = True
    user: str = "unknown"
    report_marking: str = ""  # e.g. "OFFICIAL - SENSITIVE": top and bottom of every briefing page

    @property
    def max_upload_bytes(self) -> int:
        """The upload/import size limit in bytes."""
        return self.max_upload_mb * 1024 * 1024


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    """The zero-set-up store: an SQLite file in the project's data folder (a checkout), or
    $XDG_DATA_HOME/ocops/ocops.db (~/.local/share/ocops) when installed as a package."""
    if not INSTALLED:
        return f"sqlite:///{DATA_DIR / 'ocops.db'}"
    try:
        folder = _xdg_dir("XDG_DATA_HOME", ".local/share", env)
    except RuntimeError as exc:  # Path.home(): no HOME and no password entry
        raise ConfigError(
            "There is no home folder for the default store: set OCOPS_DATABASE_URL (e.g. sqlite:////srv/ocops/ocops.db)."
        ) from exc
    return f"sqlite:///{folder / 'ocops.db'}"


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and pick the psycopg 3 driver."""
    url = url.strip()
    if not url:
        raise ConfigError("The database URL is empty: give an sqlite:/// or postgresql:// URL.")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if not (url.startswith("sqlite") or url.startswith("postgresql+psycopg://")):
        raise ConfigError(
            f"Unsupported database URL '{url.split('://')[0]}://...': "
            "use sqlite:///path/to/file.db or postgresql://user@host/dbname."
        )
    return url


def _read_secrets(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read ({exc}); fix or remove it.") from exc
    table = data.get("ocops", {})
    return table if isinstance(table, dict) else {}


def _as_bool(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def load_settings(
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    secrets_path: Path = DEFAULT_SECRETS,
) -> Settings:
    """Build the settings once; pass the result down rather than re-reading it."""
    env = os.environ if env is None else env
    secrets = _read_secrets(secrets_path)

    def pick(env_name: str, secret_name: str) -> object | None:
        if env.get(env_name):
            return env[env_name]
        return secrets.get(secret_name)

    url = database_url or pick("OCOPS_DATABASE_URL", "database_url") or default_database_url(env)
    max_mb = pick("OCOPS_MAX_UPLOAD_MB", "max_upload_mb") or 200
    try:
        max_upload_mb = int(str(max_mb))
        if max_upload_mb <= 0:
            raise ValueError(max_mb)
    except ValueError as exc:
        raise ConfigError(
            f"OCOPS_MAX_UPLOAD_MB must be a whole number of megabytes, not '{max_mb}': e.g. 200."
        ) from exc
    fields: dict[str, object] = {}
    for name in ("countries_file", "regions_file", "crime_areas_file", "seized_items_file", "sample_file"):
        value = pick(f"OCOPS_{name.upper()}", name)
        if value:
            fields[name] = Path(str(value))
    cache_dir = pick("OCOPS_CACHE_DIR", "cache_dir")
    if cache_dir is None:
        fields["cache_dir"] = default_cache_dir(env)
    else:
        text = str(cache_dir).strip()
        fields["cache_dir"] = None if text.lower() in {"", "none", "off"} else Path(text).expanduser()
    load_sample = pick("OCOPS_LOAD_SAMPLE", "load_sample")
    marking = pick("OCOPS_REPORT_MARKING", "report_marking")
    if marking is not None:
        fields["report_marking"] = " ".join(str(marking).split())
    try:
        user = env.get("OCOPS_USER") or getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Settings(
        database_url=normalise_database_url(str(url)),
        max_upload_mb=max_upload_mb,
        load_sample=True if load_sample is None else _as_bool(load_sample),
        user=user,
        **fields,  # type: ignore[arg-type]
    )
