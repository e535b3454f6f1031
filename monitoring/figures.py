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
from monitoring.windows import Window

REFERENCE_COLOUR = "#4C78A8"
CURRENT_COLOUR = "#F58518"
PENDING_COLOUR = "#C9CED6"
TEMPLATE = "plotly_white"
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}


def volume_figure(
    windows: Sequence[Window],
    reference: ReferenceWindow,
    current: tuple[dt.datetime, dt.datetime] | None = None,
    title: str = "Records per week",
) -> go.Figure:
    """Stacked bars of labelled and label-pending records per window.

    The reference window is shaded in the reference colour and the chosen
    production window in the current colour, so the user sees which weeks
    each side of a comparison covers.
    """
    starts = [w.start for w in windows]
    fig = go.Figure()
    fig.add_bar(
        x=starts,
        y=[w.labelled for w in windows],
        name="labelled",
        marker_color=REFERENCE_COLOUR,
        hovertemplate="%{x|%Y-%m-%d}: %{y:,} labelled<extra></extra>",
    )
    fig.add_bar(
        x=starts,
        y=[w.rows - w.labelled for w in windows],
        name="label pending",
        marker_color=PENDING_COLOUR,
        hovertemplate="%{x|%Y-%m-%d}: %{y:,} pending<extra></extra>",
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
        legend={
            "orientation": "h",
            "y": 1.02,
            "yanchor": "bottom",
            "x": 1,
            "xanchor": "right",
            "traceorder": "normal",
        },
    )
    return _style(fig)


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


def _style(fig: go.Figure) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE, font=FONT, margin={"l": 60, "r": 20, "t": 60, "b": 50}, height=360
    )
    return fig
