"""Figures of one drift run: a column's distribution in both windows, and a grid of them.

Shares, not counts, are plotted so windows of different sizes compare. The
data comes with the report (histograms on shared bins and category counts
computed in DuckDB), so drawing never touches the records again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from monitoring.drift.report import EFFECT_LABELS, ColumnDrift
from monitoring.report.escape import figure_text
from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    FONT,
    LEGEND_BELOW,
    REFERENCE_COLOUR,
    TEMPLATE,
    place_legend,
    style_figure,
)

View = Literal["histogram", "ecdf"]
TOP_CATEGORIES = 12
GRID_CATEGORIES = 8
MAX_UNSEEN_BARS = 3
MISSING = "(missing)"
# A bin holding more than this share of a window's values flattens the rest of a
# linear axis (e.g. rain: 97 % of days at 0): such a histogram gets a log axis.
DOMINANT_BIN = 0.6
# A bin this many times wider than the median is an outer bin of outliers
# (see monitoring.drift.effects.plot_histogram): left out of the axis, said in a note.
OUTER_BIN = 2.5


def distribution_figure(column: ColumnDrift, view: View = "histogram") -> go.Figure:
    """Reference vs current distribution of one column, with its test annotated.

    Numeric columns: the two histograms of shares side by side on shared bins
    (never overlaid: translucent bars on top of each other mix a third colour),
    or the two ECDFs (``view="ecdf"``, on the same bins). A histogram one bin
    of which holds most values gets a log axis; outer bins of outliers are
    left off the axis and counted in the subtitle. Categorical columns:
    grouped bars of shares, the categories that moved most first, the rest
    folded into "other", categories unseen in the reference hatched, missing
    values as their own bar. A column without plot data gets a figure saying why.
    """
    fig = go.Figure()
    # The test and p on one line, effect and verdict on the next: a narrow column cuts
    # one long line off.
    parts = result_line(column).split(" · ")
    subtitle = " · ".join(parts[:2]) + ("<br>" + " · ".join(parts[2:]) if parts[2:] else "")
    log_axis = False
    if column.histogram is not None:
        _numeric_traces(fig, column, view, row=None, legend=True)
        x_title = figure_text(column.column)
        y_title = "cumulative share" if view == "ecdf" else "share of values"
        log_axis = view == "histogram" and dominant(column)
        beyond = outliers_note(column)
        if log_axis:
            y_title += " (log)"
        if beyond:
            subtitle += f"<br>{beyond}"
    elif column.categories is not None:
        _categorical_traces(fig, column, TOP_CATEGORIES, row=None, legend=True)
        x_title, y_title = figure_text(column.column), "share of rows"
    else:
        fig.add_annotation(
            text=figure_text(column.note or "no data to plot"),
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            font={**FONT, "size": 15},
        )
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        x_title = y_title = ""
    fig.add_annotation(
        text=subtitle,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0,
        y=1.0,
        xanchor="left",
        yanchor="bottom",
        align="left",
        font={**FONT, "size": 12},  # the theme's text colour: readable light or dark
    )
    fig.update_layout(
        barmode="group",
        bargap=0.2 if column.categories is not None else 0,
        title={"text": f"{figure_text(column.column)}: reference vs current", "x": 0, "y": 0.97},
        xaxis_title=x_title,
        yaxis_title=y_title,
        yaxis_tickformat=".0%",
        legend=LEGEND_BELOW,
    )
    if log_axis:
        fig.update_yaxes(type="log", tickformat=".2~%", dtick=1)
    style_figure(fig, height=440)
    fig.update_layout(margin={"t": 80 + 16 * subtitle.count("<br>")})
    return place_legend(fig)


def grid_figure(columns: Sequence[ColumnDrift], per_row: int = 3) -> go.Figure:
    """Small multiples: each column's distribution in both windows, titled by its effect."""
    rows = max(1, math.ceil(len(columns) / per_row))
    titles = [f"{figure_text(c.column)} · {_effect_text(c)}" for c in columns]
    fig = make_subplots(
        rows=rows,
        cols=per_row,
        subplot_titles=titles,
        horizontal_spacing=0.07,
        vertical_spacing=0.16 if rows > 1 else 0.1,
    )
    for i, column in enumerate(columns):
        cell = (i // per_row + 1, i % per_row + 1)
        if column.histogram is not None:
            _numeric_traces(fig, column, "histogram", row=cell, legend=i == 0)
            if dominant(column):  # its tail would be flat on a linear axis
                fig.update_yaxes(type="log", tickformat=".2~%", dtick=1, row=cell[0], col=cell[1])
        elif column.categories is not None:
            _categorical_traces(fig, column, GRID_CATEGORIES, row=cell, legend=i == 0)
    fig.update_layout(
        barmode="group",
        bargap=0.15,
        template=TEMPLATE,
        font=FONT,
        height=260 * rows + 70,
        margin={"l": 40, "r": 20, "t": 80, "b": 40},
        legend={
            "orientation": "h",
            "y": 0.99,
            "yanchor": "top",
            "x": 1,
            "xanchor": "right",
            "yref": "container",
        },
    )
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(tickfont={"size": 10})
    # Subplot titles in the theme's text colour (a fixed grey fades on a dark background).
    fig.update_annotations(font={**FONT, "size": 12})
    return fig


def result_line(column: ColumnDrift) -> str:
    """One line: the test, its statistic and p-value, the effect, missing shares."""
    if column.p_value is None:
        return f"not tested: {figure_text(column.note)}"
    parts = [
        f"{column.statistic_name or column.test} = {column.statistic:.3g}",
        f"p {_p(column.p_value)}",
        _effect_text(column),
    ]
    if column.missing_reference or column.missing_current:
        parts.append(
            f"missing {_share(column.missing_reference)} → {_share(column.missing_current)}"
        )
    verdict = "drifted" if column.drifted else "not drifted"
    return " · ".join(parts) + f" · <b>{verdict}</b>"


def _numeric_traces(
    fig: go.Figure, column: ColumnDrift, view: View, row: tuple[int, int] | None, legend: bool
) -> None:
    assert column.histogram is not None
    edges = np.asarray(column.histogram.edges, dtype=float)
    first, last = inner_bins(edges)
    where = {} if row is None else {"row": row[0], "col": row[1]}
    for side, (name, counts, colour) in enumerate(
        (
            ("reference", column.histogram.reference, REFERENCE_COLOUR),
            ("current", column.histogram.current, CURRENT_COLOUR),
        )
    ):
        shares = _shares(counts)
        if view == "ecdf":
            cumulative = np.concatenate([[0.0], np.cumsum(shares)])
            fig.add_scatter(
                x=edges[first : last + 2],
                y=cumulative[first : last + 2],
                name=name,
                mode="lines",
                line={"shape": "hv", "color": colour, "width": 2},
                legendgroup=name,
                showlegend=legend,
                **where,
            )
            continue
        # Side by side within each bin: the reference on the left half, current on the right.
        left, right = edges[first : last + 1], edges[first + 1 : last + 2]
        half = (right - left) / 2
        fig.add_bar(
            x=left + half * side,
            y=shares[first : last + 1],
            width=half,
            offset=0,
            name=name,
            marker={"color": colour, "line": {"width": 0}},
            customdata=np.stack([left, right], axis=-1),
            legendgroup=name,
            showlegend=legend,
            hovertemplate=f"{name}: %{{y:.1%}} of values"
            "<extra>%{customdata[0]:.4g} – %{customdata[1]:.4g}</extra>",
            **where,
        )


def inner_bins(edges: np.ndarray) -> tuple[int, int]:
    """The first and last bin that are not an outer bin of outliers (inclusive)."""
    widths = np.diff(edges)
    if len(widths) < 4:
        return 0, len(widths) - 1
    limit = OUTER_BIN * float(np.median(widths))
    first = 1 if widths[0] > limit else 0
    last = len(widths) - 2 if widths[-1] > limit else len(widths) - 1
    return first, last


def outliers_note(column: ColumnDrift) -> str:
    """Which values the plotted bins leave out (outer bins), or ``""``."""
    assert column.histogram is not None
    edges = np.asarray(column.histogram.edges, dtype=float)
    first, last = inner_bins(edges)
    ref, cur = _shares(column.histogram.reference), _shares(column.histogram.current)
    parts = []
    if first:
        parts.append(f"below {edges[1]:.4g}: {ref[0]:.1%} / {cur[0]:.1%}")
    if last < len(edges) - 2:
        parts.append(f"above {edges[-2]:.4g}: {ref[-1]:.1%} / {cur[-1]:.1%}")
    if not parts:
        return ""
    return "not drawn (reference / current): " + "; ".join(parts)


def dominant(column: ColumnDrift) -> bool:
    """Whether one bin holds most values of a window (a zero-inflated column, say)."""
    assert column.histogram is not None
    return any(
        float(_shares(counts).max(initial=0.0)) > DOMINANT_BIN
        for counts in (column.histogram.reference, column.histogram.current)
    )


def _categorical_traces(
    fig: go.Figure, column: ColumnDrift, top: int, row: tuple[int, int] | None, legend: bool
) -> None:
    names, ref, cur, unseen = category_shares(column, top)
    labels = [figure_text(name) for name in names]  # categories are user data
    where = {} if row is None else {"row": row[0], "col": row[1]}
    fig.add_bar(
        x=labels,
        y=ref,
        name="reference",
        marker_color=REFERENCE_COLOUR,
        legendgroup="reference",
        showlegend=legend,
        hovertemplate="reference: %{y:.1%}<extra>%{x}</extra>",
        **where,
    )
    fig.add_bar(
        x=labels,
        y=cur,
        name="current",
        legendgroup="current",
        showlegend=legend,
        marker={"color": CURRENT_COLOUR, "pattern": {"shape": ["/" if u else "" for u in unseen]}},
        hovertemplate="current: %{y:.1%}<extra>%{x}</extra>",
        **where,
    )


def category_shares(
    column: ColumnDrift, top: int
) -> tuple[list[str], list[float], list[float], list[bool]]:
    """Bar labels and shares of all rows per side, with which bars are unseen in the reference.

    The ``top`` categories whose share moved most (``|current − reference|``)
    keep their own bar, the largest move first: folding by frequency would
    hide exactly the categories that changed. The other reference categories
    fold into "other (N)"; categories absent from the reference are marked
    "(unseen)", and those that do not make the ``top`` (or all of them, when
    more than ``MAX_UNSEEN_BARS`` are unseen) fold into "unseen (N)"; missing
    values get their own bar.
    """
    assert column.categories is not None
    counts = column.categories
    ref_total = _total(sum(counts.reference), column.missing_reference)
    cur_total = _total(sum(counts.current), column.missing_current)
    many_unseen = sum(1 for r in counts.reference if r == 0) > MAX_UNSEEN_BARS
    rows = [
        (name, r / ref_total if ref_total else 0.0, c / cur_total if cur_total else 0.0, r == 0)
        for name, r, c in zip(counts.categories, counts.reference, counts.current, strict=True)
    ]
    candidates = [row for row in rows if not (row[3] and many_unseen)]
    # Stable: among equal moves the reference order (most frequent first) stays.
    kept = sorted(candidates, key=lambda row: -abs(row[2] - row[1]))[:top]
    chosen = {row[0] for row in kept}
    labels = [f"{name} (unseen)" if new else name for name, _, _, new in kept]
    ref = [row[1] for row in kept]
    cur = [row[2] for row in kept]
    unseen = [row[3] for row in kept]
    for is_new in (False, True):
        folded = [row for row in rows if row[0] not in chosen and row[3] is is_new]
        if folded:
            labels.append(f"{'unseen' if is_new else 'other'} ({len(folded)})")
            ref.append(sum(row[1] for row in folded))
            cur.append(sum(row[2] for row in folded))
            unseen.append(is_new)
    if column.missing_reference or column.missing_current:
        labels.append(MISSING)
        ref.append(column.missing_reference or 0.0)
        cur.append(column.missing_current or 0.0)
        unseen.append(False)
    return labels, ref, cur, unseen


def _total(non_null: int, missing: float | None) -> float:
    """All rows of a window, from its non-NULL count and missing share."""
    if not missing:
        return float(non_null)
    return non_null / (1 - missing) if missing < 1 else 0.0


def _shares(counts: Sequence[int]) -> np.ndarray:
    values = np.asarray(counts, dtype=float)
    total = values.sum()
    return values / total if total else values


def _effect_text(column: ColumnDrift) -> str:
    if column.effect is None:
        return "no effect size"
    return f"{EFFECT_LABELS.get(column.effect_name, column.effect_name)} = {column.effect:.3g}"


def _p(value: float) -> str:
    return "< 1e-300" if value == 0 else f"= {value:.2g}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
