"""The briefing's HTML as a PDF, by WeasyPrint (system pango), with nothing fetched.

WeasyPrint won the comparison with Chromium's print in benchmarks/bench_report.py
(see benchmarks/RESULTS.md). Its URL fetcher is replaced by one that refuses every
URL, so even a stray reference could not reach the network.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ocops.errors import OcopsError


class PdfError(OcopsError):
    """The PDF cannot be produced (WeasyPrint or its system libraries are missing)."""


def _refuse(url: str, *_args: Any, **_kwargs: Any) -> NoReturn:
    raise ValueError(f"the briefing fetches nothing ({url!r} refused)")


def html_to_pdf(html: str) -> bytes:
    """A PDF of the self-contained ``html`` (A4, margin boxes from its CSS)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango is missing
        raise PdfError("The PDF briefing needs WeasyPrint and the system pango library: install them "
                       f"(pip install weasyprint; apt-get install libpango-1.0-0 libpangoft2-1.0-0) ({exc}). "
                       "The HTML briefing works without them.") from exc
    return bytes(weasyprint.HTML(string=html, url_fetcher=_refuse).write_pdf())
