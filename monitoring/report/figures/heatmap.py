"""The features × windows heatmap: each cell a feature's statistic over its usual limit.

Cells are ``score ÷ threshold`` (the calibrated excess), capped at
:data:`EXCESS_CAP`, on a sequential scale that reads in either theme. Long
timelines merge a few consecutive windows per column (the worst of them
colours it), so cells stay visible at hundreds of windows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from monitoring.drift.cells import FeatureCell
from monitoring.report.escape import figure_text
from monitoring.report.figures.style import DRIFT_COLOUR, NEUTRAL_COLOUR, date_axis, rgba
from monitoring.report.figures.time_axes import chart_layout, number_text, share_text
from monitoring.timeline.report import Timeline, WindowDrift

EXCESS_CAP = 3.0
# One hue, the drift red, growing more opaque with the magnitude: over a white
# background that darkens and over a dark one it brightens, so the scale is
# sequential in either theme. Below the usual limit (1, a third of the way up)
# cells stay faint; at the limit the opacity steps up, so "beyond the usual
# range" reads at a glance.
EXCESS_SCALE = [
    [0.0, rgba(DRIFT_COLOUR, 0.0)],
    [0.999 / EXCESS_CAP, rgba(DRIFT_COLOUR, 0.28)],
    [1 / EXCESS_CAP, rgba(DRIFT_COLOUR, 0.55)],
    [1.0, rgba(DRIFT_COLOUR, 1.0)],
]
UNTESTED_COLOUR = rgba(NEUTRAL_COLOUR, 0.35)
# A heatmap draws at most this many columns: more windows are merged, a few per
# column, so a cell stays at least ~2 px wide on a narrow screen.
MAX_COLUMNS = 240
# Past this many columns a 1-px gap would eat most of a cell, and ✕ marks merge
# into bars: cells touch, and the colour alone says "beyond the usual range".
GAP_COLUMNS = 120


def heatmap_figure(
    timeline: Timeline, features: Sequence[str], title: str = "Drift against the usual range"
) -> go.Figure:
    """Features (rows, in ``features`` order) × windows; colour = statistic ÷ calibrated
    threshold ("× its usual limit", 1 = the edge of the usual range), ✕ = drifted.

    A sequential scale for a magnitude (:data:`EXCESS_SCALE`), saturating at
    :data:`EXCESS_CAP` times the threshold; windows that were not judged
    (partial, too few rows, empty) are grey. Hovering a cell shows the
    statistic, its threshold, p-value, n and missing share. Without calibrated
    thresholds (the fixed rule) the colour is the effect size over the minimum
    effect. More than :data:`MAX_COLUMNS` windows are merged into columns of a
    few consecutive windows each, coloured by the worst of them and drifted if
    any of them drifted, so no cell becomes thinner than a couple of pixels.
    """
    index = {f: i for i, f in enumerate(features)}
    names = [figure_text(f) for f in features]  # column names are user text
    groups = _column_groups(timeline.windows)
    starts = [g[0].start for g in groups]
    z: list[list[float | None]] = [[None] * len(groups) for _ in features]
    text: list[list[str]] = [[""] * len(groups) for _ in features]
    grey: list[list[float | None]] = [[None] * len(groups) for _ in features]
    marks_x, marks_y = [], []
    for j, group in enumerate(groups):
        cells = _cells_by_feature(group, index)
        for i in range(len(features)):
            tested = [(w, c) for w, c in cells[i] if w.status == "tested"]
            if not cells[i]:
                continue
            if not tested:
                grey[i][j] = 1.0
                w = group[0]
                text[i][j] = (
                    f"{w.rows:,} rows: {w.status.replace('_', ' ')}, not judged"
                    if len(group) == 1
                    else f"{_span(group)}: no window judged"
                )
                continue
            ratios = [_ratio(c.excess, c.effect, timeline.config.min_effect) for _, c in tested]
            known = [r for r in ratios if r is not None]
            z[i][j] = min(max(known), EXCESS_CAP) if known else None
            drifted = sum(1 for _, c in tested if c.drifted)
            if len(group) == 1:
                text[i][j] = _cell_text(tested[0][1], known[0] if known else None)
            else:
                worst = f"{max(known):.2f}× its usual limit" if known else "no statistic"
                text[i][j] = (
                    f"{_span(group)} ({len(group)} windows)<br>worst {worst}"
                    f"<br>drifted in {drifted} of {len(tested)} judged"
                )
            if drifted:
                marks_x.append(starts[j])
                marks_y.append(names[i])
    gap = 0 if len(groups) > GAP_COLUMNS else 1
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
            "title": {"text": "× limit", "side": "top"},
            "thickness": 12,
            "tickvals": [0, 1, 2, 3],
            "ticktext": ["0", "1 limit", "2", "≥ 3"],
        },
        hovertemplate="%{y} · %{x|%Y-%m-%d %H:%M}<br>%{text}<extra></extra>",
        xgap=gap,
        ygap=1,
    )
    fig.add_heatmap(
        x=starts,
        y=names,
        z=grey,
        colorscale=[[0, UNTESTED_COLOUR], [1, UNTESTED_COLOUR]],
        showscale=False,
        text=text,
        hovertemplate="%{y} · %{x|%Y-%m-%d %H:%M}<br>%{text}<extra></extra>",
        xgap=gap,
        ygap=1,
    )
    if len(groups) <= GAP_COLUMNS:
        fig.add_scatter(
            x=marks_x,
            y=marks_y,
            mode="markers",
            # White with a dark outline: it reads on a pale or a saturated cell, in either theme.
            marker={
                "symbol": "x",
                "size": max(5, min(9, 500 // max(len(groups), 1))),
                "color": "#FFFFFF",
                "line": {"width": 1, "color": "#222222"},
            },
            name="drifted",
            hoverinfo="skip",
        )
    # No grid lines: they would show through the faint cells.
    fig.update_yaxes(autorange="reversed", type="category", showgrid=False)
    fig.update_xaxes(showgrid=False)
    fig.update_layout(title={"text": title, "x": 0}, showlegend=False)
    date_axis(fig)
    return chart_layout(fig, height=max(300, 26 * len(features) + 120))


def _column_groups(windows: Sequence[WindowDrift]) -> list[list[WindowDrift]]:
    """Consecutive windows, a few per heatmap column when there are more than MAX_COLUMNS."""
    size = max(1, math.ceil(len(windows) / MAX_COLUMNS))
    return [list(windows[k : k + size]) for k in range(0, len(windows), size)]


def _cells_by_feature(
    group: Sequence[WindowDrift], index: dict[str, int]
) -> list[list[tuple[WindowDrift, FeatureCell]]]:
    cells: list[list[tuple[WindowDrift, FeatureCell]]] = [[] for _ in index]
    for w in group:
        for c in w.cells:
            if c.feature in index:
                cells[index[c.feature]].append((w, c))
    return cells


def _cell_text(c: FeatureCell, ratio: float | None) -> str:
    times = "" if ratio is None else f" = {ratio:.2f}× its usual limit"
    return (
        f"statistic = {number_text(c.score)} (usual up to {number_text(c.threshold)}){times}"
        f"<br>p = {number_text(c.p_value)}<br>n = {c.n:,}<br>missing = {share_text(c.missing)}"
        + ("<br><b>drifted</b>" if c.drifted else "")
        + ("" if c.status == "tested" else f"<br>{c.status.replace('_', ' ')}")
    )


def _span(group: Sequence[WindowDrift]) -> str:
    return f"{group[0].start:%Y-%m-%d} → {group[-1].end:%Y-%m-%d}"


def _ratio(excess: float | None, effect: float | None, min_effect: float) -> float | None:
    """The cell's colour value: the calibrated excess (score ÷ its usual limit), else the
    effect over the minimum effect; a zero limit (an infinite excess) counts as the cap."""
    if excess is not None:
        return excess if math.isfinite(excess) else EXCESS_CAP
    return None if effect is None else effect / min_effect if min_effect else None
