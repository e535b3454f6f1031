"""What every page does first: route, title, the sidebar's selection, and one error boundary."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import streamlit as st

from monitoring.errors import MonitoringError
from ui import data
from ui.router import require_router
from ui.sidebar import Selection, current_selection
from ui.text import md

_log = logging.getLogger(__name__)
NO_MODELS = (
    "No models yet. Import records with `python -m monitoring import FILE --spec SPEC.toml`, "
    "or build the demo with `python -m monitoring demo`."
)


def start(title: str, runs_detectors: bool = False) -> Selection:
    """Route through the app, draw the title, and return the sidebar's selection.

    ``runs_detectors``: the page may run Alibi Detect, whose import (with
    PyTorch) then starts in the background (:func:`ui.data.warm_up_detectors`).
    Only such pages start it: the import holds the GIL for seconds, which every
    other page's first visit after a server start would wait on.
    Without any model the page says how to add one and stops.
    """
    require_router()
    if runs_detectors:
        data.warm_up_detectors()
    st.title(title)
    selection = current_selection()
    if selection is None:
        st.info(NO_MODELS)
        st.stop()
    return selection


@contextmanager
def errors() -> Iterator[None]:
    """Show a :class:`MonitoringError` raised inside as a plain message, then stop the page.

    The library's errors always name what is at fault (model, column, value),
    so the message is all a user needs. A DuckDB error that escaped the
    store's translation (a bug) is said in words too, and logged with its
    traceback for whoever runs the server; anything else is a bug and shows as one.
    """
    try:
        yield
    except MonitoringError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        st.stop()
    except duckdb.Error:
        _log.exception("a database error reached a page")
        st.error(
            "The database could not answer this time. Try again in a moment; if it keeps "
            "happening, the server's log says why.",
            icon=":material/error:",
        )
        st.stop()
