"""Keeping a page's choices in the URL query string, so a copied link reproduces the view.

Widgets take their first value from the link (``seed_*``, before the widget
is drawn) and write their current value back (:func:`publish`). The
parameter names are the library's (:mod:`monitoring.report.links`), which the
alert links of ``check`` use too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import streamlit as st


def seed(
    key: str,
    param: str,
    options: Sequence[object],
    default: object,
    text: Callable[[object], str] = str,
) -> None:
    """Before a widget with ``key`` is drawn: take its first value from the link, if valid.

    The link holds ``text(option)`` (default ``str``), so options need not be
    text. A value the options no longer hold (another model, another period)
    is replaced the same way.
    """
    if key in st.session_state and st.session_state[key] in options:
        return
    wanted = st.query_params.get(param)
    by_text = {text(o): o for o in options}
    st.session_state[key] = by_text.get(wanted, default) if wanted is not None else default


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
