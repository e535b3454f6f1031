"""Structural checks shared by the figure tests: one measure per panel, no overlaid bars,
text colours from the palette (or the theme's own)."""

from __future__ import annotations

import itertools

import numpy as np
import plotly.graph_objects as go

from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    DRIFT_COLOUR,
    MUTED_TEXT,
    REFERENCE_COLOUR,
)

PALETTE_TEXT = {None, REFERENCE_COLOUR, CURRENT_COLOUR, DRIFT_COLOUR, MUTED_TEXT}


def one_measure_per_panel(fig: go.Figure) -> bool:
    """No y axis is drawn over another (a second scale on the same panel)."""
    layout = fig.layout.to_plotly_json()
    return not any(
        name.startswith("yaxis") and value.get("overlaying") for name, value in layout.items()
    )


def overlaid_bars(fig: go.Figure) -> list[tuple[str, str]]:
    """Pairs of bar traces on the same axes whose bars cover the same x (numeric bars
    with explicit widths), or any bar mode that stacks translucent bars on each other."""
    if fig.layout.barmode == "overlay":
        return [("barmode", "overlay")]
    bars = [t for t in fig.data if t.type == "bar" and t.width is not None]
    found = []
    for a, b in itertools.combinations(bars, 2):
        if (a.xaxis, a.yaxis) != (b.xaxis, b.yaxis):
            continue
        if any(l1 < r2 and l2 < r1 for l1, r1 in _spans(a) for l2, r2 in _spans(b)):
            found.append((a.name, b.name))
    return found


def _spans(trace: go.Bar) -> list[tuple[float, float]]:
    """Each bar's ``[left, right)`` on the x axis (plotly centres a bar unless offset)."""
    x = np.asarray(trace.x, dtype=float)
    width = np.broadcast_to(np.asarray(trace.width, dtype=float), x.shape)
    left = x + float(trace.offset) if trace.offset is not None else x - width / 2
    return [(float(lo), float(lo + w) - 1e-9) for lo, w in zip(left, width, strict=True)]


def text_colours(fig: go.Figure) -> set[str | None]:
    """The colours of every annotation's text (``None``: the theme's text colour)."""
    return {a.font.color for a in fig.layout.annotations}
