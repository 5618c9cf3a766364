"""The briefing as one self-contained HTML document (inline CSS and SVG, no URL at all).

The same document feeds the PDF: ``@page`` margin boxes put the marking line at the top
and bottom of every page and "page X of Y" at the bottom; on screen the marking is a
banner at the top and bottom of the document instead. Every text from the store or the
user (operation names, file names, the marking) is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

import pandas as pd

from ocops import charts, views
from ocops.geo import CountryIndex
from ocops.report.chromium import figure_svg
from ocops.report.content import MAP_MEASURE, Briefing
from ocops.report.worldmap import world_svg

Progress = Callable[[float, str], None]
GROUP_COLUMNS = ("records", "operations", "countries", "arrests", "seizures", "victims_rescued", "seized_value_usd")
OPERATION_COLUMNS = {"operation": "Operation", "first_date": "First date", "last_date": "Last date",
                     "country_names": "Countries", "crime_areas": "Crime areas", "arrests": "Arrests",
                     "seizures": "Seizures", "victims_rescued": "Victims rescued",
                     "seized_value_usd": "Seized value (USD)"}
SOURCE_COLUMNS = {"batch_id": "Batch", "file": "File", "imported_at": "Imported", "user": "By",
                  "records": "Records in the period", "comparison_records": "Records in the comparison period"}
SAMPLE_NOTICE = ("The figures include the illustrative sample (batch 'sample'): they are not real operation "
                 "results. Remove the sample batch once real files are imported.")

CSS = """
@page { size: A4; margin: 20mm 14mm 20mm 14mm;
  @top-center { content: MARKING; font: bold 9pt sans-serif; color: #a00; }
  @bottom-center { content: MARKING; font: bold 9pt sans-serif; color: #a00; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #555; } }
body { font: 10pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #1b1b1b; max-width: 182mm; margin: 0 auto;
  font-variant-ligatures: none; }
h1 { font-size: 18pt; margin: 0 0 2mm; color: #1f4e79; }
h2 { font-size: 12.5pt; margin: 6mm 0 2mm; color: #1f4e79; border-bottom: 1px solid #c9d6e3; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm; font-size: 8.5pt; }
th, td { padding: 1mm 1.5mm; border-bottom: 1px solid #dde3ea; text-align: left; vertical-align: top; }
th { background: #eef3f8; font-weight: 600; }
td.n, th.n { text-align: right; }
td.n, td.d { white-space: nowrap; }
tr { break-inside: avoid; }
table.facts { font-size: 10pt; }
table.facts th { width: 42mm; background: none; }
.kpis { font-size: 10pt; }
.kpis td { width: 25%; border: 1px solid #dde3ea; padding: 2mm; }
.kpi-label { font-size: 8.5pt; color: #555; display: block; }
.kpi-value { font-size: 15pt; font-weight: bold; display: block; }
.kpi-delta { font-size: 8.5pt; color: #555; display: block; }
.marking { text-align: center; font-weight: bold; color: #a00; letter-spacing: 0.05em; margin: 2mm 0; }
.notice { border: 1px solid #e0b400; background: #fff8dc; padding: 2mm 3mm; margin: 2mm 0; }
figure { margin: 2mm 0; break-inside: avoid; }
svg { width: 100%; height: auto; display: block; }
.small { font-size: 8.5pt; color: #555; }
@media print { .marking { display: none; } }
"""


def css_string(text: str) -> str:
    """``text`` as a CSS string literal: everything but letters, digits and spaces escaped,
    so a marking can close neither the string nor the style element."""
    return '"' + "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):06x} " for c in text) + '"'


def _cell(value: object, measure: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return views.format_number(float(value), measure)
    return escape(str(value))


def _table(frame: pd.DataFrame, labels: dict[str, str], numeric: Sequence[str] = (), dates: Sequence[str] = ()) -> str:
    if frame.empty:
        return '<p class="small">No records in the filter.</p>'
    columns = [c for c in labels if c in frame.columns]
    head = "".join(f'<th class="{"n" if c in numeric else ""}">{escape(labels[c])}</th>' for c in columns)
    rows = []
    for row in frame[columns].itertuples(index=False):
        cells = "".join(f'<td class="n">{_cell(v, c)}</td>' if c in numeric
                        else f'<td class="{"d" if c in dates else ""}">{_cell(v)}</td>'
                        for c, v in zip(columns, row, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _facts(briefing: Briefing) -> str:
    p = briefing.provenance
    facts = [("Filter", briefing.filter_words), ("Scope", p.scope), ("Period", briefing.period),
             ("Comparison period", briefing.comparison),
             ("Generated", f"by {p.generated_by} on {p.generated_at:%Y-%m-%d %H:%M} UTC"),
             ("Data version", f"{p.data_version} (last import {briefing.last_import or 'never'})"),
             ("Records in the figures", views.format_number(briefing.records))]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    return f'<table class="facts">{rows}</table>'


def _kpis(briefing: Briefing) -> str:
    cells = []
    for kpi in briefing.kpis:
        delta = views.format_delta(kpi.delta, kpi.measure)
        change = f"{delta} against the comparison period" if delta else "no comparison period"
        cells.append(f'<td><span class="kpi-label">{escape(kpi.label)}</span>'
                     f'<span class="kpi-value">{views.format_number(kpi.value, kpi.measure)}</span>'
                     f'<span class="kpi-delta">{escape(change)}</span></td>')
    rows = ["<tr>" + "".join(cells[i:i + 4]) + "</tr>" for i in range(0, len(cells), 4)]
    return f'<table class="kpis">{"".join(rows)}</table>'


def _quantities(briefing: Briefing) -> str:
    rows = "".join(f'<tr><td>{escape(q.label)}</td><td class="n">{views.format_number(q.value)} '
                   f"{escape(q.unit)}</td></tr>" for q in briefing.quantities)
    return f'<table><thead><tr><th>Quantity</th><th class="n">Total</th></tr></thead><tbody>{rows}</tbody></table>'


def _group(briefing: Briefing, table: pd.DataFrame, name: str) -> str:
    labels = {"key": name, **{m: views.MEASURE_LABELS[m] for m in GROUP_COLUMNS}}
    chart = ""
    if not table.empty:
        title = f"{views.MEASURE_LABELS[MAP_MEASURE]} by {name.lower()}"
        figure = charts.horizontal_bars(table, MAP_MEASURE, title)
        chart = f"<figure>{figure_svg(figure, height=int(figure.layout.height))}</figure>"
    return chart + _table(table, labels, GROUP_COLUMNS)


def _monthly(briefing: Briefing) -> str:
    if briefing.monthly.empty:
        return '<p class="small">No records in the filter.</p>'
    return f"<figure>{figure_svg(charts.monthly_line(briefing.monthly, MAP_MEASURE), height=320)}</figure>"


def _sources(briefing: Briefing) -> str:
    notice = f'<p class="notice">{escape(SAMPLE_NOTICE)}</p>' if briefing.sample_in_figures else ""
    return notice + _table(briefing.sources, SOURCE_COLUMNS, ("batch_id", "records", "comparison_records"),
                           ("imported_at",))


def _quiet(_fraction: float, _message: str) -> None:
    return None


def to_html(briefing: Briefing, countries: CountryIndex, progress: Progress = _quiet) -> str:
    """The whole briefing as one HTML string; ``progress(fraction, what)`` is told each step."""
    marking = briefing.provenance.marking
    banner = f'<div class="marking">{escape(marking)}</div>' if marking else ""
    css = CSS.replace("MARKING", css_string(marking))
    progress(0.1, "Drawing the monthly chart")
    monthly = _monthly(briefing)
    progress(0.3, "Drawing the regions and crime areas")
    regions = _group(briefing, briefing.by_region, "Region")
    areas = _group(briefing, briefing.by_crime_area, "Crime area")
    progress(0.6, "Drawing the map")
    world = world_svg(briefing.by_country, MAP_MEASURE, countries)
    sample = f'<p class="notice">{escape(SAMPLE_NOTICE)}</p>' if briefing.sample_in_figures else ""
    body = "".join([
        banner,
        "<h1>Operation results: briefing</h1>",
        f"<p>{escape(briefing.filter_words)}</p>",
        sample,
        _facts(briefing),
        "<h2>Key figures</h2>", _kpis(briefing),
        '<p class="small">Changes compare each figure with the comparison period.</p>',
        "<h2>Seized quantities</h2>", _quantities(briefing),
        "<h2>Month by month</h2>", monthly,
        "<h2>By region</h2>", regions,
        "<h2>By crime area</h2>", areas,
        "<h2>Arrests by country</h2>", f"<figure>{world}</figure>",
        f"<h2>Top operations (up to {len(briefing.top_operations)} by arrests)</h2>" if len(briefing.top_operations)
        else "<h2>Top operations</h2>",
        _table(briefing.top_operations, OPERATION_COLUMNS,
               ("arrests", "seizures", "victims_rescued", "seized_value_usd"), ("first_date", "last_date")),
        "<h2>Sources</h2>",
        '<p class="small">The import batches (files) whose records make up these figures.</p>',
        _sources(briefing),
        banner,
    ])
    progress(0.8, "Assembling the document")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>ocops briefing – {escape(briefing.filter_words)}</title><style>{css}</style></head>"
            f"<body>{body}</body></html>")
