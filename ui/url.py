"""Keeping a page's choices in the URL query string, so a copied link reproduces the view."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def seed(key: str, param: str, options: Sequence[str], default: str) -> None:
    """Before a widget with ``key`` is drawn: take its first value from the link, if valid."""
    if key in st.session_state:
        return
    wanted = st.query_params.get(param)
    st.session_state[key] = wanted if wanted in options else default


def publish(values: dict[str, str | None]) -> None:
    """Write the page's current choices into the URL (``None`` removes a parameter)."""
    for param, value in values.items():
        if value is None:
            st.query_params.pop(param, None)
        elif st.query_params.get(param) != value:
            st.query_params[param] = value
