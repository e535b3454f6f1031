"""Pure figure builders for the drift timeline page.

Every chart puts windows on a shared date axis (x = window start, ISO ticks),
shades the reference period in :data:`~monitoring.report.figures.style.REFERENCE_COLOUR`
and draws the model's annotations as dotted vertical lines with their text.
The labels of shaded periods sit above the plot, the notes' labels inside it,
so the two never cover each other or the data. A series of windows is drawn
in ``SERIES_COLOUR``; orange stays for the one production window.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import plotly.graph_objects as go

from monitoring.drift.cells import FeatureCell
from monitoring.drift.online import OnlineReport
from monitoring.report.escape import figure_text
from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    DRIFT_COLOUR,
    LEGEND_BELOW,
    MUTED_TEXT,
    NEUTRAL_COLOUR,
    REFERENCE_COLOUR,
    SERIES_COLOUR,
    THIN_BARS,
    date_axis,
    rgba,
)
from monitoring.report.figures.time_axes import (
    chart_layout,
    fit_windows,
    label_above,
    number_text,
    shade_reference,
)
from monitoring.store.annotations import Annotation
from monitoring.timeline.report import Timeline, WindowDrift
from monitoring.timeutil import Bounds

UNTESTED_BAR = rgba(NEUTRAL_COLOUR, 0.45)
P_FLOOR = 1e-6  # a log axis needs a floor; smaller p-values are drawn there, said in the hover
ANNOTATION_COLOUR = MUTED_TEXT


def share_figure(
    timeline: Timeline, threshold: float | None, title: str = "Share of features drifted"
) -> go.Figure:
    """The share of tested features that drifted per window, with the alert threshold."""
    fig = go.Figure()
    fig.add_scatter(
        x=[w.start for w in timeline.windows],
        y=[w.drifted_share for w in timeline.windows],
        mode="lines+markers",
        line={"color": SERIES_COLOUR},
        marker={"size": 5},
        name="drifted share",
        connectgaps=False,
        hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:.0%} of features<extra></extra>",
    )
    if threshold is not None:
        fig.add_hline(
            y=threshold,
            line={"color": DRIFT_COLOUR, "dash": "dash", "width": 1},
            annotation_text=f"alert at {threshold:.0%}",
            annotation_position="top right",
            annotation_font={"color": DRIFT_COLOUR},
        )
    shade_reference(fig, timeline.reference)
    fig.update_layout(title={"text": title, "x": 0}, showlegend=False)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fit_windows(fig, timeline.windows)
    return chart_layout(fig)


def feature_figure(timeline: Timeline, feature: str) -> go.Figure:
    """One feature over time: its drift statistic against its calibrated usual range.

    The band from 0 to the threshold is what windows of this shape usually
    show against the baseline (calibrated on the reference); drifted windows
    are marked. Without a calibrated threshold the band is absent and the
    effect size is drawn against the minimum effect instead.
    """
    windows = [w for w in timeline.windows if w.status == "tested"]
    cells = [next(c for c in w.cells if c.feature == feature) for w in windows]
    starts = [w.start for w in windows]
    calibrated = any(c.threshold is not None for c in cells)
    values = [c.score if calibrated else c.effect for c in cells]
    limits = [c.threshold if calibrated else timeline.config.min_effect for c in cells]
    name = _statistic_name(cells) if calibrated else "effect size"
    fig = go.Figure()
    fig.add_scatter(
        x=starts,
        y=limits,
        mode="lines",
        line={"width": 0, "shape": "hv"},
        fill="tozeroy",
        fillcolor=rgba(REFERENCE_COLOUR, 0.15),
        name="usual range"
        if calibrated
        else f"below the minimum effect {timeline.config.min_effect:g}",
        hovertemplate="usual up to %{y:.3g}<extra></extra>",
    )
    fig.add_scatter(
        x=starts,
        y=values,
        name=name,
        mode="lines+markers",
        line={"color": SERIES_COLOUR},
        marker={
            "size": [8 if c.drifted else 5 for c in cells],
            "color": [DRIFT_COLOUR if c.drifted else SERIES_COLOUR for c in cells],
        },
        customdata=[[number_text(c.p_value), "drifted" if c.drifted else ""] for c in cells],
        hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:.3g} (p = %{customdata[0]}) "
        "%{customdata[1]}<extra></extra>",
    )
    shade_reference(fig, timeline.reference)
    fig.update_layout(
        title={"text": f"{figure_text(feature)}: {name} against its usual range", "x": 0},
        yaxis={"title": name, "rangemode": "tozero"},
        legend=LEGEND_BELOW,
    )
    fit_windows(fig, timeline.windows)
    return chart_layout(fig, height=360)


def volume_figure(timeline: Timeline, title: str = "Records per window") -> go.Figure:
    """Rows per window; windows below ``min_rows`` (not tested) in pale grey, with the limit.

    Tested windows inside the reference period take the reference colour, later
    ones the series colour, as on every chart. Past :data:`THIN_BARS` windows
    the bars touch: a gap would be wider than the bar.
    """
    ref_start, ref_end = timeline.reference

    def colour(w: WindowDrift) -> str:
        if w.status != "tested":
            return UNTESTED_BAR
        return REFERENCE_COLOUR if w.start < ref_end and w.end > ref_start else SERIES_COLOUR

    fig = go.Figure()
    fig.add_bar(
        x=[w.start for w in timeline.windows],
        y=[w.rows for w in timeline.windows],
        marker={"color": [colour(w) for w in timeline.windows], "line": {"width": 0}},
        customdata=[w.status.replace("_", " ") for w in timeline.windows],
        hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:,} rows, %{customdata}<extra></extra>",
    )
    band = next((w for w in timeline.windows if w.volume_low is not None), None)
    if band is not None and band.volume_low is not None and band.volume_high is not None:
        fig.add_hrect(
            y0=band.volume_low,
            y1=band.volume_high,
            fillcolor=NEUTRAL_COLOUR,
            opacity=0.15,
            line_width=0,
            layer="below",
        )
    fig.add_hline(y=timeline.min_rows, line={"color": NEUTRAL_COLOUR, "dash": "dot", "width": 1})
    shade_reference(fig, timeline.reference)
    thin = len(timeline.windows) > THIN_BARS
    # The guides are explained under the title: a label inside the plot would sit on bars.
    guides = f"dotted: the {timeline.min_rows} rows a window needs to be judged"
    if band is not None and band.volume_low is not None:
        guides = "grey band: the usual volume · " + guides
    fig.update_layout(
        title={"text": f"{title}<br><sup>{guides}</sup>", "x": 0},
        showlegend=False,
        bargap=0 if thin else 0.1,
    )
    fig.update_yaxes(tickformat=",", rangemode="tozero")
    fit_windows(fig, timeline.windows)
    return chart_layout(fig, height=240)


def multivariate_figure(
    points: Sequence[tuple[dt.datetime, float | None, int]],
    detector: str,
    alpha: float,
    reference: Bounds,
) -> go.Figure:
    """The multivariate detector's p-value per window (log), hover with its sample size."""
    fig = go.Figure()
    fig.add_scatter(
        x=[p[0] for p in points],
        y=[None if p[1] is None else max(p[1], P_FLOOR) for p in points],
        customdata=[
            [p[2], "–" if p[1] is None else f"< {P_FLOOR:g}" if p[1] < P_FLOOR else f"{p[1]:.3g}"]
            for p in points
        ],
        mode="lines+markers",
        line={"color": REFERENCE_COLOUR},
        marker={
            "size": 7,
            "color": [
                DRIFT_COLOUR if p[1] is not None and p[1] < alpha else REFERENCE_COLOUR
                for p in points
            ],
        },
        hovertemplate="%{x|%Y-%m-%d}: p = %{customdata[1]}, "
        "%{customdata[0]:,} rows sampled<extra></extra>",
    )
    fig.add_hline(
        y=alpha,
        line={"color": DRIFT_COLOUR, "dash": "dash", "width": 1},
        annotation_text=f"α = {alpha:g}",
        annotation_position="bottom right",
        annotation_font={"color": DRIFT_COLOUR, "size": 11},
    )
    shade_reference(fig, reference)
    n = max((p[2] for p in points), default=0)
    fig.update_layout(
        title={
            "text": f"{detector.upper()} on all features (≤ {n:,} rows sampled per window)",
            "x": 0,
        },
        # Powers of ten, not SI prefixes: "1µ" is no way to write a p-value.
        yaxis={"type": "log", "title": "p-value (log)", "exponentformat": "power", "dtick": 1},
        showlegend=False,
    )
    stamps = [p[0] for p in points]
    if len(stamps) > 1:  # the tested windows only, not the whole year around them
        step = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
        fig.update_xaxes(range=[stamps[0] - step / 2, stamps[-1] + step / 2])
    date_axis(fig)
    return chart_layout(fig, height=280)


def online_figure(report: OnlineReport) -> go.Figure:
    """The online detector's statistic against its threshold, record by record."""
    fig = go.Figure()
    fig.add_scatter(
        x=list(report.timestamps),
        y=[None if math.isnan(s) else s for s in report.statistics],
        name="test statistic",
        mode="lines",
        line={"color": SERIES_COLOUR, "width": 2},
    )
    fig.add_scatter(
        x=list(report.timestamps),
        y=[None if math.isnan(t) else t for t in report.thresholds],
        name="threshold",
        mode="lines",
        line={"color": NEUTRAL_COLOUR, "dash": "dash"},
    )
    if report.detected_at is not None:
        fig.add_vline(x=report.detected_at, line={"color": DRIFT_COLOUR, "width": 2})
        fig.add_annotation(
            x=report.detected_at,
            y=1,
            yref="paper",
            text=f"detected at record {report.detection_time:,}",
            showarrow=False,
            xanchor="left",
            font={"color": DRIFT_COLOUR},
        )
    found = (
        "no detection"
        if report.detected_at is None
        else f"detected {report.detected_at:%Y-%m-%d %H:%M}"
    )
    fig.update_layout(
        title={
            "text": (
                f"Online {report.detector} on {figure_text(report.column)}: "
                f"ERT {report.ert:,.0f} records, {found}"
            ),
            "x": 0,
        },
        legend=LEGEND_BELOW,
    )
    date_axis(fig)
    return chart_layout(fig, height=300)


def with_annotations(fig: go.Figure, notes: Sequence[Annotation]) -> go.Figure:
    """Draw each note as a dotted vertical line labelled with its text; returns ``fig``."""
    for k, note in enumerate(notes):
        fig.add_vline(x=note.at, line={"color": ANNOTATION_COLOUR, "dash": "dot", "width": 1})
        fig.add_annotation(
            x=note.at,
            # Inside the plot, stepping down: the shaded periods' labels sit above it.
            y=1 - 0.1 * (k % 3),
            yref="paper",
            text=figure_text(_clip(note.text, 40)),
            hovertext=f"{note.at:%Y-%m-%d %H:%M}: {figure_text(note.text)}",
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 11},  # the theme's text colour, on a tint that reads in either theme
            bgcolor=rgba(NEUTRAL_COLOUR, 0.25),
        )
    return fig


def highlight(fig: go.Figure, bounds: Bounds, label: str = "production window") -> go.Figure:
    """Shade ``bounds`` (e.g. the sidebar's production window) in the current colour,
    labelled above the plot at its right end."""
    fig.add_vrect(
        x0=bounds[0], x1=bounds[1], fillcolor=CURRENT_COLOUR, opacity=0.12, line_width=0,
        layer="below",
    )  # fmt: skip
    label_above(fig, bounds[1], label, CURRENT_COLOUR, "right")
    # Bars of windows inside it turn orange too: a shade behind solid bars is hidden.
    for trace in fig.data:
        colours = getattr(trace.marker, "color", None) if trace.type == "bar" else None
        if isinstance(colours, tuple) and len(colours) == len(trace.x):
            trace.marker.color = [
                CURRENT_COLOUR if bounds[0] <= x < bounds[1] and c == SERIES_COLOUR else c
                for x, c in zip(trace.x, colours, strict=True)
            ]
    return fig


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _statistic_name(cells: Sequence[FeatureCell]) -> str:
    return "Jensen–Shannon distance" if cells and cells[0].kind == "categorical" else "KS D"
