"""What every time-axis chart of the timeline shares: the reference shading, labels
above the plot, the window span, the layout, and number formats for hover text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from monitoring.report.figures.style import (
    FONT,
    REFERENCE_COLOUR,
    TEMPLATE,
    date_axis,
    place_legend,
)
from monitoring.timeline.report import WindowDrift
from monitoring.timeutil import Bounds


def shade_reference(fig: go.Figure, reference: Bounds) -> None:
    fig.add_vrect(
        x0=reference[0], x1=reference[1], fillcolor=REFERENCE_COLOUR, opacity=0.10, line_width=0,
        layer="below",
    )  # fmt: skip
    label_above(fig, reference[0], "reference", REFERENCE_COLOUR, "left")


def label_above(fig: go.Figure, x: dt.datetime, text: str, colour: str, side: str) -> None:
    """A shaded period's label just above the plot area: never over data or notes."""
    fig.add_annotation(
        x=x, y=1, xref="x", yref="paper", text=text, showarrow=False, xanchor=side,
        yanchor="bottom", font={"color": colour, "size": 11},
    )  # fmt: skip


def fit_windows(fig: go.Figure, windows: Sequence[WindowDrift]) -> None:
    """Show the windows' span and ISO dates, not whatever shapes or notes lie beyond it."""
    date_axis(fig)
    if windows:
        first = windows[0]
        half = (first.end - first.start) / 2  # bars and markers sit on each window's start
        fig.update_xaxes(range=[first.start - half, windows[-1].end])


def chart_layout(fig: go.Figure, height: int = 320, margin_right: int = 20) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=height,
        margin={"l": 60, "r": margin_right, "t": 60, "b": 40},
        hoverlabel={"font_size": 12},
    )
    return place_legend(fig)


def number_text(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:.3f}"


def share_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"
