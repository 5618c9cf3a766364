"""`ocops-dashboard`: start the Streamlit dashboard of this installation.

The same as ``streamlit run dashboard.py`` in a checkout, for an installed
package too (the wheel carries the dashboard as ``ocops/app``). Streamlit only
reads ``.streamlit/config.toml`` from the working folder, so the shipped secure,
offline defaults are passed as command-line options; a ``.streamlit/config.toml``
in the working folder and any extra arguments (``--server.port 8502``) still win
over them. Streamlit runs in its own process: the library never imports it.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from ocops.config import APP_DIR


def config_options(path: Path) -> list[str]:
    """``--section.option=value`` for every setting of a Streamlit config file (empty if none)."""
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        config = tomllib.load(handle)
    options = []
    for section, values in config.items():
        for name, value in values.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            options.append(f"--{section}.{name}={text}")
    return options


def command(args: Sequence[str] = ()) -> list[str]:
    """The streamlit command line that serves this installation's dashboard."""
    local = Path.cwd() / ".streamlit" / "config.toml"
    shipped = APP_DIR / ".streamlit" / "config.toml"
    defaults = [] if local.is_file() else config_options(shipped)
    return [sys.executable, "-m", "streamlit", "run", str(APP_DIR / "dashboard.py"), *defaults, *args]


def main() -> None:
    """Replace this process by the Streamlit server (extra arguments go to ``streamlit run``)."""
    argv = command(sys.argv[1:])
    os.execv(argv[0], argv)
