"""Exporting figures as PNG, SVG, PDF or standalone HTML, captioned so they stand alone.

Static formats are rendered by kaleido in a headless Chromium (Debian's
``chromium`` is found by itself). One kaleido browser is kept alive per process
and shared by every export, since starting Chromium costs seconds and a render
in a running one a fraction of a second. Its request queue is not safe for
concurrent callers, so renders take turns behind a lock.

Exports work on the figure's JSON (:func:`captioned_json`), not on a copy of the
graph object: setting a named template on a ``go.Figure`` copies and validates
the whole template again (about 0.4 s a chart), while its JSON is built once per
process. The template is always set, since ``import streamlit`` makes its own
theme plotly's default and an export must look the same from the app and the CLI.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import plotly.graph_objects as go
import plotly.io as pio

from monitoring.errors import ExportError
from monitoring.report.escape import figure_text, markdown_text
from monitoring.report.figures.style import FONT, TEMPLATE

Format = Literal["png", "svg", "pdf", "html"]
FORMATS: tuple[Format, ...] = ("png", "svg", "pdf", "html")
MIME_TYPES: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "html": "text/html",
}
STATIC_FORMATS = frozenset({"png", "svg", "pdf"})
PNG_SCALE = 2
# Pixels of a figure that sets no size: about what it takes on a 1280 px wide screen.
EXPORT_WIDTH = 1100
EXPORT_HEIGHT = 450
CHROMIUM_HINT = (
    "PNG, SVG and PDF export need a Chromium browser: on Debian or Ubuntu run "
    "`apt-get install chromium` (or set BROWSER_PATH to a Chromium/Chrome binary); "
    "HTML export works without one."
)
_CAPTION_MARGIN = 70
_TAG = re.compile(r"<[^>]*>")
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# The last trailer of a PDF with a classic cross-reference table, as Chromium writes it.
_TRAILER = re.compile(
    rb"trailer\s*<<(?=[^>]*/Size (?P<size>\d+))(?=[^>]*/Root (?P<root>\d+ \d+ R))[^>]*>>"
    rb"\s*startxref\s*(?P<xref>\d+)\s*%%EOF\s*$"
)
_render_lock = threading.Lock()


@dataclass(frozen=True)
class ChartContext:
    """What a chart compared, printed under it when exported.

    Labels are free text (``"2013-01-01 → 2013-03-01"``); counts are rows on
    each side. Unknown parts are left out of the caption.
    """

    model: str
    reference: str | None = None
    current: str | None = None
    detector: str | None = None
    threshold: str | None = None
    reference_n: int | None = None
    current_n: int | None = None
    exported_on: dt.date = field(default_factory=dt.date.today)

    def caption(self) -> str:
        """One or two lines describing the comparison, as Plotly text (also valid HTML).

        The model and the labels are user text (a slice's or file's name can be
        in a label), so they are escaped; only the caption's own ``<b>`` and
        ``<br>`` are markup.
        """
        model, first, second = self._parts(figure_text)
        return " · ".join([f"<b>{model}</b>", *first]) + "<br>" + " · ".join(second)

    def caption_markdown(self) -> str:
        """The caption as one line of Markdown (for ``summary.md``), user text escaped."""
        model, first, second = self._parts(markdown_text)
        return " · ".join([f"**{model}**", *first, *second])

    def _parts(self, escape: Callable[[object], str]) -> tuple[str, list[str], list[str]]:
        """The model, the sides compared and the method line, each through ``escape``."""
        sides = []
        if self.reference:
            sides.append(f"reference {escape(self.reference)}{_n(self.reference_n)}")
        if self.current:
            sides.append(f"current {escape(self.current)}{_n(self.current_n)}")
        method = [escape(p) for p in (self.detector, self.threshold) if p]
        second = [
            *(["detector " + ", ".join(method)] if method else []),
            f"exported {self.exported_on.isoformat()} by Driftwatch",
        ]
        return escape(self.model), sides, second


def captioned(fig: go.Figure, context: ChartContext) -> go.Figure:
    """A copy of ``fig`` with the caption under the plot and the house template set."""
    return go.Figure(captioned_json(fig, context), skip_invalid=True)


def captioned_json(fig: go.Figure, context: ChartContext | None) -> dict[str, Any]:
    """``fig`` as a Plotly JSON dict with the house template, and the caption under the plot
    when ``context`` is given; ``fig`` itself is not changed."""
    out = fig.to_dict()
    layout = out.setdefault("layout", {})
    layout["template"] = _template_json()
    if context is None:
        return out
    margin = dict(layout.get("margin") or {})
    bottom = (margin.get("b") or 50) + _CAPTION_MARGIN
    margin["b"] = bottom
    layout["margin"] = margin
    layout["annotations"] = [
        *layout.get("annotations", ()),
        {
            "text": context.caption(),
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": 0,
            "xanchor": "left",
            "yanchor": "top",
            "yshift": -(bottom - _CAPTION_MARGIN // 2 - 10),
            "showarrow": False,
            "align": "left",
            "font": {**FONT, "size": 11, "color": "#4a4a4a"},
        },
    ]
    return out


@functools.cache
def _template_json_once() -> dict[str, Any]:
    return dict(pio.templates[TEMPLATE].to_plotly_json())


def _template_json() -> dict[str, Any]:
    """The house template as JSON (a fresh copy: callers may hand it to code that edits it)."""
    return copy.deepcopy(_template_json_once())


def export_figure(
    fig: go.Figure, fmt: str, context: ChartContext | None = None, title: str | None = None
) -> bytes:
    """Render ``fig`` (captioned when ``context`` is given) as ``fmt``.

    HTML embeds plotly.js, so the file opens offline. PNG is rendered at twice
    the figure's size. A PDF's document title (its metadata, which readers show
    in the window's title bar) is ``title``, by default the figure's own title.

    Raises
    ------
    ExportError
        For an unknown format, or a static format without a Chromium (the
        message says how to install one).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; valid formats are {list(FORMATS)}")
    figure = captioned_json(fig, context)
    if fmt == "html":
        html = pio.to_html(figure, include_plotlyjs=True, full_html=True, validate=False)
        return html.encode("utf-8")
    problem = static_export_problem()
    if problem:
        raise ExportError(problem)
    rendered = _render(figure, fmt)
    if fmt == "pdf":
        return pdf_titled(rendered, title or figure_title(fig) or "Driftwatch chart")
    return rendered


def figure_title(fig: go.Figure) -> str:
    """The figure's title as plain text (Plotly's tags dropped, entities read back)."""
    first_line = _LINE_BREAK.split(fig.layout.title.text or "")[0]
    return html.unescape(_TAG.sub("", first_line)).strip()


def pdf_titled(pdf: bytes, title: str) -> bytes:
    """``pdf`` with ``title`` as its document title, added as an incremental update.

    Chromium titles every PDF after kaleido's page. Rewriting that entry in place
    would move the objects after it and break the cross-reference table, so a new
    information dictionary is appended with a cross-reference section of its own,
    as the PDF format allows for edits. A PDF not shaped as Chromium writes them
    (no classic trailer) is returned as it is: a chart without a title still reads.
    """
    trailer = _TRAILER.search(pdf[-1024:])
    if trailer is None:
        return pdf
    size, root, previous = int(trailer["size"]), trailer["root"].decode(), int(trailer["xref"])
    text = "<FEFF" + title.encode("utf-16-be").hex().upper() + ">"  # any script, no escaping
    info = f"{size} 0 obj\n<</Title {text} /Creator (Driftwatch)>>\nendobj\n".encode()
    at = len(pdf) + (0 if pdf.endswith(b"\n") else 1)
    body = pdf if pdf.endswith(b"\n") else pdf + b"\n"
    xref = len(body) + len(info)
    tail = (
        f"xref\n{size} 1\n{at:010d} 00000 n \ntrailer\n"
        f"<</Size {size + 1} /Root {root} /Info {size} 0 R /Prev {previous}>>\n"
        f"startxref\n{xref}\n%%EOF\n"
    )
    return body + info + tail.encode()


def static_export_problem() -> str | None:
    """Why PNG/SVG/PDF export cannot work here, or ``None`` when a Chromium is found."""
    from choreographer.browsers.chromium import Chromium

    try:
        found = Chromium.find_browser(skip_local=False)
    except Exception:  # the search itself failing means the same as not finding
        found = None
    return None if found else CHROMIUM_HINT


def start_renderer() -> None:
    """Start kaleido's browser now, so that the first export does not wait for it (1–4 s)."""
    import kaleido

    with _render_lock:
        kaleido.start_sync_server(n=1, mathjax=False, silence_warnings=True)


def _render(fig: dict[str, Any], fmt: str) -> bytes:
    import kaleido

    layout = fig.get("layout", {})
    opts = {
        "format": fmt,
        "scale": PNG_SCALE if fmt == "png" else 1,
        "width": layout.get("width") or EXPORT_WIDTH,
        "height": layout.get("height") or EXPORT_HEIGHT,
    }
    with _render_lock:
        kaleido.start_sync_server(n=1, mathjax=False, silence_warnings=True)
        try:
            result = kaleido.calc_fig_sync(fig, opts=opts)
        except Exception as exc:  # kaleido raises its own and browser errors
            raise ExportError(f"rendering the chart as {fmt.upper()} failed: {exc}") from exc
    if isinstance(result, Exception):
        raise ExportError(f"rendering the chart as {fmt.upper()} failed: {result}")
    return bytes(result)


def _n(count: int | None) -> str:
    return "" if count is None else f" (n={count:,})"
