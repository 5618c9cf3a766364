"""One Chromium per process, driven by kaleido: plotly charts as inline SVG, and the PDF print.

Starting a browser costs seconds, a chart on a running one a fraction of a second, so one
kaleido browser is started on first use and kept (on an event-loop thread of its own) for
every later report of the process; a browser that fails is dropped and the next call starts
a new one. Calls come from several threads (Streamlit runs each download in one) and are
serialised by a lock. MathJax is off and plotly.js is the copy that ships with plotly.

The PDF is Chromium's own print of the report HTML (``Page.printToPDF`` in a tab of the same
browser, CSS page size and margin boxes for the marking and "page X of Y"): faster than
WeasyPrint in ``benchmarks/bench_report.py`` and it needs no further system library.
The document is loaded with ``Page.setDocumentContent``: it is self-contained, no URL is
opened.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import os
import re
import shutil
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import plotly
import plotly.graph_objects as go

from ocops.errors import OcopsError

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TIMEOUT_S = 120.0
_NAMESPACES = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')
_LOCK = threading.Lock()
T = TypeVar("T")


class RenderError(OcopsError):
    """The briefing cannot be drawn or printed (no Chromium, or it failed)."""


def chromium_path() -> Path:
    """The Chromium to drive: ``OCOPS_CHROMIUM``, else ``chromium`` on the PATH, else /usr/bin/chromium."""
    return Path(os.environ.get("OCOPS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium")


class _Browser:
    """A kaleido browser on its own event loop (thread), plus a tab kept for printing."""

    def __init__(self, path: Path) -> None:
        import kaleido  # late: kaleido pulls in choreographer and its asyncio machinery

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ocops-chromium", daemon=True)
        self._thread.start()
        self._print_tab: Any = None
        self._kaleido = kaleido.Kaleido(path=str(path), mathjax=False, plotlyjs=str(PLOTLY_JS), n=1,
                                        timeout=TIMEOUT_S)
        try:
            self.run(self._kaleido.open())
        except BaseException:
            self.close()
            raise

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(TIMEOUT_S)

    async def svg(self, figure: go.Figure, width: int, height: int) -> bytes:
        return await self._kaleido.calc_fig(figure, opts={"format": "svg", "width": width, "height": height})

    async def pdf(self, html: str) -> bytes:
        if self._print_tab is None:
            self._print_tab = await self._kaleido.create_tab("about:blank")
            _check(await self._print_tab.send_command("Page.enable"))
        tab = self._print_tab
        tree = _check(await tab.send_command("Page.getFrameTree"))
        frame_id = tree["result"]["frameTree"]["frame"]["id"]
        _check(await tab.send_command("Page.setDocumentContent", params={"frameId": frame_id, "html": html}))
        printed = _check(await tab.send_command("Page.printToPDF", params={
            "preferCSSPageSize": True, "printBackground": True, "transferMode": "ReturnAsBase64"}))
        return base64.b64decode(printed["result"]["data"])

    def close(self) -> None:
        try:
            if self._loop.is_running():
                with contextlib.suppress(Exception):  # closing a browser that already died
                    self.run(self._kaleido.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


def _check(response: dict[str, Any]) -> dict[str, Any]:
    if "error" in response:
        raise RuntimeError(f"Chromium refused: {response['error']}")
    return response


_browser: _Browser | None = None


def _started() -> _Browser:
    """The shared browser, started now if there is none (call with the lock held)."""
    global _browser
    if _browser is None:
        path = chromium_path()
        if not path.is_file():
            raise RenderError(f"The briefing needs Chromium, which is not at {path}: install it "
                              "(apt-get install chromium) or set OCOPS_CHROMIUM to its path.")
        _browser = _Browser(path)
    return _browser


def start_in_background() -> None:
    """Start the shared browser on a thread while the caller does other work (loading figures);
    the first chart then waits only for what is left of the start. Failures surface on that call."""
    def start() -> None:
        with _LOCK, contextlib.suppress(Exception):  # reported by the call that needs the browser
            _started()
    if _browser is None:
        threading.Thread(target=start, name="ocops-chromium-start", daemon=True).start()


def _call(action: str, work: Any) -> Any:
    """Run ``work(browser)`` on the shared browser, starting it if needed.

    A failure is tried once more on the same browser (on a busy machine kaleido's page can
    still be loading its scripts when the first chart is asked for: "kaleido_scopes is not
    defined"); a second failure drops the browser, so the next call starts a fresh one."""
    global _browser
    with _LOCK:
        for attempt in (1, 2):
            try:
                browser = _started()
                return browser.run(work(browser))
            except RenderError:
                raise
            except Exception as exc:  # one sentence for the user, a fresh browser next time
                if attempt == 1:
                    time.sleep(0.5)
                    continue
                if _browser is not None:
                    _browser.close()
                    _browser = None
                raise RenderError(f"Chromium could not {action} ({exc.__class__.__name__}: {exc}). Try again; "
                                  f"if it persists, check that {chromium_path()} starts.") from exc
    raise AssertionError("unreachable")


def figure_svg(figure: go.Figure, width: int = 720, height: int | None = None) -> str:
    """``figure`` as an SVG element for inline use in HTML (scalable: viewBox; no namespace URLs)."""
    height = int(height or figure.layout.height or 380)
    data = _call("draw a chart of the briefing", lambda b: b.svg(figure, width, height))
    text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
    text = _NAMESPACES.sub("", text)  # inline SVG in HTML needs none; no URL is left in the file
    return text.replace("<svg ", f'<svg viewBox="0 0 {width} {height}" ', 1)


def html_to_pdf(html: str) -> bytes:
    """A PDF of the self-contained ``html``: A4 and margin boxes from its CSS ``@page`` rules."""
    return bytes(_call("print the briefing", lambda b: b.pdf(html)))


def stop() -> None:
    """Close the shared browser (at exit; tests); the next call starts a new one."""
    global _browser
    with _LOCK:
        if _browser is not None:
            _browser.close()
            _browser = None


atexit.register(stop)
