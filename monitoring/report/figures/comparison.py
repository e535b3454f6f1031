"""One window against the reference, drawn: confusion matrices, reliability curves, residuals.

The data comes from :func:`monitoring.performance.comparison.compare_with_reference`;
the reference is always drawn in ``REFERENCE_COLOUR`` and the window in
``CURRENT_COLOUR``, as on every chart.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from monitoring.performance.comparison import ConfusionMatrix, WindowComparison
from monitoring.report.escape import figure_text
from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    LEGEND_BELOW,
    NEUTRAL_COLOUR,
    REFERENCE_COLOUR,
    message_figure,
    performance_style,
    rgba,
)

_LEGEND = LEGEND_BELOW


def confusion_figure(comparison: WindowComparison) -> go.Figure:
    """Confusion matrices of the reference and the window, side by side, as row shares."""
    ref, win = comparison.reference_confusion, comparison.window_confusion
    if ref is None or win is None:
        return message_figure("Confusion matrices apply to classifiers only")
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        # Short: two matrices share a chart that may be 300 px wide.
        subplot_titles=(f"Reference · {ref.n:,}", f"Window · {win.n:,}"),
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
    fig.update_layout(
        title={"text": "Confusion matrix<br><sup>share of each actual class</sup>", "x": 0}
    )
    fig.update_annotations(font_size=13)
    return performance_style(fig, height=420)


def reliability_figure(comparison: WindowComparison, min_rows: int = 10) -> go.Figure:
    """Observed positive rate against mean score per score bin, reference vs window.

    Bins with fewer than ``min_rows`` rows are left out: a rate from a
    handful of rows is noise. Marker area grows with the bin's rows.
    """
    ref, win = comparison.reference_reliability, comparison.window_reliability
    if ref is None or win is None:
        return message_figure("Reliability curves need a binary model with a score column")
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
        title={"text": "Reliability<br><sup>observed positive rate by score</sup>", "x": 0},
        xaxis={"title": "mean score in bin", "range": [0, 1]},
        yaxis={"title": "observed share positive", "range": [0, 1], "tickformat": ".0%"},
        # Inside, top left: the curves hug the diagonal, so that corner stays empty.
        legend={
            "x": 0.02,
            "y": 0.98,
            "xanchor": "left",
            "yanchor": "top",
            "bgcolor": rgba(NEUTRAL_COLOUR, 0.15),  # a tint, not white: it reads in a dark theme
        },
    )
    return performance_style(fig, height=420)


def residual_figure(comparison: WindowComparison) -> go.Figure:
    """Residual (target − prediction) densities of the reference and the window, side by side
    in each bin (overlaid translucent bars would mix a third colour)."""
    hist = comparison.residuals
    if hist is None:
        return message_figure("Residuals apply to regression models only")
    centres = (hist.edges[:-1] + hist.edges[1:]) / 2
    width = float(np.diff(hist.edges)[0])
    fig = go.Figure()
    sides = (
        (hist.reference_density, hist.reference_n, hist.reference_mean, "reference"),
        (hist.window_density, hist.window_n, hist.window_mean, "window"),
    )
    for side, (density, n, mean, name) in enumerate(sides):
        colour = (REFERENCE_COLOUR, CURRENT_COLOUR)[side]
        fig.add_bar(
            x=hist.edges[:-1] + side * width / 2,
            y=density,
            width=width / 2,
            offset=0,
            name=f"{name} ({n:,})",
            marker={"color": colour, "line": {"width": 0}},
            customdata=centres,
            hovertemplate="residual %{customdata:.3g}: density %{y:.3g}<extra></extra>",
        )
        if mean is not None:
            fig.add_vline(x=mean, line={"color": colour, "dash": "dash", "width": 1.5})
    fig.update_layout(
        barmode="group",
        bargap=0,
        title={"text": "Residual distribution (dashed: mean residual)", "x": 0},
        xaxis_title="residual (target − prediction)",
        yaxis_title="density",
        legend=_LEGEND,
    )
    return performance_style(fig, height=400)


def _heatmap(matrix: ConfusionMatrix, colour: str) -> go.Heatmap:
    shares = matrix.normalised()
    text = [
        [
            f"{count:,}<br>{'' if np.isnan(share) else f'{share:.0%}'}"
            for count, share in zip(row, srow, strict=True)
        ]
        for row, srow in zip(matrix.counts, shares, strict=True)
    ]
    labels = [figure_text(label) for label in matrix.labels]  # class labels are user data
    return go.Heatmap(
        z=shares,
        x=labels,
        y=labels,
        text=text,
        texttemplate="%{text}",
        zmin=0,
        zmax=1,
        # From a pale tint, not white: a white tile glares on a dark background.
        colorscale=[[0, _tint(colour, 0.85)], [1, colour]],
        showscale=False,
        hovertemplate="actual %{y}, predicted %{x}: %{text}<extra></extra>",
    )


def _tint(hex_colour: str, whiteness: float) -> str:
    """``hex_colour`` mixed with white (``whiteness`` 0 … 1), opaque."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(v + (255 - v) * whiteness) for v in (r, g, b)]
    return f"rgb({mix[0]},{mix[1]},{mix[2]})"
