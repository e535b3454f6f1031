"""Showing figures the same way on every page, each with its export menu."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import streamlit as st

from monitoring.report.export import (
    FORMATS,
    MIME_TYPES,
    ChartContext,
    export_figure,
    static_export_problem,
)
from ui import data
from ui.sidebar import current_selection


@st.cache_data(ttl=300, show_spinner=False)
def static_problem() -> str | None:
    """Why PNG/SVG/PDF export cannot work here (``None`` when it can); checked every 5 min."""
    return static_export_problem()


def _selection_context() -> ChartContext | None:
    selection = current_selection()
    if selection is None:
        return None
    summary = data.overview(selection.db, selection.version, selection.model)
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
    filename = re.sub(r"[^\w.-]+", "_", name).strip("_") or "chart"
    st.plotly_chart(
        fig,
        width="stretch",
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        },
    )
    problem = static_problem()
    with st.popover("Export", icon=":material/download:"):
        for fmt in FORMATS:
            static = fmt != "html"
            st.download_button(
                f"{fmt.upper()}{' (2×)' if fmt == 'png' else ''}",
                data=lambda fmt=fmt: export_figure(fig, fmt, context),
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
