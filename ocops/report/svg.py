"""Plotly figures as inline SVG, drawn by kaleido in the system Chromium, offline.

One kaleido renderer (one Chromium) is kept alive per process and shared by every
report: starting a browser costs about two seconds, a chart on a warm one about
0.15 s. Kaleido's sync server runs one task at a time and is not safe for callers
on several threads (Streamlit runs each download in a thread of its own), so calls
are serialised by a lock. MathJax is off and plotly.js is the copy that ships with
plotly, so nothing is fetched.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import plotly
import plotly.graph_objects as go

from ocops.errors import OcopsError

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_LOCK = threading.Lock()
_NAMESPACES = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')


class ChartError(OcopsError):
    """The charts of a briefing cannot be drawn (no Chromium, or it failed)."""


def chromium_path() -> Path:
    """The Chromium kaleido drives: ``OCOPS_CHROMIUM``, else ``chromium`` on the PATH, else /usr/bin/chromium."""
    found = os.environ.get("OCOPS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return Path(found)


def _start() -> None:
    import kaleido  # imported late: kaleido pulls in choreographer and its asyncio machinery

    if kaleido._global_server.is_running():  # noqa: SLF001 - kaleido offers no public is_running()
        return
    browser = chromium_path()
    if not browser.is_file():
        raise ChartError(f"The briefing's charts need Chromium, which is not at {browser}: install it "
                         "(apt-get install chromium) or set OCOPS_CHROMIUM to its path.")
    kaleido.start_sync_server(path=str(browser), mathjax=False, plotlyjs=str(PLOTLY_JS), n=1,
                              silence_warnings=True)


def figure_svg(figure: go.Figure, width: int = 720, height: int | None = None) -> str:
    """``figure`` as an SVG element for inline use in HTML (scalable: viewBox, no namespaces)."""
    import kaleido

    height = int(height or figure.layout.height or 380)
    with _LOCK:
        _start()
        try:
            data = kaleido.calc_fig_sync(figure, opts={"format": "svg", "width": width, "height": height})
        except Exception as exc:  # noqa: BLE001 - a browser failure is shown as one sentence
            raise ChartError(f"Chromium could not draw a chart of the briefing ({exc.__class__.__name__}: "
                             f"{exc}). Try again; if it persists, check that {chromium_path()} starts.") from exc
    text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
    text = _NAMESPACES.sub("", text)  # inline SVG in HTML needs none; no URL left in the file
    return text.replace("<svg ", f'<svg viewBox="0 0 {width} {height}" ', 1)


def stop() -> None:
    """Close the shared renderer (tests, benchmarks); the next chart starts a new one."""
    import kaleido

    with _LOCK:
        kaleido.stop_sync_server(silence_warnings=True)
