"""Showing figures the same way on every page, each with its export menu."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from monitoring.report.export import FORMATS, MIME_TYPES, ChartContext, export_figure
from monitoring.report.text import slug
from ui import data
from ui.sidebar import current_selection


def _selection_context() -> ChartContext | None:
    selection = current_selection()
    if selection is None:
        return None
    summary = data.overview(selection.db, selection.model)
    return ChartContext(
        selection.model,
        summary.spec.reference.label(),
        selection.label,
        reference_n=summary.reference_rows,
    )


def show_figure(fig: go.Figure, name: str, context: ChartContext | None = None) -> None:
    """Render a figure full-width, with PNG (2×), SVG, PDF and HTML downloads named ``name``.

    ``context`` (what was compared) is printed under the exported chart; by
    default the sidebar's model, the reference and the production window. The
    files are rendered only when a button is pressed.
    """
    context = context or _selection_context()
    filename = slug(name)
    st.plotly_chart(
        fig,
        width="stretch",
        # Streamlit's chart theme repaints background, text and grid for light or dark;
        # the figures' own colours are chosen to read on both (figures/style.py).
        theme="streamlit",
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        },
    )
    problem = data.static_problem()
    with st.popover("Export", icon=":material/download:"):
        for fmt in FORMATS:
            static = fmt != "html"
            st.download_button(
                f"{fmt.upper()}{' (2×)' if fmt == 'png' else ''}",
                data=_renderer(fig, fmt, context),
                file_name=f"{filename}.{fmt}",
                mime=MIME_TYPES[fmt],
                key=f"export_{filename}_{fmt}",
                on_click="ignore",
                disabled=static and problem is not None,
                help=problem if static and problem else None,
                width="stretch",
            )
        if problem:
            st.caption(problem)


def _renderer(fig: go.Figure, fmt: str, context: ChartContext | None) -> Callable[[], bytes]:
    """The download's bytes, rendered only when its button is pressed."""
    return lambda: export_figure(fig, fmt, context)
