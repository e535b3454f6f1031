"""Exporting figures as PNG, SVG, PDF or standalone HTML, captioned so they stand alone.

Static formats are rendered by kaleido in a headless Chromium (Debian's
``chromium`` is found by itself). One kaleido browser is kept alive per process
and shared by every export, since starting Chromium costs seconds and a render
in a running one a fraction of a second. Its request queue is not safe for
concurrent callers, so renders take turns behind a lock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import plotly.graph_objects as go

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
    out = go.Figure(fig)
    bottom = (out.layout.margin.b or 50) + _CAPTION_MARGIN
    out.update_layout(template=TEMPLATE, margin={"b": bottom})
    out.add_annotation(
        text=context.caption(),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        xanchor="left",
        yanchor="top",
        yshift=-(bottom - _CAPTION_MARGIN // 2 - 10),
        showarrow=False,
        align="left",
        font={**FONT, "size": 11, "color": "#4a4a4a"},
    )
    return out


def export_figure(fig: go.Figure, fmt: str, context: ChartContext | None = None) -> bytes:
    """Render ``fig`` (captioned when ``context`` is given) as ``fmt``.

    HTML embeds plotly.js, so the file opens offline. PNG is rendered at twice
    the figure's size.

    Raises
    ------
    ExportError
        For an unknown format, or a static format without a Chromium (the
        message says how to install one).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; valid formats are {list(FORMATS)}")
    figure = captioned(fig, context) if context else go.Figure(fig).update_layout(template=TEMPLATE)
    if fmt == "html":
        return figure.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
    problem = static_export_problem()
    if problem:
        raise ExportError(problem)
    return _render(figure, fmt)


def static_export_problem() -> str | None:
    """Why PNG/SVG/PDF export cannot work here, or ``None`` when a Chromium is found."""
    from choreographer.browsers.chromium import Chromium

    try:
        found = Chromium.find_browser(skip_local=False)
    except Exception:  # the search itself failing means the same as not finding
        found = None
    return None if found else CHROMIUM_HINT


def _render(fig: go.Figure, fmt: str) -> bytes:
    import kaleido

    opts = {
        "format": fmt,
        "scale": PNG_SCALE if fmt == "png" else 1,
        "width": fig.layout.width or EXPORT_WIDTH,
        "height": fig.layout.height or EXPORT_HEIGHT,
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
