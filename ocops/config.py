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

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
DEFAULT_SECRETS = PROJECT_DIR / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Settings:
    """Everything ocops needs to know about its deployment."""

    database_url: str
    countries_file: Path = DATA_DIR / "countries.csv"
    regions_file: Path = DATA_DIR / "regions.csv"
    crime_areas_file: Path = DATA_DIR / "crime_areas.csv"
    sample_file: Path = DATA_DIR / "sample_operations.csv"
    cache_dir: Path | None = DATA_DIR / "cache"  # local frame copies (ocops.snapshot); None: off
    max_upload_mb: int = 200
    load_sample: bool = True
    user: str = "unknown"
    report_marking: str = ""  # e.g. "OFFICIAL - SENSITIVE": top and bottom of every briefing page

    @property
    def max_upload_bytes(self) -> int:
        """The upload/import size limit in bytes."""
        return self.max_upload_mb * 1024 * 1024


def default_database_url() -> str:
    """The zero-set-up store: an SQLite file in the project's data folder."""
    return f"sqlite:///{DATA_DIR / 'ocops.db'}"


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

    url = database_url or pick("OCOPS_DATABASE_URL", "database_url") or default_database_url()
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
    for name in ("countries_file", "regions_file", "crime_areas_file", "sample_file"):
        value = pick(f"OCOPS_{name.upper()}", name)
        if value:
            fields[name] = Path(str(value))
    cache_dir = pick("OCOPS_CACHE_DIR", "cache_dir")
    if cache_dir is not None:
        text = str(cache_dir).strip()
        fields["cache_dir"] = None if text.lower() in {"", "none", "off"} else Path(text)
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
