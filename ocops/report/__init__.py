"""The briefing report: the current filtered view as one HTML or PDF document (no Streamlit).

``gather`` collects every figure from the query layer, ``to_html`` lays it out with inline
SVG charts (kaleido, one Chromium per process) and a static SVG map, ``html_to_pdf`` prints
it with the same Chromium. ``render`` does all three; the dashboard's download and the CLI
``report`` both call it.
"""

from __future__ import annotations

import pandas as pd

from ocops.geo import CountryIndex
from ocops.queries import Filter
from ocops.report.chromium import html_to_pdf, start_in_background
from ocops.report.content import Briefing, Provenance, gather, provenance
from ocops.report.html import Progress, _quiet, to_html

FORMATS = {"html": "text/html", "pdf": "application/pdf"}


def render(frame: pd.DataFrame, flt: Filter, countries: CountryIndex, period: str, facts: Provenance,
           fmt: str = "pdf", progress: Progress = _quiet) -> bytes:
    """The briefing of ``flt`` as ``fmt`` ("html" or "pdf") bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown briefing format {fmt!r}; use html or pdf")
    start_in_background()  # Chromium starts while the figures are gathered
    progress(0.0, "Collecting the figures")
    html = to_html(gather(frame, flt, countries, period, facts), countries, progress)
    if fmt == "html":
        progress(1.0, "Done")
        return html.encode("utf-8")
    progress(0.85, "Printing the PDF")
    data = html_to_pdf(html)
    progress(1.0, "Done")
    return data


def missing_requirements() -> list[str]:
    """What this machine lacks to build briefings, as sentences (empty when all is there).

    Cheap enough for every page view: it looks for a file, it starts nothing."""
    from ocops.report.chromium import chromium_path

    if chromium_path().is_file():
        return []
    return [(f"The briefing needs Chromium, which is not at {chromium_path()} (apt-get install chromium, "
             "or set OCOPS_CHROMIUM to its path).")]


__all__ = ["FORMATS", "Briefing", "Provenance", "gather", "html_to_pdf", "missing_requirements", "provenance",
           "render", "to_html"]
