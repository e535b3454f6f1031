"""Pure figure builders for the drift timeline page.

Every chart puts windows on a shared date axis (x = window start), shades the
reference period in :data:`~monitoring.figures.REFERENCE_COLOUR`, and draws
the model's annotations as dotted vertical lines with their text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import plotly.graph_objects as go

from monitoring.drift.judge import FeatureCell
from monitoring.drift.online import OnlineReport
from monitoring.report.escape import figure_text
from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    FONT,
    NEUTRAL_COLOUR,
    REFERENCE_COLOUR,
    TEMPLATE,
    rgba,
)
from monitoring.store.annotations import Annotation
from monitoring.timeline.report import Timeline, WindowDrift
from monitoring.timeutil import Bounds

DRIFT_COLOUR = "#C0392B"
# One hue darkening with the magnitude; the threshold (1) sits a third of the way up.
EXCESS_SCALE = [[0.0, "#F7F7F7"], [1 / 3, "#FDD49E"], [2 / 3, "#EF6548"], [1.0, "#7F0000"]]
EXCESS_CAP = 3.0
THIN_CELLS = 300  # windows beyond which a heatmap cell is a few pixels wide
ANNOTATION_COLOUR = "#555555"


def heatmap_figure(
    timeline: Timeline, features: Sequence[str], title: str = "Drift against the usual range"
) -> go.Figure:
    """Features (rows, in ``features`` order) × windows; colour = statistic ÷ calibrated
    threshold (1 = the edge of the usual range), ✕ = drifted.

    A sequential scale for a magnitude, capped at :data:`EXCESS_CAP` times the
    threshold; windows that were not judged (partial, too few rows, empty) are
    grey. Hovering a cell shows the statistic, its threshold, p-value, n and
    missing share. Without calibrated thresholds (the fixed rule) the colour is
    the effect size over the minimum effect.
    """
    index = {f: i for i, f in enumerate(features)}
    names = [figure_text(f) for f in features]  # column names are user text
    starts = [w.start for w in timeline.windows]
    z: list[list[float | None]] = [[None] * len(starts) for _ in features]
    text: list[list[str]] = [[""] * len(starts) for _ in features]
    grey: list[list[float | None]] = [[None] * len(starts) for _ in features]
    marks_x, marks_y = [], []
    for j, w in enumerate(timeline.windows):
        for c in w.cells:
            if c.feature not in index:
                continue
            i = index[c.feature]
            z[i][j] = _ratio(c.excess, c.effect, timeline.config.min_effect)
            if w.status != "tested":
                grey[i][j] = 1.0
                text[i][j] = f"{w.rows:,} rows: {w.status.replace('_', ' ')}, not judged"
                continue
            text[i][j] = (
                f"statistic = {_num(c.score)} (usual up to {_num(c.threshold)})"
                f"<br>p = {_num(c.p_value)}<br>n = {c.n:,}<br>missing = {_share(c.missing)}"
                + ("<br><b>drifted</b>" if c.drifted else "")
                + ("" if c.status == "tested" else f"<br>{c.status.replace('_', ' ')}")
            )
            if c.drifted:
                marks_x.append(w.start)
                marks_y.append(names[index[c.feature]])
    thin = len(starts) > THIN_CELLS  # 1-px gaps would hide cells: drop them
    gap = 0 if thin else 1
    fig = go.Figure()
    fig.add_heatmap(
        x=starts,
        y=names,
        z=z,
        text=text,
        zmin=0,
        zmax=EXCESS_CAP,
        colorscale=EXCESS_SCALE,
        colorbar={
            "title": {"text": "× usual"},
            "thickness": 12,
            "tickvals": [0, 1, 2, 3],
            "ticktext": ["0", "1 (limit)", "2", "≥ 3"],
        },
        hovertemplate="%{y} · %{x|%Y-%m-%d %H:%M}<br>%{text}<extra></extra>",
        xgap=gap,
        ygap=1,
    )
    fig.add_heatmap(
        x=starts,
        y=names,
        z=grey,
        colorscale=[[0, "#E5E8EC"], [1, "#E5E8EC"]],
        showscale=False,
        text=text,
        hovertemplate="%{y} · %{x|%Y-%m-%d %H:%M}<br>%{text}<extra></extra>",
        xgap=gap,
        ygap=1,
    )
    if not thin:
        fig.add_scatter(
            x=marks_x,
            y=marks_y,
            mode="markers",
            marker={
                "symbol": "x-thin",
                "size": max(3, min(7, 400 // max(len(starts), 1))),
                "line": {"width": 1.2, "color": "#222222"},
            },
            name="drifted",
            hoverinfo="skip",
        )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(title={"text": title, "x": 0}, showlegend=False)
    return _style(fig, height=max(300, 26 * len(features) + 120))


def share_figure(
    timeline: Timeline, threshold: float | None, title: str = "Share of features drifted"
) -> go.Figure:
    """The share of tested features that drifted per window, with the alert threshold."""
    fig = go.Figure()
    fig.add_scatter(
        x=[w.start for w in timeline.windows],
        y=[w.drifted_share for w in timeline.windows],
        mode="lines+markers",
        line={"color": CURRENT_COLOUR},
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
            annotation_position="top left",
            annotation_font={"color": DRIFT_COLOUR},
        )
    _shade_reference(fig, timeline.reference)
    fig.update_layout(title={"text": title, "x": 0}, showlegend=False)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    return _style(fig)


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
        line={"color": CURRENT_COLOUR},
        marker={
            "size": [8 if c.drifted else 5 for c in cells],
            "color": [DRIFT_COLOUR if c.drifted else CURRENT_COLOUR for c in cells],
        },
        customdata=[[_num(c.p_value), "drifted" if c.drifted else ""] for c in cells],
        hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:.3g} (p = %{customdata[0]}) "
        "%{customdata[1]}<extra></extra>",
    )
    _shade_reference(fig, timeline.reference)
    fig.update_layout(
        title={"text": f"{figure_text(feature)}: {name} against its usual range", "x": 0},
        yaxis={"title": name, "rangemode": "tozero"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return _style(fig)


def volume_figure(timeline: Timeline, title: str = "Records per window") -> go.Figure:
    """Rows per window; windows below ``min_rows`` (not tested) in grey, with the limit drawn.

    Tested windows inside the reference period take the reference colour, later
    ones the current colour, as on every chart.
    """
    ref_start, ref_end = timeline.reference

    def colour(w: WindowDrift) -> str:
        if w.status != "tested":
            return NEUTRAL_COLOUR
        return REFERENCE_COLOUR if w.start < ref_end and w.end > ref_start else CURRENT_COLOUR

    fig = go.Figure()
    fig.add_bar(
        x=[w.start for w in timeline.windows],
        y=[w.rows for w in timeline.windows],
        marker_color=[colour(w) for w in timeline.windows],
        hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:,} rows<extra></extra>",
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
            annotation_text="usual volume",
            annotation_position="top left",
            annotation_font={"color": "#5F6B7A", "size": 11},
        )
    fig.add_hline(
        y=timeline.min_rows,
        line={"color": NEUTRAL_COLOUR, "dash": "dot", "width": 1},
        annotation_text=f"min {timeline.min_rows} rows to test",
        annotation_position="top right",
        annotation_font={"color": "#5F6B7A", "size": 11},
    )
    _shade_reference(fig, timeline.reference)
    fig.update_layout(title={"text": title, "x": 0}, showlegend=False, bargap=0.1)
    fig.update_yaxes(tickformat=",", rangemode="tozero")
    return _style(fig, height=240)


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
        y=[None if p[1] is None else max(p[1], 1e-6) for p in points],
        customdata=[p[2] for p in points],
        mode="lines+markers",
        line={"color": REFERENCE_COLOUR},
        marker={
            "size": 7,
            "color": [
                DRIFT_COLOUR if p[1] is not None and p[1] < alpha else REFERENCE_COLOUR
                for p in points
            ],
        },
        hovertemplate="%{x|%Y-%m-%d}: p = %{y:.3g}, %{customdata:,} rows sampled<extra></extra>",
    )
    fig.add_hline(
        y=alpha,
        line={"color": DRIFT_COLOUR, "dash": "dash", "width": 1},
        annotation_text=f"α = {alpha:g}",
        annotation_position="bottom left",
    )
    _shade_reference(fig, reference)
    n = max((p[2] for p in points), default=0)
    fig.update_layout(
        title={
            "text": f"{detector.upper()} on all features (≤ {n:,} rows sampled per window)",
            "x": 0,
        },
        yaxis={"type": "log", "title": "p-value (log)"},
        showlegend=False,
    )
    return _style(fig, height=280)


def online_figure(report: OnlineReport) -> go.Figure:
    """The online detector's statistic against its threshold, record by record."""
    fig = go.Figure()
    fig.add_scatter(
        x=list(report.timestamps),
        y=[None if math.isnan(s) else s for s in report.statistics],
        name="test statistic",
        mode="lines",
        line={"color": CURRENT_COLOUR},
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
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return _style(fig, height=280)


def with_annotations(fig: go.Figure, notes: Sequence[Annotation]) -> go.Figure:
    """Draw each note as a dotted vertical line labelled with its text; returns ``fig``."""
    for k, note in enumerate(notes):
        fig.add_vline(x=note.at, line={"color": ANNOTATION_COLOUR, "dash": "dot", "width": 1})
        fig.add_annotation(
            x=note.at,
            y=1 - 0.08 * (k % 3),
            yref="paper",
            text=figure_text(_clip(note.text, 40)),
            hovertext=f"{note.at:%Y-%m-%d %H:%M}: {figure_text(note.text)}",
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 11, "color": ANNOTATION_COLOUR},
            bgcolor="rgba(255,255,255,0.8)",
        )
    return fig


def highlight(fig: go.Figure, bounds: Bounds, label: str = "production window") -> go.Figure:
    """Shade ``bounds`` (e.g. the sidebar's production window) in the current colour."""
    fig.add_vrect(
        x0=bounds[0], x1=bounds[1], fillcolor=CURRENT_COLOUR, opacity=0.10, line_width=0,
        layer="below", annotation_text=label, annotation_position="top left",
        annotation_font={"color": CURRENT_COLOUR, "size": 11},
    )  # fmt: skip
    return fig


def _shade_reference(fig: go.Figure, reference: Bounds) -> None:
    fig.add_vrect(
        x0=reference[0], x1=reference[1], fillcolor=REFERENCE_COLOUR, opacity=0.10, line_width=0,
        layer="below", annotation_text="reference", annotation_position="top left",
        annotation_font={"color": REFERENCE_COLOUR, "size": 11},
    )  # fmt: skip


def _style(fig: go.Figure, height: int = 320, margin_right: int = 20) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=height,
        margin={"l": 60, "r": margin_right, "t": 60, "b": 40},
        hoverlabel={"font_size": 12},
    )
    return fig


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:.3f}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _ratio(excess: float | None, effect: float | None, min_effect: float) -> float | None:
    """The cell's colour value: calibrated excess, else effect over the minimum effect."""
    if excess is not None:
        return excess
    return None if effect is None else effect / min_effect if min_effect else None


def _statistic_name(cells: Sequence[FeatureCell]) -> str:
    return "Jensen–Shannon distance" if cells and cells[0].kind == "categorical" else "KS D"
