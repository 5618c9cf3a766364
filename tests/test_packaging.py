"""The installable package: what the wheel carries, the lock against the declared ranges, and
(slow) a wheel installed outside the checkout running the command line and the dashboard."""

from __future__ import annotations

import csv
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ocops import serve

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
MAPPED = {"ocops.data": "data", "ocops.app": "."}  # top-level folders the wheel carries inside ocops/


def _pins(name: str) -> dict[str, str]:
    """name -> version of every `name==version` line (comments and -r lines skipped)."""
    pins = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{name}: {line} is not pinned with =="
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def test_the_wheel_lists_every_package_of_the_source_tree() -> None:
    """A new subpackage (a folder of .py files under ocops/) must be added to [tool.setuptools] packages."""
    found = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "ocops").rglob("*.py")
             if "__pycache__" not in path.parts}
    assert set(SETUPTOOLS["packages"]) == found | set(MAPPED)
    assert {k: v for k, v in SETUPTOOLS["package-dir"].items() if k in MAPPED} == MAPPED


def test_the_wheel_carries_every_data_file_and_page() -> None:
    patterns = SETUPTOOLS["package-data"]
    shipped = [path for path in (ROOT / "data").rglob("*") if path.is_file()
               and "cache" not in path.relative_to(ROOT / "data").parts and ".db" not in path.name]
    for path in shipped:
        relative = path.relative_to(ROOT / "data").as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns["ocops.data"]), relative
    assert {"countries.csv", "regions.csv", "crime_areas.csv", "sample_operations.csv",
            "world_boundaries.geojson"} <= {p.name for p in shipped}
    pages = [f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")]
    for relative in ["dashboard.py", ".streamlit/config.toml", *pages]:
        assert (ROOT / relative).is_file()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns["ocops.app"]), relative


def test_the_lock_pins_every_dependency_within_its_declared_range() -> None:
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    assert not set(runtime) & set(dev), "a package is pinned twice"
    for line in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in runtime, f"{name} is not in requirements.txt"
        assert requirement.specifier.contains(runtime[name]), f"{name}=={runtime[name]} is outside {requirement}"
        assert requirement.specifier.contains("999") is False, f"{name} has no upper bound"
    for tool in ("pytest", "pytest-xdist", "hypothesis", "playwright", "ruff", "mypy", "pandas-stubs"):
        assert tool in dev, tool


def test_the_dashboard_command_passes_the_shipped_streamlit_settings(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    argv = serve.command(["--server.port", "8600"])
    assert argv[:5] == [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py")]
    assert "--server.address=127.0.0.1" in argv and "--browser.gatherUsageStats=false" in argv
    assert "--server.enableXsrfProtection=true" in argv and "--client.showErrorDetails=none" in argv
    assert argv[-2:] == ["--server.port", "8600"]  # given last: they win
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text("[server]\nport = 9000\n", encoding="utf-8")
    assert serve.command([])[5:] == []  # a deployment's own config.toml replaces the shipped one


def _sample_totals() -> dict[str, int]:
    with (ROOT / "data" / "sample_operations.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {"records": len(rows), "arrests": sum(int(r["arrests"] or 0) for r in rows),
            "victims_rescued": sum(int(r["victims_rescued"] or 0) for r in rows)}


APP_CHECK = """
import json
from streamlit.testing.v1 import AppTest
import streamlit
import ocops.config as config
streamlit.config.set_option("server.address", "127.0.0.1")  # as ocops-dashboard passes the shipped config
at = AppTest.from_file(str(config.APP_DIR / "dashboard.py"), default_timeout=90)
at.query_params["period"] = "all-time"
at.run(timeout=90)
print(json.dumps({"installed": config.INSTALLED, "app": str(config.APP_DIR), "data": str(config.DATA_DIR),
                  "exceptions": [e.message for e in at.exception], "errors": [e.value for e in at.error],
                  "cards": {m.label: m.value for m in at.metric}}))
"""


@pytest.mark.slow
def test_an_installed_wheel_runs_the_command_line_and_the_dashboard_on_its_bundled_data(tmp_path: Path) -> None:
    """`pip install` of the wheel (into a folder, beside the locked dependencies), run outside the checkout."""
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.db", "*.db-*", "cache")
    for folder in ("ocops", "data", "pages"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "dashboard.py", ".streamlit/config.toml"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    run = {"capture_output": True, "text": True, "timeout": 600}
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(source)], **run)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("ocops-*.whl")
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                                str(wheel)], **run)
    assert installed.returncode == 0, installed.stderr
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OCOPS_", "XDG_"))}
    env.update(HOME=str(home), PYTHONPATH=str(target))
    options = {**run, "cwd": home, "env": env}

    loaded = subprocess.run([str(target / "bin" / "ocops"), "load-sample"], **options)
    assert loaded.returncode == 0, loaded.stderr
    expected = _sample_totals()
    assert json.loads(loaded.stdout)["imported"] == expected["records"] == 468
    summary = subprocess.run([str(target / "bin" / "ocops"), "summary"], **options)
    assert summary.returncode == 0, summary.stderr
    totals = json.loads(summary.stdout)["totals"]
    assert {k: totals[k] for k in expected} == expected
    assert (home / ".local" / "share" / "ocops" / "ocops.db").is_file()  # the store is outside the package
    assert list((home / ".cache" / "ocops").glob("frame-v*.parquet"))  # and so are the frame copies

    app = subprocess.run([sys.executable, "-c", APP_CHECK], **options)
    assert app.returncode == 0, app.stderr
    result = json.loads(app.stdout.strip().splitlines()[-1])
    assert result["installed"] is True
    assert result["app"] == str(target / "ocops" / "app") and result["data"] == str(target / "ocops" / "data")
    assert result["exceptions"] == [] and result["errors"] == []
    assert result["cards"]["Records"] == f"{expected['records']:,}"
    assert result["cards"]["Arrests"] == f"{expected['arrests']:,}"
