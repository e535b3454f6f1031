"""The shared sidebar: which model, which production window.

The choice lives in session state (so it survives page switches) and is
mirrored into the URL query string (``?model=…&from=YYYY-MM-DD&to=YYYY-MM-DD``,
``to`` inclusive), so a copied link reproduces the view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from monitoring.report import links
from monitoring.store.connection import Store
from monitoring.timeutil import naive_utc, span_label
from ui import data, memo, url
from ui.memo import Db
from ui.text import md

MODEL_KEY = "sidebar_model"
WINDOW_KEY = "sidebar_window"
SELECTION_KEY = "sidebar_selection"
DEFAULT_WINDOW_DAYS = 28


@dataclass(frozen=True)
class Selection:
    """What the sidebar chose: a model and a production window ``[start, end)``."""

    db: Db
    model: str
    start: dt.datetime
    end: dt.datetime

    @property
    def label(self) -> str:
        return span_label(self.start, self.end)


def render_sidebar(store: Store) -> Selection | None:
    """Draw the sidebar and return the current selection (``None`` without models)."""
    url.keep()  # before any page draws: the choices of the page this run may be leaving
    db = memo.current_db(store)
    names = [o.spec.name for o in data.overviews(db)]
    if not names:
        st.sidebar.info(f"No models in {md(db.path)} yet.")
        st.session_state[SELECTION_KEY] = None
        return None
    params = st.query_params
    if st.session_state.get(MODEL_KEY) not in names:
        wanted = params.get(links.MODEL)
        if wanted is not None and wanted not in names:
            st.sidebar.warning(f"The link's model {md(repr(wanted))} is not in this database.")
        st.session_state[MODEL_KEY] = wanted if wanted in names else names[0]
    model = st.sidebar.selectbox("Model", names, key=MODEL_KEY, on_change=_forget_window)
    summary = data.overview(db, model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    first, last = summary.first.date(), summary.last.date()
    if WINDOW_KEY not in st.session_state:
        st.session_state[WINDOW_KEY] = _window_from_link(
            params.get(links.FROM), params.get(links.TO), first, last
        ) or (max(first, last - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)), last)
    picked = st.sidebar.date_input(
        "Production window",
        key=WINDOW_KEY,
        min_value=first,
        max_value=last,
        format="YYYY-MM-DD",
        help="The period compared with the model's reference window (both days included).",
    )
    start, stop = _days(picked) or (first, last)
    st.sidebar.caption(f"Reference: {summary.spec.reference.label()}")
    st.query_params.update(
        {links.MODEL: model, links.FROM: start.isoformat(), links.TO: stop.isoformat()}
    )
    selection = Selection(db, model, naive_utc(start), naive_utc(stop) + dt.timedelta(days=1))
    st.session_state[SELECTION_KEY] = selection
    return selection


def current_selection() -> Selection | None:
    """The selection the sidebar made in this run (for pages)."""
    return st.session_state.get(SELECTION_KEY)


def _forget_window() -> None:
    """A new model has another time range: start its window from the default again."""
    st.session_state.pop(WINDOW_KEY, None)


def _window_from_link(
    start_text: str | None, stop_text: str | None, first: dt.date, last: dt.date
) -> tuple[dt.date, dt.date] | None:
    if start_text is None or stop_text is None:
        return None
    try:
        start, stop = dt.date.fromisoformat(start_text), dt.date.fromisoformat(stop_text)
    except ValueError:
        st.sidebar.warning(
            f"The link's window {md(repr(start_text))} → {md(repr(stop_text))} is not two dates."
        )
        return None
    if start > stop:
        st.sidebar.warning(f"The link's window {start} → {stop} ends before it starts.")
        return None
    if not first <= start <= stop <= last:
        st.sidebar.warning(f"The link's window {start} → {stop} is outside {first} → {last}.")
        return None
    return start, stop


def _days(picked: object) -> tuple[dt.date, dt.date] | None:
    """The first and last day a date-range input holds (one day while a range is half picked)."""
    if isinstance(picked, tuple | list) and picked:
        return picked[0], picked[-1]
    return None
