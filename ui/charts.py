"""Showing figures the same way on every page."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import streamlit as st


def show_figure(fig: go.Figure, name: str) -> None:
    """Render a figure full-width with its toolbar's PNG download named ``name`` (2× scale)."""
    filename = re.sub(r"[^\w.-]+", "_", name).strip("_") or "chart"
    st.plotly_chart(
        fig,
        width="stretch",
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        },
    )
