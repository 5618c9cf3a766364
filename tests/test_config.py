"""Settings: precedence (argument > environment > secrets.toml > default), URL spellings, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocops.config import DATA_DIR, default_database_url, load_settings, normalise_database_url
from ocops.errors import ConfigError


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text('[ocops]\ndatabase_url = "sqlite:////srv/from-secrets.db"\nmax_upload_mb = 50\n'
                    'load_sample = false\nregions_file = "/srv/regions.csv"\n', encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(env={}, secrets_path=tmp_path / "missing.toml")
    assert settings.database_url == f"sqlite:///{DATA_DIR / 'ocops.db'}" == default_database_url()
    assert (settings.max_upload_mb, settings.max_upload_bytes) == (200, 200 * 1024 * 1024)
    assert settings.load_sample is True
    assert settings.regions_file == DATA_DIR / "regions.csv"


def test_secrets_beat_defaults(secrets: Path) -> None:
    settings = load_settings(env={}, secrets_path=secrets)
    assert settings.database_url == "sqlite:////srv/from-secrets.db"
    assert (settings.max_upload_mb, settings.max_upload_bytes) == (50, 50 * 1024 * 1024)
    assert settings.load_sample is False
    assert settings.regions_file == Path("/srv/regions.csv")


def test_environment_beats_secrets(secrets: Path) -> None:
    env = {"OCOPS_DATABASE_URL": "sqlite:////srv/from-env.db", "OCOPS_MAX_UPLOAD_MB": "7",
           "OCOPS_LOAD_SAMPLE": "yes", "OCOPS_USER": "analyst"}
    settings = load_settings(env=env, secrets_path=secrets)
    assert settings.database_url == "sqlite:////srv/from-env.db"
    assert settings.max_upload_bytes == 7 * 1024 * 1024
    assert settings.load_sample is True
    assert settings.user == "analyst"
    assert settings.regions_file == Path("/srv/regions.csv")  # not in env: secrets still apply


def test_argument_beats_environment(secrets: Path) -> None:
    settings = load_settings(database_url="sqlite:////srv/from-arg.db",
                             env={"OCOPS_DATABASE_URL": "sqlite:////srv/from-env.db"}, secrets_path=secrets)
    assert settings.database_url == "sqlite:////srv/from-arg.db"


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@db.example:5432/ocops", "postgresql+psycopg://u:p@db.example:5432/ocops"),
    ("postgresql://u@db/ocops", "postgresql+psycopg://u@db/ocops"),
    ("postgresql+psycopg://u@db/ocops", "postgresql+psycopg://u@db/ocops"),
    ("  sqlite:///data/x.db  ", "sqlite:///data/x.db"),
])
def test_database_url_spellings(given: str, expected: str, tmp_path: Path) -> None:
    assert normalise_database_url(given) == expected
    assert load_settings(database_url=given, env={}, secrets_path=tmp_path / "none.toml").database_url == expected


def test_postgres_url_from_the_environment_is_rewritten(tmp_path: Path) -> None:
    settings = load_settings(env={"OCOPS_DATABASE_URL": "postgres://ocops@db/ocops"}, secrets_path=tmp_path / "x")
    assert settings.database_url == "postgresql+psycopg://ocops@db/ocops"


@pytest.mark.parametrize("url, fragment", [
    ("mysql://x", "Unsupported database URL 'mysql://...'"),
    ("   ", "The database URL is empty"),
])
def test_unusable_database_url(url: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        normalise_database_url(url)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("value", ["lots", "12.5", "-", "0", "-5"])
def test_bad_max_upload_mb(value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"OCOPS_MAX_UPLOAD_MB": value}, secrets_path=tmp_path / "none.toml")
    assert f"OCOPS_MAX_UPLOAD_MB must be a whole number of megabytes, not '{value}'" in str(caught.value)


def test_unreadable_secrets_file(tmp_path: Path) -> None:
    broken = tmp_path / "secrets.toml"
    broken.write_text("[ocops\ndatabase_url = ", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, secrets_path=broken)
    assert str(broken) in str(caught.value)


def test_frame_copies_default_to_the_user_cache_folder_outside_the_checkout(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert load_settings(env={}, secrets_path=missing).cache_dir == Path.home() / ".cache" / "ocops"
    assert load_settings(env={"XDG_CACHE_HOME": "/srv/cache"}, secrets_path=missing).cache_dir == Path("/srv/cache/ocops")
    assert load_settings(env={"XDG_CACHE_HOME": "relative"}, secrets_path=missing).cache_dir == (
        Path.home() / ".cache" / "ocops")  # the XDG spec ignores relative paths
    assert load_settings(env={"OCOPS_CACHE_DIR": "/srv/ocops-cache", "XDG_CACHE_HOME": "/srv/cache"},
                         secrets_path=missing).cache_dir == Path("/srv/ocops-cache")
    assert load_settings(env={"OCOPS_CACHE_DIR": "~/frames"}, secrets_path=missing).cache_dir == Path.home() / "frames"
    assert load_settings(env={"OCOPS_CACHE_DIR": "none"}, secrets_path=missing).cache_dir is None


def test_an_installed_package_keeps_its_store_outside_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import ocops.config

    monkeypatch.setattr(ocops.config, "INSTALLED", True)
    assert default_database_url({"XDG_DATA_HOME": "/srv/data"}) == "sqlite:////srv/data/ocops/ocops.db"
    assert default_database_url({}) == f"sqlite:///{Path.home() / '.local/share/ocops/ocops.db'}"


def test_without_a_home_folder_there_are_no_copies_and_an_installed_store_needs_a_url(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ocops.config

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert load_settings(env={}, secrets_path=tmp_path / "missing.toml").cache_dir is None
    monkeypatch.setattr(ocops.config, "INSTALLED", True)
    with pytest.raises(ConfigError) as refused:
        load_settings(env={}, secrets_path=tmp_path / "missing.toml")
    assert str(refused.value) == ("There is no home folder for the default store: set OCOPS_DATABASE_URL "
                                  "(e.g. sqlite:////srv/ocops/ocops.db).")
    assert load_settings(env={"OCOPS_DATABASE_URL": "sqlite:////srv/x.db"},
                         secrets_path=tmp_path / "missing.toml").database_url == "sqlite:////srv/x.db"
