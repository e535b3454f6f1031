"""Pure functions that turn library results into plotly figures.

One palette for the whole app: the reference is always :data:`REFERENCE_COLOUR`
and the current/production data always :data:`CURRENT_COLOUR`, on every chart.
Figures set their template explicitly, so they look the same on screen and
in an export whatever plotly's default is at the time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from monitoring.schema import ReferenceWindow
from monitoring.store.windows import Window

REFERENCE_COLOUR = "#4C78A8"
CURRENT_COLOUR = "#F58518"
NEUTRAL_COLOUR = "#9AA5B1"
TEMPLATE = "plotly_white"
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}


def volume_figure(
    windows: Sequence[Window],
    reference: ReferenceWindow,
    current: tuple[dt.datetime, dt.datetime] | None = None,
    title: str = "Records per week",
) -> go.Figure:
    """Stacked bars of labelled and label-pending (hatched) records per window.

    Bars inside the reference window take the reference colour, bars that
    overlap the chosen production window the current colour, and the rest a
    neutral grey, so the user sees which weeks each side of a comparison covers.
    """
    starts = [w.start for w in windows]
    colours = [_window_colour(w, reference, current) for w in windows]
    fig = go.Figure()
    fig.add_bar(
        x=starts,
        y=[w.labelled for w in windows],
        name="labelled",
        marker_color=colours,
        hovertemplate="week of %{x|%Y-%m-%d}: %{y:,} labelled<extra></extra>",
    )
    fig.add_bar(
        x=starts,
        y=[w.rows - w.labelled for w in windows],
        name="label pending",
        marker={
            "color": "white",
            "line": {"color": colours, "width": 1},
            "pattern": {"shape": "/", "fgcolor": colours, "solidity": 0.4},
        },
        hovertemplate="week of %{x|%Y-%m-%d}: %{y:,} label pending<extra></extra>",
    )
    _shade(fig, reference.start, reference.end, REFERENCE_COLOUR, "reference")
    if current is not None:
        _shade(fig, current[0], current[1], CURRENT_COLOUR, "production window")
    fig.update_layout(
        barmode="stack",
        bargap=0.15,
        title={"text": title, "x": 0},
        xaxis_title="week starting",
        yaxis_title="records",
        yaxis_tickformat=",",
        legend={
            "orientation": "h",
            "y": 1.02,
            "yanchor": "bottom",
            "x": 1,
            "xanchor": "right",
            "traceorder": "normal",
        },
    )
    return style_figure(fig)


def _window_colour(
    window: Window, reference: ReferenceWindow, current: tuple[dt.datetime, dt.datetime] | None
) -> str:
    if window.start < reference.end and window.end > reference.start:
        return REFERENCE_COLOUR
    if current is not None and window.start < current[1] and window.end > current[0]:
        return CURRENT_COLOUR
    return NEUTRAL_COLOUR


def _shade(fig: go.Figure, start: dt.datetime, end: dt.datetime, colour: str, label: str) -> None:
    fig.add_vrect(
        x0=start,
        x1=end,
        fillcolor=colour,
        opacity=0.12,
        line_width=0,
        layer="below",
        annotation_text=label,
        annotation_position="top left",
        annotation_font={"color": colour, "size": 12},
    )


def style_figure(fig: go.Figure, height: int = 360) -> go.Figure:
    """Apply the house template, font, margins and height; returns ``fig``."""
    fig.update_layout(
        template=TEMPLATE, font=FONT, margin={"l": 60, "r": 20, "t": 60, "b": 50}, height=height
    )
    return fig


def performance_style(fig: go.Figure, height: int) -> go.Figure:
    """:func:`style_figure` with the wider margins of the performance charts' axis titles."""
    style_figure(fig, height)
    fig.update_layout(margin={"l": 70, "r": 20, "t": 70, "b": 55})
    return fig


def message_figure(text: str) -> go.Figure:
    """A small empty chart that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False})
    return performance_style(fig, height=200)


def rgba(hex_colour: str, alpha: float) -> str:
    """``#RRGGBB`` with an opacity, as plotly's ``rgba(r,g,b,a)``."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
