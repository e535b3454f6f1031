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
    REFERENCE_COLOUR,
    TEMPLATE,
    style_figure,
)

View = Literal["histogram", "ecdf"]
TOP_CATEGORIES = 12
GRID_CATEGORIES = 8
MAX_UNSEEN_BARS = 3
MISSING = "(missing)"


def distribution_figure(column: ColumnDrift, view: View = "histogram") -> go.Figure:
    """Reference vs current distribution of one column, with its test annotated.

    Numeric columns: overlaid histograms of shares on shared bins, or the two
    ECDFs (``view="ecdf"``, on the same bins). Categorical columns: grouped
    bars of shares, categories ordered by reference frequency, the tail folded
    into "other", categories unseen in the reference hatched, missing values
    as their own bar. A column without plot data gets a figure saying why.
    """
    fig = go.Figure()
    if column.histogram is not None:
        _numeric_traces(fig, column, view, row=None, legend=True)
        x_title = figure_text(column.column)
        y_title = "cumulative share" if view == "ecdf" else "share of values"
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
        text=result_line(column),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0,
        y=1.0,
        xanchor="left",
        yanchor="bottom",
        align="left",
        font={**FONT, "size": 12, "color": "#4a4a4a"},
    )
    fig.update_layout(
        barmode="group",
        bargap=0.2 if column.categories is not None else 0,
        title={"text": f"{figure_text(column.column)}: reference vs current", "x": 0, "y": 0.97},
        xaxis_title=x_title,
        yaxis_title=y_title,
        yaxis_tickformat=".0%",
        legend={"orientation": "h", "y": 1.12, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    style_figure(fig, height=420)
    fig.update_layout(margin={"t": 100})
    return fig


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
    where = {} if row is None else {"row": row[0], "col": row[1]}
    for name, counts, colour in (
        ("reference", column.histogram.reference, REFERENCE_COLOUR),
        ("current", column.histogram.current, CURRENT_COLOUR),
    ):
        shares = _shares(counts)
        if view == "ecdf":
            fig.add_scatter(
                x=edges,
                y=np.concatenate([[0.0], np.cumsum(shares)]),
                name=name,
                mode="lines",
                line={"shape": "hv", "color": colour, "width": 2},
                legendgroup=name,
                showlegend=legend,
                **where,
            )
            continue
        # One offset group for both sides: the bars overlap even under barmode="group".
        fig.add_bar(
            x=(edges[:-1] + edges[1:]) / 2,
            y=shares,
            width=np.diff(edges),
            name=name,
            marker={"color": colour, "line": {"width": 0}},
            opacity=0.55,
            offsetgroup="histogram",
            legendgroup=name,
            showlegend=legend,
            hovertemplate=f"{name}: %{{y:.1%}} of values<extra>%{{x:.4g}}</extra>",
            **where,
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

    The ``top`` most frequent reference categories keep their own bar; the other
    reference categories fold into "other (N)"; categories absent from the
    reference get a bar each, marked "(unseen)" (more than ``MAX_UNSEEN_BARS`` of
    them fold into "unseen (N)"); missing values get their own bar.
    """
    assert column.categories is not None
    counts = column.categories
    ref_total = _total(sum(counts.reference), column.missing_reference)
    cur_total = _total(sum(counts.current), column.missing_current)
    labels: list[str] = []
    ref: list[float] = []
    cur: list[float] = []
    unseen: list[bool] = []
    other = [0, 0, 0]
    many_unseen = sum(1 for r in counts.reference if r == 0) > MAX_UNSEEN_BARS
    unseen_total = [0, 0]
    for name, r, c in zip(counts.categories, counts.reference, counts.current, strict=True):
        if r == 0 and many_unseen:
            unseen_total = [unseen_total[0] + 1, unseen_total[1] + c]
            continue
        if r == 0:
            labels.append(f"{name} (unseen)")
        elif len(labels) < top:
            labels.append(name)
        else:
            other = [other[0] + 1, other[1] + r, other[2] + c]
            continue
        ref.append(r / ref_total if ref_total else 0.0)
        cur.append(c / cur_total if cur_total else 0.0)
        unseen.append(r == 0)
    if other[0]:
        labels.append(f"other ({other[0]})")
        ref.append(other[1] / ref_total if ref_total else 0.0)
        cur.append(other[2] / cur_total if cur_total else 0.0)
        unseen.append(False)
    if unseen_total[0]:
        labels.append(f"unseen ({unseen_total[0]})")
        ref.append(0.0)
        cur.append(unseen_total[1] / cur_total if cur_total else 0.0)
        unseen.append(True)
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
