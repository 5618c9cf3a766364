"""The briefing report on N records: time and size of one report, and Chromium's print against WeasyPrint.

Target (issue 13): one briefing (PDF) of the default view (last 12 months) in under 10 s and
under 2 MB. Measured on a store of N demo records (or ``--db``):

- ``report.render`` in-process, first call (starts the kaleido Chromium) and warm;
- where a warm PDF goes: gathering the figures, the charts and HTML, the print;
- the print step of the same HTML by the running Chromium (``Page.printToPDF``, what ocops
  uses) and by WeasyPrint (the alternative, measured when it is installed), first and warm;
- ``python -m ocops report --format pdf`` as a whole process (frame from the local copy).

    python -m benchmarks.bench_report --rows 1000000 [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from benchmarks.common import demo_csv, emit, median_time, run_cli
from ocops import report, views
from ocops.geo import load_countries
from ocops.importer import Vocabulary, import_path
from ocops.queries import Filter
from ocops.report import content, html
from ocops.snapshot import cached_frame
from ocops.store import open_store
from ocops.taxonomy import load_taxonomy

TARGET_S, TARGET_MB = 10.0, 2.0


def weasyprint_print(page_html: str, repeat: int) -> dict[str, float | int | None]:
    """WeasyPrint's PDF of ``page_html``: import, first print and the median of ``repeat`` prints."""
    start = time.perf_counter()
    try:
        import weasyprint
    except (ImportError, OSError):
        return {"import_s": None, "first_s": None, "median_s": None, "bytes": None}
    imported = time.perf_counter() - start
    start = time.perf_counter()
    data = weasyprint.HTML(string=page_html).write_pdf()
    first = time.perf_counter() - start
    median = median_time(lambda: weasyprint.HTML(string=page_html).write_pdf(), repeat=repeat)
    return {"import_s": round(imported, 2), "first_s": round(first, 3), "median_s": round(median, 3),
            "bytes": len(data)}


def main() -> None:
    """Build (or reuse) a store of N demo records and print the report benchmark JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="an existing store holding the records (default: build a new SQLite one)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    countries = load_countries()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'bench.db'}"
        engine = open_store(url)
        if not args.db:
            import_path(engine, demo_csv(args.rows, folder), Vocabulary(countries, load_taxonomy()))
        cache = folder / "cache"
        frame = cached_frame(engine, cache)
        latest = views.latest_date(frame) or dt.date.today()
        flt = Filter(since=latest - dt.timedelta(days=364), until=latest)  # the default view: 12 months
        facts = report.provenance(engine, "benchmark", "OFFICIAL - SENSITIVE")

        start = time.perf_counter()
        first = report.render(frame, flt, countries, "last-12-months", facts, "pdf")
        first_s = time.perf_counter() - start
        pdf_s = median_time(lambda: report.render(frame, flt, countries, "last-12-months", facts, "pdf"),
                            repeat=args.repeat)
        html_bytes = report.render(frame, flt, countries, "last-12-months", facts, "html")

        gather_s = median_time(lambda: content.gather(frame, flt, countries, "last-12-months", facts),
                               repeat=args.repeat)
        briefing = content.gather(frame, flt, countries, "last-12-months", facts)
        html_s = median_time(lambda: html.to_html(briefing, countries), repeat=args.repeat)
        page_html = html.to_html(briefing, countries)
        print_s = median_time(lambda: report.html_to_pdf(page_html), repeat=args.repeat)
        weasy = weasyprint_print(page_html, args.repeat)

        env = {"OCOPS_CACHE_DIR": str(folder / "cli-cache")}
        out = folder / "briefing.pdf"
        run_cli("--db", url, "report", "--format", "pdf", "--out", str(out), env=env)  # writes the frame copy
        cli_s, result = run_cli("--db", url, "report", "--format", "pdf", "--out", str(out), env=env)
        cli = json.loads(result.stdout)
        size_mb = len(first) / 2**20
        emit({
            "benchmark": "report", "rows": len(frame), "records_in_report": briefing.records,
            "store": engine.dialect.name,
            "pdf_first_in_process_s": round(first_s, 2), "pdf_warm_median_s": round(pdf_s, 2),
            "steps_warm_median_s": {"gather_figures": round(gather_s, 3), "charts_and_html": round(html_s, 3),
                                    "print_chromium": round(print_s, 3)},
            "print_compared": {"chromium_median_s": round(print_s, 3), "chromium_bytes": len(first),
                               "weasyprint": weasy},
            "cli_report_pdf_s": round(cli_s, 2), "target_s": TARGET_S,
            "pdf_mb": round(size_mb, 3), "html_mb": round(len(html_bytes) / 2**20, 3),
            "cli_pdf_mb": round(cli["bytes"] / 2**20, 3), "target_mb": TARGET_MB,
            "ok": cli_s < TARGET_S and first_s < TARGET_S and size_mb < TARGET_MB,
        })
        engine.dispose()


if __name__ == "__main__":
    main()
