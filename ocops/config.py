"""Typed settings, read once from the environment and `.streamlit/secrets.toml`.

Precedence: explicit argument (``--db``) > environment variable >
``[ocops]`` table of ``.streamlit/secrets.toml`` > default.
"""

from __future__ import annotations

import getpass
import json
import os
import tomllib
from collections.abc import Callable, Mapping
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


# Provider claim value -> ocops role (the default: the roles by name).
DEFAULT_ROLE_VALUES: tuple[tuple[str, str], ...] = (
    ("viewer", "viewer"), ("analyst", "analyst"), ("data_officer", "data officer"),
    ("data officer", "data officer"), ("admin", "admin"))


@dataclass(frozen=True)
class AuthSettings:
    """How the identity provider's claims name a user's role and scope (used when [auth] is configured)."""

    user_claim: str = "email"          # the name recorded in the audit log (falls back to "sub")
    roles_claim: str = "roles"         # dotted paths reach nested claims: "realm_access.roles"
    regions_claim: str = "regions"     # region names (or values of scope_values)
    countries_claim: str = "countries"  # country names or ISO codes (or values of scope_values)
    all_value: str = "*"               # a scope value meaning every region and country
    role_values: tuple[tuple[str, str], ...] = DEFAULT_ROLE_VALUES
    scope_values: tuple[tuple[str, str], ...] = ()  # provider value -> region name or country
    session_max_age_hours: float = 12.0


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
    auth: AuthSettings = AuthSettings()

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


def _pairs(value: object, name: str) -> tuple[tuple[str, str], ...]:
    """A {provider value: ocops value} table (a TOML table or a JSON object in the environment)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{name} must be a JSON object such as {{\"ocops-viewer\": \"viewer\"}}.") from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{name} must map each provider value to one text, e.g. {{\"ocops-viewer\": \"viewer\"}}.")
    return tuple((str(k), v) for k, v in value.items())


def load_auth_settings(pick: Callable[[str, str], object | None]) -> AuthSettings:
    """The claims mapping and session age from OCOPS_* variables or the [ocops] secrets table."""
    fields: dict[str, object] = {}
    for name in ("user_claim", "roles_claim", "regions_claim", "countries_claim", "all_value"):
        value = pick(f"OCOPS_{name.upper()}", name)
        if value is not None and str(value).strip():
            fields[name] = str(value).strip()
    for name in ("role_values", "scope_values"):
        value = pick(f"OCOPS_{name.upper()}", name)
        if value is not None:
            fields[name] = _pairs(value, f"OCOPS_{name.upper()}")
    roles = {role for _value, role in fields.get("role_values", DEFAULT_ROLE_VALUES)}  # type: ignore[attr-defined]
    unknown = sorted(roles - {"viewer", "analyst", "data officer", "admin"})
    if unknown:
        raise ConfigError(f"role_values names unknown roles ({', '.join(unknown)}): "
                          "use viewer, analyst, data officer or admin.")
    hours = pick("OCOPS_SESSION_MAX_AGE_HOURS", "session_max_age_hours")
    if hours is not None:
        try:
            fields["session_max_age_hours"] = float(str(hours))
            if not fields["session_max_age_hours"] > 0:  # type: ignore[operator]
                raise ValueError(hours)
        except ValueError as exc:
            raise ConfigError(f"OCOPS_SESSION_MAX_AGE_HOURS must be a positive number of hours, not '{hours}'.") \
                from exc
    return AuthSettings(**fields)  # type: ignore[arg-type]


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
        auth=load_auth_settings(pick),
        **fields,  # type: ignore[arg-type]
    )
