"""The Performance page's cached library calls and its widgets.

Cached functions take the database path and its data version, like
:mod:`ui.data`, so a new import is seen at once. Each shows its own spinner
only when it actually computes, so a second visit paints without one. The
page's controls live in session keys prefixed ``performance_`` and are mirrored
into the URL (``?period=week&metric=f1&window=2013-06-03``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from monitoring.cli.performance import timeline_verdicts
from monitoring.errors import MonitoringError
from monitoring.performance.comparison import WindowComparison, compare_with_reference
from monitoring.performance.errors_drift import (
    ConceptDriftResult,
    Diagnosis,
    WindowDiagnosis,
    error_drift,
)
from monitoring.performance.estimation import (
    ASSUMPTION,
    ESTIMATED_METRICS,
    EstimationResult,
    estimate_performance,
    supports_estimation,
)
from monitoring.performance.metrics import metric_info, metrics_for
from monitoring.performance.realized import (
    PerformanceResult,
    WindowPerformance,
    realized_performance,
)
from monitoring.schema import ModelSpec
from monitoring.store.connection import Store
from monitoring.store.windows import Window
from ui.sidebar import Selection

PERIOD_KEY, ROWS_KEY = "performance_period", "performance_rows"
METRIC_KEY, WINDOW_KEY = "performance_metric", "performance_window"
PERIODS = ("hour", "day", "week", "month", "rows")
DEFAULT_ROWS = 5000
HOURLY_DAYS = 14  # hourly windows: the last two weeks of the sidebar's window at most
TTL, ENTRIES = 3600, 16


@dataclass(frozen=True)
class Controls:
    """What the page's controls chose: the windows, their time range and the metric."""

    period: str | None
    rows: int | None
    start: dt.datetime | None
    end: dt.datetime | None
    metric: str
    note: str = ""

    @property
    def unit(self) -> str:
        """What one window is, in words."""
        return f"{self.rows:,} rows" if self.rows else str(self.period)


def controls(selection: Selection, spec: ModelSpec) -> Controls:
    """Draw period, window size and metric pickers; mirror them into the URL."""
    names = metrics_for(spec)
    _default(PERIOD_KEY, PERIODS, "week")
    _default(METRIC_KEY, names, names[0])
    left, middle, right = st.columns([5, 2, 3])
    period = left.segmented_control(
        "Windows", PERIODS, key=PERIOD_KEY, format_func=lambda p: "N rows" if p == "rows" else p
    )
    period = period or "week"
    rows = None
    if period == "rows":
        if ROWS_KEY not in st.session_state:
            st.session_state[ROWS_KEY] = _int(st.query_params.get("rows"), DEFAULT_ROWS)
        rows = int(middle.number_input("Rows per window", 100, 100_000, step=500, key=ROWS_KEY))
    metric = right.selectbox(
        "Metric", names, key=METRIC_KEY, format_func=lambda m: metric_info(m).label
    )
    st.query_params.update({"period": period, "metric": metric})
    if rows:
        st.query_params["rows"] = str(rows)
    if period != "hour":
        return Controls(None if rows else period, rows, None, None, metric)
    start = max(selection.start, selection.end - dt.timedelta(days=HOURLY_DAYS))
    note = (
        f"Hourly windows cover {start:%Y-%m-%d} → {selection.label.split(' → ')[1]}, "
        f"the last {HOURLY_DAYS} days at most of the sidebar's production window."
    )
    return Controls("hour", None, start, selection.end, metric, note)


def realized(selection: Selection, choice: Controls) -> PerformanceResult:
    """Realized metrics, intervals, bands and alerts of every window (cached)."""
    return _realized(*_key(selection, choice))


def estimate(
    selection: Selection, choice: Controls, spec: ModelSpec
) -> tuple[EstimationResult | None, str]:
    """The estimate for the chosen metric, or ``None`` and why not (cached)."""
    if not (supports_estimation(spec) and choice.metric in ESTIMATED_METRICS):
        return None, ""
    try:
        return _estimate(*_key(selection, choice)), ""
    except MonitoringError as exc:
        return None, f"No estimated performance: {exc}"


def diagnoses(
    selection: Selection, choice: Controls, result: PerformanceResult
) -> tuple[tuple[WindowDiagnosis, ...], str]:
    """Each window's diagnosis from its error-drift test and the drift timeline (cached)."""
    try:
        concept = _concept(*_key(selection, choice))
    except MonitoringError as exc:
        return (), f"No concept-drift diagnosis: {exc}"
    windows = tuple(w.window for w in result.windows)
    try:
        verdicts = _covariate(selection.db, selection.version, selection.model, windows)
    except MonitoringError as exc:
        return concept.diagnoses({}), f"No covariate-drift verdicts, diagnoses unknown: {exc}"
    return concept.diagnoses(verdicts), ""


def window_picker(result: PerformanceResult) -> WindowPerformance | None:
    """Pick a window for the detailed comparison (default: the newest with labels)."""
    shown = [w for w in result.windows if w.status != "empty"]
    if not shown:
        return None
    starts = [w.window.start for w in shown]
    labelled = [w for w in shown if w.status == "ok"]
    fallback = (labelled or shown)[-1].window.start
    if st.session_state.get(WINDOW_KEY) not in starts:
        wanted = _moment(st.query_params.get("window"))
        st.session_state[WINDOW_KEY] = wanted if wanted in starts else fallback
    by_start = {w.window.start: w for w in shown}
    start = st.selectbox(
        "Window", starts, key=WINDOW_KEY, format_func=lambda s: _window_label(by_start[s])
    )
    st.query_params["window"] = start.isoformat(sep=" ").removesuffix(" 00:00:00")
    return by_start[start]


def comparison(selection: Selection, window: Window) -> WindowComparison:
    """The chosen window beside the reference (cached)."""
    return _comparison(selection.db, selection.version, selection.model, window.start, window.end)


def show_alerts(result: PerformanceResult, metric: str) -> None:
    """One warning naming how many windows fell out of the band on the bad side."""
    alerts = [a for a in result.alerts if a.metric == metric and a.worse]
    if alerts:
        st.warning(
            f"{len(alerts)} window(s) worse than the reference band; "
            f"latest: {alerts[-1].message()}",
            icon=":material/notifications_active:",
        )


def show_assumption() -> None:
    """The estimate's assumption, short on the page and in full on hover."""
    st.caption(
        "Dashed: estimated from the scores, no labels needed. **It assumes no concept drift** "
        "(P(label | score) as in the reference); where realized values leave its band, that "
        "assumption is broken.",
        help=ASSUMPTION,
    )


def show_diagnosis(diagnosis: WindowDiagnosis | None) -> None:
    """The chosen window's diagnosis in words, coloured by how bad it is."""
    if diagnosis is None:
        st.info("No diagnosis for this window: the model's errors could not be tested.")
        return
    say = {
        Diagnosis.STABLE: st.success,
        Diagnosis.COVARIATE: st.warning,
        Diagnosis.CONCEPT: st.error,
        Diagnosis.BOTH: st.error,
        Diagnosis.UNKNOWN: st.info,
    }[diagnosis.diagnosis]
    say(diagnosis.explanation, icon=":material/troubleshoot:")


def diagnosis_of(diagnoses: Sequence[WindowDiagnosis], window: Window) -> WindowDiagnosis | None:
    """The diagnosis of ``window``, if its errors were tested."""
    return next((d for d in diagnoses if d.start == window.start), None)


def window_table(result: PerformanceResult, window: WindowPerformance) -> pd.DataFrame:
    """Each metric of the window with its interval, beside the reference's value and band."""
    rows = []
    for name in result.metrics:
        value, band = window.metrics[name], result.bands[name]
        flag = " !" if any(a.metric == name for a in window.alerts) else ""
        rows.append(
            {
                "metric": metric_info(name).label,
                "window": (_number(value.value) or value.status.replace("_", " ")) + flag,
                "interval": _pair(value.lower, value.upper),
                "reference": _number(band.overall),
                "band": _pair(band.lower, band.upper),
            }
        )
    return pd.DataFrame(rows)


# Half the CLI's draws: the page's first paint matters more than the third digit of a bound.
PAGE_RESAMPLES = 200


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner="Realized metrics with intervals…")
def _realized(
    db: str,
    version: int,
    model: str,
    period: str | None,
    rows: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> PerformanceResult:
    del version  # part of the cache key only
    return realized_performance(
        Store(db), model, period=period, rows=rows, start=start, end=end, resamples=PAGE_RESAMPLES
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner="Estimated performance…")
def _estimate(
    db: str,
    version: int,
    model: str,
    period: str | None,
    rows: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> EstimationResult:
    del version  # part of the cache key only
    return estimate_performance(
        Store(db), model, period=period, rows=rows, start=start, end=end, resamples=PAGE_RESAMPLES
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner="Testing the model's errors…")
def _concept(
    db: str,
    version: int,
    model: str,
    period: str | None,
    rows: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> ConceptDriftResult:
    del version  # part of the cache key only
    return error_drift(Store(db), model, period=period, rows=rows, start=start, end=end)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner="Testing the inputs for drift…")
def _covariate(
    db: str, version: int, model: str, windows: Sequence[Window]
) -> dict[dt.datetime, bool | None]:
    del version  # part of the cache key only
    return dict(timeline_verdicts(Store(db), model, windows))


@st.cache_data(ttl=TTL, max_entries=64, show_spinner="Comparing the window with the reference…")
def _comparison(
    db: str, version: int, model: str, start: dt.datetime, end: dt.datetime
) -> WindowComparison:
    del version  # part of the cache key only
    return compare_with_reference(Store(db), model, start, end)


def _key(
    selection: Selection, choice: Controls
) -> tuple[str, int, str, str | None, int | None, dt.datetime | None, dt.datetime | None]:
    return (
        selection.db,
        selection.version,
        selection.model,
        choice.period,
        choice.rows,
        choice.start,
        choice.end,
    )


def _default(key: str, options: Sequence[str], fallback: str) -> None:
    """Seed a widget's session value from the URL, or reset one the options no longer hold."""
    if st.session_state.get(key) in options:
        return
    wanted = st.query_params.get(key.removeprefix("performance_"))
    st.session_state[key] = wanted if wanted in options else fallback


def _window_label(w: WindowPerformance) -> str:
    start = w.window.start
    text = f"{start:%Y-%m-%d}" if start.time() == dt.time() else f"{start:%Y-%m-%d %H:%M}"
    if w.status == "pending":
        return f"{text} · labels pending"
    return f"{text} · {w.window.labelled:,} labelled" + (" · reference" if w.in_reference else "")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


def _pair(lower: float | None, upper: float | None) -> str:
    return "" if lower is None or upper is None else f"{lower:.3g} – {upper:.3g}"


def _moment(text: str | None) -> dt.datetime | None:
    try:
        return None if text is None else dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _int(text: str | None, fallback: int) -> int:
    try:
        return max(100, int(text)) if text else fallback
    except ValueError:
        return fallback
