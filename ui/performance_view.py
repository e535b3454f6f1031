"""Widgets and sections of the Performance page (session keys start with ``performance_``).

The page's controls are mirrored into the URL (``?period=week&metric=f1&window=2013-06-03``).
The library calls are cached in :mod:`ui.data` by the controls' window plan; each
shows its own spinner only when it actually computes, so a second visit paints
without one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from monitoring.errors import MonitoringError
from monitoring.performance.applicable import (
    applicable_metrics,
    default_metric,
    default_window,
    readable_plan,
    target_stats,
    unfit_metrics,
)
from monitoring.performance.diagnosis import Diagnosis, WindowDiagnosis, diagnose_windows
from monitoring.performance.estimation import (
    ASSUMPTION,
    ESTIMATED_METRICS,
    EstimationResult,
    supports_estimation,
)
from monitoring.performance.metrics import metric_info
from monitoring.performance.realized import PerformanceResult, WindowPerformance
from monitoring.report import links
from monitoring.report.figures.comparison import (
    confusion_figure,
    reliability_figure,
    residual_figure,
)
from monitoring.report.figures.performance import coverage_figure, diagnosis_figure, metric_figure
from monitoring.schema import ModelSpec
from monitoring.store.reads import ColumnStats
from monitoring.store.windows import PERIODS, WindowPlan
from monitoring.timeutil import short
from ui import data, url
from ui.charts import show_figure
from ui.sidebar import Selection
from ui.text import md

PERIOD_KEY, ROWS_KEY = "performance_period", "performance_rows"
METRIC_KEY, WINDOW_KEY = "performance_metric", "performance_window"
ROWS = "rows"
DEFAULT_ROWS = 5000
ROWS_RANGE = (100, 100_000)
HOURLY_DAYS = 14  # hourly windows: the last two weeks of the sidebar's window at most
MAX_WINDOWS = 1_500  # as on the Timeline: more is neither readable nor quick to compute
MIN_LABELLED = 100  # labelled rows a window should hold on average, for the default period


@dataclass(frozen=True)
class Controls:
    """What the page's controls chose: how windows are cut, and the metric."""

    plan: WindowPlan
    metric: str
    note: str = ""


def controls(selection: Selection, spec: ModelSpec) -> Controls:
    """Draw period, window size and metric pickers; mirror them into the URL.

    They open on the model's headline metric (its ``[alerts]`` first) and on
    the finest period whose windows are few enough to read and hold enough
    labels; metrics that mean nothing for the data are not offered.
    """
    target = _target(selection)
    names = applicable_metrics(spec, target)
    summary = data.overview(selection.db, selection.model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    readable = readable_plan(
        summary.first, summary.last, summary.labelled, MIN_LABELLED, ROWS_RANGE
    )
    default_period = readable.period or ROWS
    url.seed(PERIOD_KEY, links.PERIOD, (*PERIODS, ROWS), default_period)
    url.seed(METRIC_KEY, links.METRIC, names, default_metric(spec, names))
    url.seed_number(ROWS_KEY, links.ROWS, *ROWS_RANGE, readable.rows or DEFAULT_ROWS)
    left, middle, right = st.columns([5, 2, 3])
    period = left.segmented_control(
        "Windows",
        (*PERIODS, ROWS),
        key=PERIOD_KEY,
        format_func=lambda p: "N rows" if p == ROWS else p,
    )
    period = period or default_period  # a segmented control can be emptied
    rows = None
    if period == ROWS:
        rows = int(middle.number_input("Rows per window", *ROWS_RANGE, step=500, key=ROWS_KEY))
    unfit = unfit_metrics(spec, target)
    metric = right.selectbox(
        "Metric",
        names,
        key=METRIC_KEY,
        format_func=lambda m: metric_info(m).label,
        help="; ".join(f"{metric_info(m).label} is not offered: {why}" for m, why in unfit.items())
        or None,
    )
    url.publish(
        {links.PERIOD: period, links.METRIC: metric, links.ROWS: str(rows) if rows else None}
    )
    if period == ROWS:
        return _within_reach(selection, Controls(WindowPlan(rows=rows), metric))
    if period != "hour":
        return _within_reach(selection, Controls(WindowPlan(period), metric))
    start = max(selection.start, selection.end - dt.timedelta(days=HOURLY_DAYS))
    note = (
        f"Hourly windows cover {start:%Y-%m-%d} → {selection.label.split(' → ')[1]}, "
        f"the last {HOURLY_DAYS} days at most of the sidebar's production window."
    )
    return Controls(WindowPlan("hour", start=start, end=selection.end), metric, note)


def _within_reach(selection: Selection, choice: Controls) -> Controls:
    """``choice``, unless it cuts more windows than a chart can show: then say so and stop
    (a link with ``rows=100`` would otherwise compute thousands of bootstraps)."""
    count = len(data.windows(selection.db, selection.model, choice.plan))
    if count > MAX_WINDOWS:
        st.warning(
            f"{count:,} windows is more than a chart can show ({MAX_WINDOWS:,} at most): "
            "choose a longer period or more rows per window."
        )
        st.stop()
    return choice


def realized(selection: Selection, choice: Controls) -> PerformanceResult:
    """Realized metrics, intervals, bands and alerts of every window (cached)."""
    return data.realized(selection.db, selection.model, choice.plan)


def estimate(
    selection: Selection, choice: Controls, spec: ModelSpec
) -> tuple[EstimationResult | None, str]:
    """The estimate for the chosen metric, or ``None`` and why not (cached)."""
    if not (supports_estimation(spec) and choice.metric in ESTIMATED_METRICS):
        return None, ""
    try:
        return data.estimate(selection.db, selection.model, choice.plan), ""
    except MonitoringError as exc:
        return None, f"No estimated performance: {md(exc)}"


def diagnoses(
    selection: Selection, choice: Controls, result: PerformanceResult
) -> tuple[tuple[WindowDiagnosis, ...], str]:
    """Each window's diagnosis from its error-drift test and the drift timeline (cached)."""
    try:
        concept = data.concept(selection.db, selection.model, choice.plan)
    except MonitoringError as exc:
        return (), f"No concept-drift diagnosis: {md(exc)}"
    windows = tuple(w.window for w in result.windows)
    try:
        verdicts = data.covariate(selection.db, selection.model, windows)
    except MonitoringError as exc:
        return diagnose_windows(concept.windows, {}), (
            f"No covariate-drift verdicts, diagnoses unknown: {md(exc)}"
        )
    return diagnose_windows(concept.windows, verdicts), ""


def charts(selection: Selection, spec: ModelSpec, choice: Controls) -> PerformanceResult:
    """The metric over time (with the estimate), label coverage and the diagnosis strip.

    Drawn as soon as each part is known: the realized metric first, then the same
    chart with the estimate added when it is computed, so a first visit shows a
    chart while the estimate's bootstrap still runs.
    """
    result = realized(selection, choice)
    if choice.note:
        st.caption(choice.note)
    show_alerts(result, choice.metric)
    name = f"{selection.model}_{choice.metric}_per_{choice.plan.unit}"
    key = (selection.db, selection.model, choice.plan, choice.metric)
    slot = st.empty()
    wants_estimate = supports_estimation(spec) and choice.metric in ESTIMATED_METRICS
    if wants_estimate and not data.estimate_ready(selection.db, selection.model, choice.plan):
        # The estimate is not cached yet: show the realized metric meanwhile (without the
        # export menu, whose buttons the final chart draws).
        preview = data.figure(("metric", *key), lambda: metric_figure(result, choice.metric))
        slot.plotly_chart(preview, width="stretch", key="performance_preview")
    estimated, note = estimate(selection, choice, spec)
    with slot.container():
        show_figure(
            data.figure(
                ("metric", *key, estimated is not None),
                lambda: metric_figure(result, choice.metric, estimated),
            ),
            name,
        )
    if note:
        st.caption(note)
    if estimated is not None:
        show_assumption()
    show_figure(
        data.figure(("coverage", *key[:3]), lambda: coverage_figure(result)),
        f"{selection.model}_label_coverage",
    )
    return result


def window_section(selection: Selection, choice: Controls, result: PerformanceResult) -> None:
    """The diagnosis strip, then one window beside the reference."""
    found, note = diagnoses(selection, choice, result)
    if found:
        show_figure(
            diagnosis_figure(found, "Diagnosis: did the inputs or the errors move?"),
            f"{selection.model}_diagnosis",
        )
    if note:
        st.caption(note)
    st.subheader("One window against the reference")
    picked = window_picker(result)
    if picked is None:
        st.info("No records in this range.")
        return
    show_diagnosis(next((d for d in found if d.start == picked.window.start), None))
    if picked.status == "pending":
        st.info("This window's labels are pending: there is nothing to compare.")
        return
    window = picked.window
    comparison = data.comparison(selection.db, selection.model, window.start, window.end)
    stamp = f"{selection.model}_{window.start:%Y%m%d_%H%M}"
    left, right = st.columns(2)
    if comparison.residuals is not None:
        with left:
            show_figure(residual_figure(comparison), f"{stamp}_residuals")
        right.dataframe(window_table(result, picked), hide_index=True)
        right.caption("! = outside the reference band; intervals are 95 % bootstrap intervals.")
    else:
        with left:
            show_figure(confusion_figure(comparison), f"{stamp}_confusion")
        with right:
            show_figure(reliability_figure(comparison), f"{stamp}_reliability")


def window_picker(result: PerformanceResult) -> WindowPerformance | None:
    """Pick a window for the detailed comparison (default: the newest with labels)."""
    shown = [w for w in result.windows if w.status != "empty"]
    if not shown:
        return None
    starts = [w.window.start for w in shown]
    first = default_window(shown)
    assert first is not None  # shown is not empty
    fallback = first.window.start
    url.seed(WINDOW_KEY, links.WINDOW, starts, fallback, text=_moment_text)
    by_start = {w.window.start: w for w in shown}
    start = st.selectbox(
        "Window", starts, key=WINDOW_KEY, format_func=lambda s: _window_label(by_start[s])
    )
    url.publish({links.WINDOW: _moment_text(start)})
    return by_start[start]


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


def _target(selection: Selection) -> ColumnStats | None:
    """The target's range over the reference, read once per session, database version and
    model (a regressor's MAPE depends on it)."""
    key = ("performance_target", selection.db, selection.model)
    memo: dict[object, ColumnStats | None] = st.session_state.setdefault("performance_memo", {})
    if key not in memo:
        memo.clear()  # one model at a time: the memo stays small
        memo[key] = target_stats(selection.db.store, selection.model)
    return memo[key]


def _moment_text(moment: object) -> str:
    """How a window start reads in the link: ``2013-06-03`` or ``2013-06-03 05:00``."""
    assert isinstance(moment, dt.datetime)
    return moment.isoformat(sep=" ").removesuffix(" 00:00:00")


def _window_label(w: WindowPerformance) -> str:
    text = short(w.window.start)
    if w.status == "pending":
        return f"{text} · labels pending"
    return f"{text} · {w.window.labelled:,} labelled" + (" · reference" if w.in_reference else "")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


def _pair(lower: float | None, upper: float | None) -> str:
    return "" if lower is None or upper is None else f"{lower:.3g} – {upper:.3g}"
