"""Review packs: charts, tables and a summary in one ZIP, plus a self-contained HTML report.

A pack is assembled from plain parts (:class:`ReviewPack`) so any page or the
CLI can fill it; :mod:`monitoring.review` fills it for a model and two windows.
Every exported chart carries the pack's caption. Table cells that a
spreadsheet would read as a formula are neutralised in the CSV files.
"""

from __future__ import annotations

import io
import re
import string
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from monitoring.errors import ExportError
from monitoring.report.escape import html_text, markdown_text
from monitoring.report.export import FORMATS, ChartContext, captioned_json, export_figure
from monitoring.report.readable import note, readable
from monitoring.report.tables import neutralise

PACK_FORMATS = FORMATS
# A backslash escape (its character in group 1) or a bold marker, in a summary line.
_INLINE = re.compile(r"\\([" + re.escape(string.punctuation) + r"])|\*\*")


@dataclass(frozen=True)
class PackChart:
    """One chart of a pack; ``name`` becomes its file name (no extension)."""

    name: str
    title: str
    figure: go.Figure


@dataclass(frozen=True)
class PackTable:
    """One table of a pack; ``name`` becomes its CSV file name (no extension)."""

    name: str
    title: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class ReviewPack:
    """Everything a review needs about one comparison.

    ``summary`` holds Markdown lines (``## `` headings, ``- `` bullets, ``**``
    bold, plain text), written as ``summary.md`` and shown at the top of the
    HTML report; user text inside them must already be escaped with
    :func:`~monitoring.report.escape.markdown_text`. ``title`` and the charts'
    and tables' titles are plain text, escaped here for each format.
    """

    title: str
    context: ChartContext
    summary: tuple[str, ...]
    charts: tuple[PackChart, ...]
    tables: tuple[PackTable, ...]


def table_csv(frame: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV, formula-like cells neutralised."""
    return neutralise(frame).to_csv(index=False).encode("utf-8")


def summary_markdown(pack: ReviewPack) -> str:
    """``summary.md``: the title, the comparison, then the summary lines."""
    title = markdown_text(pack.title)
    lines = [f"# {title}", "", pack.context.caption_markdown(), "", *pack.summary]
    files = [f"- `charts/{c.name}.*`: {markdown_text(c.title)}" for c in pack.charts]
    files += [f"- `tables/{t.name}.csv`: {markdown_text(t.title)}" for t in pack.tables]
    return "\n".join([*lines, "", "## Files", "", *files, ""])


def report_html(pack: ReviewPack) -> str:
    """One HTML file with the summary, every chart (interactive) and every table; works offline.

    Tables are shown as people read them (:func:`~monitoring.report.readable.readable`);
    the CSV files keep the raw values. Text goes in escaped: titles with
    :func:`html_text`, the caption as built
    escaped by :meth:`ChartContext.caption`, the summary by :func:`_markdown_line`,
    table cells by pandas; the charts' data travels as JSON that plotly escapes.
    """
    charts = "\n".join(_chart_section(c, pack.context) for c in pack.charts)
    tables = "\n".join(
        f"<section><h2>{html_text(t.title)}</h2>"
        + neutralise(readable(t.frame)).to_html(index=False, border=0, classes="table")
        + (f'<p class="caption">{html_text(note(t.frame))}</p>' if note(t.frame) else "")
        + "</section>"
        for t in pack.tables
    )
    summary = "\n".join(_markdown_line(line) for line in pack.summary)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html_text(pack.title)}</title>
<script>{get_plotlyjs()}</script>
<style>
body {{ font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 1150px; color: #222; }}
h1 {{ margin-bottom: .2rem; }} .caption {{ color: #555; margin-bottom: 1.5rem; }}
section {{ margin: 2rem 0; }} ul {{ line-height: 1.5; }}
table.table {{ border-collapse: collapse; font-size: 13px; }}
table.table th, table.table td {{ padding: 4px 8px; border-bottom: 1px solid #ddd;
                                  text-align: right; }}
table.table th:first-child, table.table td:first-child {{ text-align: left; }}
</style></head>
<body><h1>{html_text(pack.title)}</h1>
<div class="caption">{pack.context.caption()}</div>
{summary}
{charts}
{tables}
</body></html>
"""


def _chart_section(chart: PackChart, context: ChartContext) -> str:
    """One chart of the report; a heading only when the figure has no title of its own."""
    figure = captioned_json(chart.figure, context)
    heading = "" if chart.figure.layout.title.text else f"<h2>{html_text(chart.title)}</h2>"
    plot = pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=False,
        config={"displaylogo": False},
        validate=False,
    )
    return f"<section>{heading}{plot}</section>"


def pack_zip(pack: ReviewPack, formats: Sequence[str] = ("png", "html")) -> bytes:
    """The ZIP: ``charts/NAME.FORMAT`` for each format, ``tables/NAME.csv``,
    ``summary.md`` and ``report.html``.

    Raises
    ------
    ExportError
        For an unknown format, or a static format without a Chromium.
    """
    unknown = [f for f in formats if f not in PACK_FORMATS]
    if unknown:
        raise ExportError(
            f"unknown pack format(s) {unknown}; valid formats are {list(PACK_FORMATS)}"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.md", summary_markdown(pack))
        archive.writestr("report.html", report_html(pack))
        for table in pack.tables:
            archive.writestr(f"tables/{table.name}.csv", table_csv(table.frame))
        for chart in pack.charts:
            for fmt in formats:
                data = export_figure(chart.figure, fmt, pack.context, chart.title)
                archive.writestr(f"charts/{chart.name}.{fmt}", data)
    return buffer.getvalue()


def _markdown_line(line: str) -> str:
    """One summary line as HTML: ``## `` headings, ``- `` bullets, ``**`` bold, backslash escapes.

    Everything else is text and is escaped; an escaped character (``\\*``) is
    shown as itself, so user text escaped with ``markdown_text`` reads as typed.
    """
    tag = "h2" if line.startswith("## ") else "li" if line.startswith("- ") else "p"
    body = line[3:] if tag == "h2" else line[2:] if tag == "li" else line
    parts: list[str] = []
    bold, start = False, 0
    for found in _INLINE.finditer(body):
        parts.append(html_text(body[start : found.start()]))
        if found[1] is not None:
            parts.append(html_text(found[1]))
        else:
            parts.append("</b>" if bold else "<b>")
            bold = not bold
        start = found.end()
    parts.append(html_text(body[start:]) + ("</b>" if bold else ""))
    text = "".join(parts)
    if tag == "li":
        return f"<ul><li>{text}</li></ul>"
    return f"<{tag}>{text}</{tag}>" if text else ""
