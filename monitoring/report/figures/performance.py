"""Pure plotly figures of realized and estimated performance, comparisons and diagnoses.

Colours follow :mod:`monitoring.figures`: the reference is always
``REFERENCE_COLOUR`` and production windows ``CURRENT_COLOUR``. Windows whose
labels have not arrived are shaded and labelled "labels pending"; their
metrics are gaps, never zeros. Estimated performance is the dashed line with
its own lighter interval band.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from monitoring.performance.comparison import ConfusionMatrix, WindowComparison
from monitoring.performance.errors_drift import Diagnosis, WindowDiagnosis
from monitoring.performance.estimation import EstimationResult
from monitoring.performance.metrics import metric_info
from monitoring.performance.realized import PerformanceResult, WindowPerformance
from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    FONT,
    NEUTRAL_COLOUR,
    REFERENCE_COLOUR,
    TEMPLATE,
)

ALERT_COLOUR = "#D62728"
DIAGNOSIS_COLOURS: dict[Diagnosis, str] = {
    Diagnosis.STABLE: "#59A14F",
    Diagnosis.COVARIATE: "#EDC948",
    Diagnosis.CONCEPT: "#E15759",
    Diagnosis.BOTH: "#B07AA1",
    Diagnosis.UNKNOWN: "#D5DBE1",
}
_LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"}


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
        (False, "production", CURRENT_COLOUR),
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
    subtitle = "" if band.lower is not None else f"<br><sup>no reference band: {band.reason}</sup>"
    fig.update_layout(
        title={"text": (title or f"{info.label} per {_unit(result)}") + subtitle, "x": 0},
        xaxis_title=_x_title(result),
        yaxis_title=info.label,
        legend=_LEGEND,
        hovermode="closest",
    )
    return _style(fig, height=400)


def coverage_figure(result: PerformanceResult, title: str = "Label coverage") -> go.Figure:
    """A small bar chart of the share of each window's rows whose label has arrived."""
    windows = [w for w in result.windows if w.status != "empty"]
    colours = [REFERENCE_COLOUR if w.in_reference else CURRENT_COLOUR for w in windows]
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
        bargap=0.15,
    )
    return _style(fig, height=220)


def confusion_figure(comparison: WindowComparison) -> go.Figure:
    """Confusion matrices of the reference and the window, side by side, as row shares."""
    ref, win = comparison.reference_confusion, comparison.window_confusion
    if ref is None or win is None:
        return _message_figure("Confusion matrices apply to classifiers only")
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=(f"Reference · {ref.n:,} labelled", f"Window · {win.n:,} labelled"),
    )
    for col, matrix, colour in ((1, ref, REFERENCE_COLOUR), (2, win, CURRENT_COLOUR)):
        fig.add_trace(_heatmap(matrix, colour), row=1, col=col)
        fig.update_xaxes(title_text="predicted class", type="category", row=1, col=col)
        fig.update_yaxes(
            title_text="actual class" if col == 1 else None,
            type="category",
            autorange="reversed",
            row=1,
            col=col,
        )
    fig.update_layout(title={"text": "Confusion matrix: share of each actual class", "x": 0})
    fig.update_annotations(font_size=13)
    return _style(fig, height=420)


def reliability_figure(comparison: WindowComparison, min_rows: int = 10) -> go.Figure:
    """Observed positive rate against mean score per score bin, reference vs window.

    Bins with fewer than ``min_rows`` rows are left out: a rate from a
    handful of rows is noise. Marker area grows with the bin's rows.
    """
    ref, win = comparison.reference_reliability, comparison.window_reliability
    if ref is None or win is None:
        return _message_figure("Reliability curves need a binary model with a score column")
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="perfectly calibrated",
        line={"color": NEUTRAL_COLOUR, "dash": "dash", "width": 1},
        hoverinfo="skip",
    )
    for curve, name, colour in (
        (ref, f"reference ({ref.n:,})", REFERENCE_COLOUR),
        (win, f"window ({win.n:,})", CURRENT_COLOUR),
    ):
        keep = curve.counts >= max(min_rows, 1)
        sizes = 6 + 10 * np.sqrt(curve.counts[keep] / max(int(curve.counts.max()), 1))
        fig.add_scatter(
            x=curve.mean_score[keep],
            y=curve.observed[keep],
            mode="lines+markers",
            name=name,
            line={"color": colour},
            marker={"color": colour, "size": sizes},
            customdata=curve.counts[keep],
            hovertemplate=(
                "mean score %{x:.2f}: %{y:.1%} positive (%{customdata:,} rows)<extra></extra>"
            ),
        )
    fig.update_layout(
        title={"text": "Reliability: observed positive rate by score", "x": 0},
        xaxis={"title": "mean score in bin", "range": [0, 1]},
        yaxis={"title": "observed share positive", "range": [0, 1], "tickformat": ".0%"},
        # Inside, top left: the curves hug the diagonal, so that corner stays empty.
        legend={
            "x": 0.02,
            "y": 0.98,
            "xanchor": "left",
            "yanchor": "top",
            "bgcolor": _rgba("#FFFFFF", 0.8),
        },
    )
    return _style(fig, height=420)


def residual_figure(comparison: WindowComparison) -> go.Figure:
    """Residual (target − prediction) densities of the reference and the window, overlaid."""
    hist = comparison.residuals
    if hist is None:
        return _message_figure("Residuals apply to regression models only")
    centres = (hist.edges[:-1] + hist.edges[1:]) / 2
    width = float(np.diff(hist.edges)[0])
    fig = go.Figure()
    for density, n, mean, name, colour in (
        (
            hist.reference_density,
            hist.reference_n,
            hist.reference_mean,
            "reference",
            REFERENCE_COLOUR,
        ),
        (hist.window_density, hist.window_n, hist.window_mean, "window", CURRENT_COLOUR),
    ):
        fig.add_bar(
            x=centres,
            y=density,
            width=width,
            name=f"{name} ({n:,})",
            marker={"color": colour},
            opacity=0.55,
            hovertemplate="residual %{x:.3g}: density %{y:.3g}<extra></extra>",
        )
        if mean is not None:
            fig.add_vline(x=mean, line={"color": colour, "dash": "dash", "width": 1.5})
    fig.update_layout(
        barmode="overlay",
        bargap=0,
        title={"text": "Residual distribution (dashed: mean residual)", "x": 0},
        xaxis_title="residual (target − prediction)",
        yaxis_title="density",
        legend=_LEGEND,
    )
    return _style(fig, height=400)


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
            marker={"color": DIAGNOSIS_COLOURS[kind], "line": {"color": "white", "width": 1}},
            hovertext=[f"{_span(d.start, d.end)}<br>{_wrap(d.explanation)}" for d in chosen],
            hoverinfo="text",
        )
    fig.update_layout(
        title={"text": title, "x": 0},
        barmode="overlay",
        xaxis={"type": "date", "title": "window start"},
        yaxis={"visible": False},
        legend=_LEGEND,
    )
    return _style(fig, height=190)


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
            fillcolor=_rgba(CURRENT_COLOUR, 0.12),
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
        line={"color": CURRENT_COLOUR, "dash": "dash", "width": 1.5},
        marker={"symbol": "diamond-open", "color": CURRENT_COLOUR, "size": 7},
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
            annotation_font={"color": "#5B6770", "size": 12},
        )


def _heatmap(matrix: ConfusionMatrix, colour: str) -> go.Heatmap:
    shares = matrix.normalised()
    text = [
        [
            f"{count:,}<br>{'' if np.isnan(share) else f'{share:.0%}'}"
            for count, share in zip(row, srow, strict=True)
        ]
        for row, srow in zip(matrix.counts, shares, strict=True)
    ]
    labels = list(matrix.labels)
    return go.Heatmap(
        z=shares,
        x=labels,
        y=labels,
        text=text,
        texttemplate="%{text}",
        zmin=0,
        zmax=1,
        colorscale=[[0, "#FFFFFF"], [1, colour]],
        showscale=False,
        hovertemplate="actual %{y}, predicted %{x}: %{text}<extra></extra>",
    )


def _message_figure(text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False})
    return _style(fig, height=200)


def _unit(result: PerformanceResult) -> str:
    return f"{result.rows:,} rows" if result.rows is not None else (result.period or "window")


def _x_title(result: PerformanceResult) -> str:
    return "window starting" if result.rows is not None else f"{result.period} starting"


def _span(start: dt.datetime, end: dt.datetime) -> str:
    fmt = "%Y-%m-%d" if start.time() == dt.time() and end.time() == dt.time() else "%Y-%m-%d %H:%M"
    return f"{start:{fmt}} → {end:{fmt}}"


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


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE, font=FONT, margin={"l": 70, "r": 20, "t": 70, "b": 55}, height=height
    )
    return fig
