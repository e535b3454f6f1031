"""Keeping a page's choices in the URL query string, so a copied link reproduces the view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st


def seed(key: str, param: str, options: Sequence[str], default: str) -> None:
    """Before a widget with ``key`` is drawn: take its first value from the link, if valid."""
    if key in st.session_state:
        return
    wanted = st.query_params.get(param)
    st.session_state[key] = wanted if wanted in options else default


def seed_dates(key: str, first: str, last: str, default: tuple[dt.date, dt.date]) -> None:
    """Before a date-range input with ``key`` is drawn: its range from the link, if valid."""
    if key in st.session_state:
        return
    try:
        start = dt.date.fromisoformat(st.query_params.get(first, ""))
        end = dt.date.fromisoformat(st.query_params.get(last, ""))
    except ValueError:
        st.session_state[key] = default
        return
    st.session_state[key] = (start, end) if start <= end else default


def seed_number(key: str, param: str, low: float, high: float, default: float) -> None:
    """Before a number input with ``key`` is drawn: its value from the link, if in range."""
    if key in st.session_state:
        return
    try:
        wanted = float(st.query_params.get(param, ""))
    except ValueError:
        wanted = default
    st.session_state[key] = wanted if low <= wanted <= high else default


def publish(values: dict[str, str | None]) -> None:
    """Write the page's current choices into the URL (``None`` removes a parameter)."""
    for param, value in values.items():
        if value is None:
            st.query_params.pop(param, None)
        elif st.query_params.get(param) != value:
            st.query_params[param] = value
