"""Pure plotly figures of realized and estimated performance over time, and diagnoses.

One window beside the reference (confusion matrices, reliability, residuals)
is drawn by :mod:`monitoring.report.figures.comparison`. Colours follow
:mod:`monitoring.report.figures.style`: the reference is always
``REFERENCE_COLOUR`` and production windows ``CURRENT_COLOUR``. Windows whose
labels have not arrived are shaded and labelled "labels pending"; their
metrics are gaps, never zeros. Production windows form a series, drawn in
``SERIES_COLOUR`` (orange stays for the one window being compared); estimated
performance is the dashed line with its own lighter interval band.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from monitoring.performance.diagnosis import Diagnosis, WindowDiagnosis
from monitoring.performance.estimation import EstimationResult
from monitoring.performance.metrics import metric_info
from monitoring.performance.realized import PerformanceResult, WindowPerformance
from monitoring.report.figures.style import (
    DRIFT_COLOUR,
    LEGEND_BELOW,
    MUTED_TEXT,
    NEUTRAL_COLOUR,
    REFERENCE_COLOUR,
    SERIES_COLOUR,
    THIN_BARS,
    date_axis,
    performance_style,
    rgba,
)
from monitoring.timeutil import span_label

ALERT_COLOUR = DRIFT_COLOUR  # one red for "beyond the usual range", on every page
DIAGNOSIS_COLOURS: dict[Diagnosis, str] = {
    Diagnosis.STABLE: "#59A14F",
    Diagnosis.COVARIATE: "#EDC948",
    Diagnosis.CONCEPT: "#E15759",
    Diagnosis.BOTH: "#B07AA1",
    Diagnosis.UNKNOWN: rgba(NEUTRAL_COLOUR, 0.45),
}
_LEGEND = LEGEND_BELOW


def metric_figure(
    result: PerformanceResult,
    metric: str,
    estimate: EstimationResult | None = None,
    title: str | None = None,
) -> go.Figure:
    """One metric per window: values with intervals, the reference band, alerts, estimates.

    Reference-period windows are drawn in the reference colour, later ones in
    the current colour, each with its bootstrap interval as error bars.
    Windows outside the band are ringed; label-pending windows are shaded.
    With ``estimate`` (same windows), the estimated metric is a dashed line
    with its interval, beside the realized values and alone where labels are
    pending.
    """
    info = metric_info(metric)
    fig = go.Figure()
    band = result.bands[metric]
    if band.lower is not None and band.upper is not None and band.mean is not None:
        fig.add_hrect(
            y0=band.lower,
            y1=band.upper,
            fillcolor=REFERENCE_COLOUR,
            opacity=0.10,
            line_width=0,
            layer="below",
            annotation_text=f"reference band (mean ± {band.sigmas:g}σ)",
            annotation_position="bottom left",
            annotation_font={"color": REFERENCE_COLOUR, "size": 12},
        )
        fig.add_hline(y=band.mean, line={"color": REFERENCE_COLOUR, "width": 1, "dash": "dot"})
    _shade_pending(fig, result.windows)
    if estimate is not None and metric in estimate.metrics:
        _add_estimate(fig, estimate, metric)
    for inside, name, colour in (
        (True, "reference period", REFERENCE_COLOUR),
        (False, "production", SERIES_COLOUR),
    ):
        _add_realized(fig, result.windows, metric, inside, name, colour)
    alerts = [a for a in result.alerts if a.metric == metric]
    if alerts:
        fig.add_scatter(
            x=[a.start for a in alerts],
            y=[a.value for a in alerts],
            mode="markers",
            name="outside reference band",
            marker={
                "symbol": "circle-open",
                "size": 16,
                "color": ALERT_COLOUR,
                "line": {"width": 2},
            },
            hovertext=[a.message() for a in alerts],
            hoverinfo="text",
        )
    if band.lower is None:
        subtitle = f"<br><sup>no reference band: {band.reason}</sup>"
    elif "resampled" in band.basis:  # not the windows themselves: say what the band rests on
        subtitle = f"<br><sup>band from {band.basis.split(' (')[0]}</sup>"
    else:
        subtitle = ""
    fig.update_layout(
        title={"text": (title or f"{info.label} per {_unit(result)}") + subtitle, "x": 0},
        xaxis_title=_x_title(result),
        yaxis_title=info.label,
        legend=_LEGEND,
        hovermode="closest",
    )
    date_axis(fig)
    return performance_style(fig, height=420)


def coverage_figure(result: PerformanceResult, title: str = "Label coverage") -> go.Figure:
    """A small bar chart of the share of each window's rows whose label has arrived."""
    windows = [w for w in result.windows if w.status != "empty"]
    colours = [REFERENCE_COLOUR if w.in_reference else SERIES_COLOUR for w in windows]
    fig = go.Figure()
    fig.add_bar(
        x=[w.window.start for w in windows],
        y=[w.label_coverage for w in windows],
        marker_color=colours,
        customdata=[[w.window.labelled, w.window.rows] for w in windows],
        hovertemplate=(
            "%{x|%Y-%m-%d %H:%M}: %{y:.0%} labelled "
            "(%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>"
        ),
        showlegend=False,
    )
    _shade_pending(fig, windows)
    fig.update_layout(
        title={"text": title, "x": 0},
        xaxis_title=_x_title(result),
        yaxis={"title": "labelled", "range": [0, 1.05], "tickformat": ".0%"},
        bargap=0 if len(windows) > THIN_BARS else 0.15,
    )
    date_axis(fig)
    return performance_style(fig, height=220)


def diagnosis_figure(diagnoses: Sequence[WindowDiagnosis], title: str = "Diagnosis") -> go.Figure:
    """A band over time, one coloured block per window: stable, covariate, concept, both, unknown.

    Hovering a block shows the diagnosis in words.
    """
    fig = go.Figure()
    for kind in Diagnosis:
        chosen = [d for d in diagnoses if d.diagnosis is kind]
        if not chosen:
            continue
        fig.add_bar(
            base=[d.start for d in chosen],
            x=[(d.end - d.start).total_seconds() * 1000 for d in chosen],
            y=["diagnosis"] * len(chosen),
            orientation="h",
            name=kind.label,
            marker={"color": DIAGNOSIS_COLOURS[kind], "line": {"width": 0}},
            hovertext=[f"{span_label(d.start, d.end)}<br>{_wrap(d.explanation)}" for d in chosen],
            hoverinfo="text",
        )
    fig.update_layout(
        title={"text": title, "x": 0},
        barmode="overlay",
        # No axis title: the dates say it, and a short chart has no room for it and a legend.
        xaxis={"type": "date"},
        yaxis={"visible": False},
        legend=_LEGEND,
    )
    date_axis(fig)
    return performance_style(fig, height=250)


def _add_realized(
    fig: go.Figure,
    windows: Sequence[WindowPerformance],
    metric: str,
    inside: bool,
    name: str,
    colour: str,
) -> None:
    chosen = [w for w in windows if w.in_reference == inside]
    if not chosen:
        return
    values = [w.metrics[metric] for w in chosen]
    y = [v.value for v in values]
    plus = [None if v.upper is None or v.value is None else v.upper - v.value for v in values]
    minus = [None if v.lower is None or v.value is None else v.value - v.lower for v in values]
    fig.add_scatter(
        x=[w.window.start for w in chosen],
        y=y,
        mode="lines+markers",
        name=name,
        line={"color": colour, "width": 2},
        marker={"color": colour, "size": 7},
        connectgaps=False,
        error_y={
            "type": "data",
            "array": plus,
            "arrayminus": minus,
            "color": colour,
            "thickness": 1,
            "width": 3,
        },
        customdata=[
            [v.n, v.status if v.value is None else "", v.reason, w.window.labelled]
            for v, w in zip(values, chosen, strict=True)
        ],
        hovertemplate=(
            "%{x|%Y-%m-%d %H:%M}: %{y:.4g} (n = %{customdata[0]:,}) "
            "%{customdata[1]} %{customdata[2]}<extra>" + name + "</extra>"
        ),
    )


def _add_estimate(fig: go.Figure, estimate: EstimationResult, metric: str) -> None:
    x = [w.window.start for w in estimate.windows]
    values = [w.metrics[metric] for w in estimate.windows]
    if any(v.lower is not None for v in values):
        fig.add_scatter(
            x=x + x[::-1],
            y=[v.upper for v in values] + [v.lower for v in values][::-1],
            fill="toself",
            fillcolor=rgba(SERIES_COLOUR, 0.15),
            line={"width": 0},
            name="estimate interval",
            legendgroup="estimate",
            hoverinfo="skip",
            showlegend=False,
        )
    fig.add_scatter(
        x=x,
        y=[v.value for v in values],
        mode="lines+markers",
        name="estimated (labels not needed)",
        legendgroup="estimate",
        line={"color": SERIES_COLOUR, "dash": "dash", "width": 1.5},
        marker={"symbol": "diamond-open", "color": SERIES_COLOUR, "size": 7},
        connectgaps=False,
        hovertemplate="%{x|%Y-%m-%d %H:%M}: estimated %{y:.4g}<extra></extra>",
    )


def _shade_pending(fig: go.Figure, windows: Sequence[WindowPerformance]) -> None:
    """One shaded, labelled block per run of consecutive label-pending windows."""
    runs: list[list[WindowPerformance]] = []
    for w in windows:
        if w.status != "pending":
            continue
        if runs and runs[-1][-1].window.end == w.window.start:
            runs[-1].append(w)
        else:
            runs.append([w])
    for run in runs:
        fig.add_vrect(
            x0=run[0].window.start,
            x1=run[-1].window.end,
            fillcolor=NEUTRAL_COLOUR,
            opacity=0.18,
            line_width=0,
            layer="below",
            annotation_text="labels pending",
            annotation_position="top left",
            annotation_font={"color": MUTED_TEXT, "size": 12},
        )


def _unit(result: PerformanceResult) -> str:
    return result.plan.unit


def _x_title(result: PerformanceResult) -> str:
    return "window starting" if result.plan.rows is not None else f"{result.plan.period} starting"


def _wrap(text: str, width: int = 70) -> str:
    """Break long hover text into lines (plotly does not wrap)."""
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return "<br>".join([*lines, current])
