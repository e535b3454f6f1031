"""Widgets, caching and sections of the Timeline page (session keys start with ``timeline_``).

The timeline itself is cached twice: in DuckDB by the library (stored
windows, shared by every user and the ``check`` command) and, for reruns of
the same view, in this session's state keyed by database, data version and
question, so moving a widget that does not change the question costs nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from monitoring.drift.engine import run_drift
from monitoring.drift.online import OnlineReport, run_online
from monitoring.drift.report import CORRECTIONS, DriftConfig
from monitoring.errors import MonitoringError
from monitoring.store.annotations import Annotation, add_annotation, list_annotations
from monitoring.store.connection import Store
from monitoring.store.windows import PERIODS, Window
from monitoring.timeline.engine import DEFAULT_MIN_ROWS, Timeline, run_timeline, timeline_windows
from ui import data, url
from ui.sidebar import Selection

ROWS = "rows"
MULTIVARIATE = ("none", "mmd", "lsdd", "classifier")
MULTIVARIATE_WINDOWS = 12
MAX_WINDOWS = 1_500
_MEMO = "timeline_memo"


@dataclass(frozen=True)
class TimelineQuestion:
    """What the page shows: how windows are cut, over which days, under which rule."""

    period: str | None
    rows: int | None
    start: dt.datetime
    end: dt.datetime
    config: DriftConfig
    min_rows: int
    multivariate: str


def ask(selection: Selection) -> TimelineQuestion:
    """Draw the controls; return the question they describe."""
    summary = data.overview(selection.db, selection.version, selection.model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    first, last = summary.first.date(), summary.last.date()
    url.seed("timeline_period", "period", (*PERIODS, ROWS), "week")
    url.seed("timeline_multivariate", "detector", MULTIVARIATE, "none")
    st.session_state.setdefault("timeline_range", (first, last))
    cut, size, days, correction, detector = st.columns([1, 1, 2, 1, 1])
    period = cut.selectbox(
        "Window",
        (*PERIODS, ROWS),
        key="timeline_period",
        format_func=lambda p: "every N rows" if p == ROWS else f"per {p}",
    )
    rows = size.number_input(
        "Rows per window", 100, 1_000_000, 5_000, 500, key="timeline_rows", disabled=period != ROWS
    )
    picked = days.date_input(
        "Date range", key="timeline_range", min_value=first, max_value=last, format="YYYY-MM-DD"
    )
    how = correction.selectbox(
        "Correction",
        CORRECTIONS,
        key="timeline_correction",
        format_func=lambda c: "Bonferroni" if c == "bonferroni" else "BH FDR",
    )
    multivariate = detector.selectbox(
        "Detector",
        MULTIVARIATE,
        key="timeline_multivariate",
        format_func=lambda d: "auto" if d == "none" else d.upper(),
        help="auto: binned KS / chi² per feature. A multivariate "
        "detector adds its p-value per window (sampled).",
    )
    lo, hi = (picked[0], picked[-1]) if picked else (first, last)
    url.publish({"period": period, "detector": None if multivariate == "none" else multivariate})
    return TimelineQuestion(
        period=None if period == ROWS else period,
        rows=int(rows) if period == ROWS else None,
        start=dt.datetime.combine(lo, dt.time()),
        end=dt.datetime.combine(hi, dt.time()) + dt.timedelta(days=1),
        config=DriftConfig(correction=how),
        min_rows=DEFAULT_MIN_ROWS,
        multivariate=multivariate,
    )


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def windows(db: str, version: int, model: str, q: TimelineQuestion) -> list[Window]:
    """The windows of a question (keyed by data version)."""
    del version  # part of the cache key only
    return timeline_windows(Store(db), model, q.period, q.rows, q.start, q.end)


def timeline(selection: Selection, q: TimelineQuestion) -> Timeline:
    """The timeline of ``q``, with a progress bar while windows compute."""
    key = (selection.db, selection.version, selection.model, q)
    memo = st.session_state.setdefault(_MEMO, {})
    if key in memo:
        return memo[key]
    cut = windows(selection.db, selection.version, selection.model, q)
    if len(cut) > MAX_WINDOWS:
        st.warning(
            f"{len(cut):,} windows is more than a chart can show ({MAX_WINDOWS:,} at most): "
            "choose a longer period or a shorter date range."
        )
        st.stop()
    bar = st.progress(0.0, text="Reading stored windows…")

    def progress(done: int, total: int) -> None:
        bar.progress(
            done / max(total, 1), text=f"Comparing windows with the reference: {done} of {total}"
        )

    result = run_timeline(
        Store(selection.db), selection.model, cut, q.config, min_rows=q.min_rows, progress=progress
    )
    bar.empty()
    memo.clear()  # one view per session is enough; keeps session state small
    memo[key] = result
    return result


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def notes(db: str, model: str) -> list[Annotation]:
    """The model's annotations (cleared when one is added)."""
    return list_annotations(Store(db), model)


def annotation_form(selection: Selection, first: dt.date, last: dt.date) -> None:
    """A small form that adds a dated note to the model's timelines."""
    with st.form("timeline_note_form", clear_on_submit=True, border=False):
        day_col, text_col, button_col = st.columns([1, 3, 1], vertical_alignment="bottom")
        day = day_col.date_input("Date", value=last, min_value=first, key="timeline_note_day")
        text = text_col.text_input(
            "Note", key="timeline_note_text", max_chars=200, placeholder="e.g. model v2 deployed"
        )
        if button_col.form_submit_button("Add note"):
            try:
                add_annotation(Store(selection.db), selection.model, day, text)
            except MonitoringError as exc:
                st.error(str(exc))
            else:
                notes.clear()
                st.toast(f"Note added on {day}")
                st.rerun()  # the charts above were drawn before the note existed


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def multivariate(
    db: str,
    version: int,
    model: str,
    detector: str,
    bounds: tuple[tuple[dt.datetime, dt.datetime], ...],
) -> list[tuple[dt.datetime, float | None, int]]:
    """The multivariate detector's p-value and sample size per window (stored runs reused)."""
    del version  # part of the cache key only
    out = []
    for start, end in bounds:
        report = run_drift(Store(db), model, (start, end), detector=detector)
        mv = report.multivariate
        out.append((start, None if mv is None else mv.p_value, 0 if mv is None else mv.n_current))
    return out


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def online(db: str, version: int, model: str, column: str) -> OnlineReport:
    """The online detector's trace over the records after the reference."""
    del version  # part of the cache key only
    return run_online(Store(db), model, column)


def tested_bounds(result: Timeline) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The newest tested windows the multivariate detector runs on."""
    tested = [(w.start, w.end) for w in result.windows if w.status == "tested"]
    return tuple(tested[-MULTIVARIATE_WINDOWS:])
