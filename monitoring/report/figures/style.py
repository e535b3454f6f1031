"""Pure functions that turn library results into plotly figures, and the one palette they share.

Each colour has one meaning on every chart of every page:

- :data:`REFERENCE_COLOUR` (blue): the reference window;
- :data:`CURRENT_COLOUR` (orange): the window being compared, and only that one
  (the sidebar's production window, a chosen month or an uploaded slice);
- :data:`SERIES_COLOUR` (slate): the other windows of a series over time;
- :data:`NEUTRAL_COLOUR` (grey): context, such as untested windows and guides;
- :data:`DRIFT_COLOUR` (red): beyond the usual range (drifted, out of band, alerts).

The palette follows the app's theme: on screen, Streamlit's chart theme sets
the background, text and grid colours for light and dark, so figures leave
text colours unset (or use :data:`MUTED_TEXT`) and fill areas with translucent
colours (:func:`rgba`) that read on either background; no figure paints
white. Figures still set a light template explicitly, so an export (which
no theme touches) looks the same whatever plotly's default is at the time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from monitoring.schema import ReferenceWindow
from monitoring.store.windows import Window

REFERENCE_COLOUR = "#4C78A8"
CURRENT_COLOUR = "#F58518"
SERIES_COLOUR = "#6F7F91"
NEUTRAL_COLOUR = "#9AA5B1"
DRIFT_COLOUR = "#C0392B"
# Mid-grey text: about 3.5:1 against white and 5:1 against Streamlit's dark background.
MUTED_TEXT = "#7F8A96"
TEMPLATE = "plotly_white"
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
# A table row that drifted: a translucent red under the theme's own text colour,
# so it reads in light and dark themes alike (an opaque pastel under white text does not).
DRIFTED_ROW_CSS = "background-color: rgba(192, 57, 43, 0.22)"
# Bars narrower than a few pixels lose their gaps, outlines and hatching.
THIN_BARS = 150
# Dates read the same on every axis: ISO order, as in every table and hover.
DATE_TICKS = [
    {"dtickrange": [None, 86_400_000], "value": "%H:%M<br>%Y-%m-%d"},
    {"dtickrange": [86_400_000, "M1"], "value": "%Y-%m-%d"},
    {"dtickrange": ["M1", "M12"], "value": "%Y-%m"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]
# Legends sit under the plot, left-aligned: over a narrow plot a legend at the top
# right runs into the title.
LEGEND_BELOW = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "y": -0.22,
    "yanchor": "top",
    "traceorder": "normal",
}


def volume_figure(
    windows: Sequence[Window],
    reference: ReferenceWindow,
    current: tuple[dt.datetime, dt.datetime] | None = None,
    title: str = "Records per week",
) -> go.Figure:
    """Stacked bars of labelled and label-pending records per window.

    Bars inside the reference window take the reference colour, bars that
    overlap the chosen production window the current colour, and the rest a
    neutral grey, so the user sees which weeks each side of a comparison covers.
    Label-pending records are hatched; past :data:`THIN_BARS` windows a bar is
    too thin for gaps, outlines or hatching, so bars touch and pending records
    are a lighter tint of the same colour.
    """
    starts = [w.start for w in windows]
    colours = [_window_colour(w, reference, current) for w in windows]
    thin = len(windows) > THIN_BARS
    fig = go.Figure()
    fig.add_bar(
        x=starts,
        y=[w.labelled for w in windows],
        name="labelled",
        marker={"color": colours, "line": {"width": 0}},
        hovertemplate="%{x|%Y-%m-%d}: %{y:,} labelled<extra></extra>",
    )
    pending_marker: dict[str, object] = (
        {"color": [rgba(c, 0.35) for c in colours], "line": {"width": 0}}
        if thin
        else {
            "color": "rgba(0,0,0,0)",  # transparent: the theme's background shows through
            "line": {"color": colours, "width": 1},
            "pattern": {"shape": "/", "fgcolor": colours, "solidity": 0.4},
        }
    )
    fig.add_bar(
        x=starts,
        y=[w.rows - w.labelled for w in windows],
        name="label pending",
        marker=pending_marker,
        hovertemplate="%{x|%Y-%m-%d}: %{y:,} label pending<extra></extra>",
    )
    _shade(fig, reference.start, reference.end, REFERENCE_COLOUR, "reference", "top left")
    if current is not None:
        _shade(fig, current[0], current[1], CURRENT_COLOUR, "production window", "top right")
    fig.update_layout(
        barmode="stack",
        bargap=0 if thin else 0.15,
        title={"text": title, "x": 0},
        xaxis_title="week starting",
        yaxis_title="records",
        yaxis_tickformat=",",
        legend=LEGEND_BELOW,
    )
    date_axis(fig)
    return style_figure(fig)


def _window_colour(
    window: Window, reference: ReferenceWindow, current: tuple[dt.datetime, dt.datetime] | None
) -> str:
    if window.start < reference.end and window.end > reference.start:
        return REFERENCE_COLOUR
    if current is not None and window.start < current[1] and window.end > current[0]:
        return CURRENT_COLOUR
    return NEUTRAL_COLOUR


def _shade(
    fig: go.Figure,
    start: dt.datetime,
    end: dt.datetime,
    colour: str,
    label: str,
    position: str = "top left",
) -> None:
    """Shade a period, labelled just above the plot (never over the bars) at its left
    (``"top left"``) or right end."""
    fig.add_vrect(x0=start, x1=end, fillcolor=colour, opacity=0.12, line_width=0, layer="below")
    right = position.endswith("right")
    fig.add_annotation(
        x=end if right else start,
        y=1,
        xref="x",
        yref="paper",
        text=label,
        showarrow=False,
        xanchor="right" if right else "left",
        yanchor="bottom",
        font={"color": colour, "size": 12},
    )


def date_axis(fig: go.Figure) -> go.Figure:
    """Give every x axis of ``fig`` ISO date ticks (:data:`DATE_TICKS`); returns ``fig``."""
    fig.update_xaxes(tickformatstops=DATE_TICKS, hoverformat="%Y-%m-%d %H:%M")
    return fig


def style_figure(fig: go.Figure, height: int = 360) -> go.Figure:
    """Apply the house template, font, margins and height; returns ``fig``."""
    fig.update_layout(
        template=TEMPLATE, font=FONT, margin={"l": 60, "r": 20, "t": 60, "b": 50}, height=height
    )
    return place_legend(fig)


def performance_style(fig: go.Figure, height: int) -> go.Figure:
    """:func:`style_figure` with the wider margins of the performance charts' axis titles."""
    style_figure(fig, height)
    fig.update_layout(margin={"l": 70, "r": 20, "t": 70, "b": 55})
    return place_legend(fig)


def place_legend(fig: go.Figure, below: int = 62) -> go.Figure:
    """Put a legend under the plot ``below`` pixels down, clear of tick labels and the axis
    title whatever the chart's height (``y`` is a share of the plot's height)."""
    legend = fig.layout.legend
    if legend.y is None or legend.y >= 0 or fig.layout.height is None:
        return fig
    margin = fig.layout.margin
    plot = fig.layout.height - (margin.t or 0) - (margin.b or 0)
    fig.update_layout(legend_y=-below / max(plot, 40))
    return fig


def message_figure(text: str) -> go.Figure:
    """A small empty chart that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(
        text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 14}
    )
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False})
    return performance_style(fig, height=200)


def rgba(hex_colour: str, alpha: float) -> str:
    """``#RRGGBB`` with an opacity, as plotly's ``rgba(r,g,b,a)``."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
