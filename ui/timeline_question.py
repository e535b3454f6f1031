"""The Timeline page's question: which windows, which rule, which baseline, which detector.

The pickers (session keys start with ``timeline_``) and the
:class:`TimelineQuestion` they make; :mod:`ui.timeline_view` computes and draws
the answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from monitoring.drift.config import (
    CORRECTION_LABELS,
    CORRECTIONS,
    RULE_LABELS,
    RULES,
    Baseline,
    DriftConfig,
)
from monitoring.drift.detectors import MULTIVARIATE
from monitoring.performance.applicable import readable_plan
from monitoring.report import links
from monitoring.store.windows import PERIODS, WindowPlan
from monitoring.timeline.engine import DEFAULT_MIN_ROWS
from ui import data, url
from ui.sidebar import Selection

ROWS = "rows"
NO_MULTIVARIATE = "none"
DEFAULT_ROWS = 5_000
ROWS_RANGE = (100, 1_000_000)
BASELINES = ("whole", "seasonal", "rolling:4", "rolling:12")
MIN_ROWS = 100  # rows a window should hold on average, for the default period


@dataclass(frozen=True)
class TimelineQuestion:
    """What the page shows: how windows are cut, under which rule, with which extra detector."""

    plan: WindowPlan
    config: DriftConfig
    min_rows: int
    multivariate: str


def ask(selection: Selection) -> TimelineQuestion:
    """Draw the controls; return the question they describe."""
    summary = data.overview(selection.db, selection.model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    first, last = summary.first.date(), summary.last.date()
    detectors = (NO_MULTIVARIATE, *MULTIVARIATE)
    # Open on a cut with a readable number of windows, each with enough rows to judge.
    readable = readable_plan(summary.first, summary.last, summary.rows, MIN_ROWS, ROWS_RANGE)
    url.seed("timeline_period", links.PERIOD, (*PERIODS, ROWS), readable.period or ROWS)
    url.seed("timeline_multivariate", links.DETECTOR, detectors, NO_MULTIVARIATE)
    url.seed_number("timeline_rows", links.ROWS, *ROWS_RANGE, readable.rows or DEFAULT_ROWS)
    spec = summary.spec
    baselines = tuple(dict.fromkeys((spec.baseline, *BASELINES)))  # the spec's own comes first
    url.seed("timeline_baseline", links.BASELINE, baselines, spec.baseline)
    url.seed("timeline_rule", links.RULE, RULES, "calibrated")
    url.seed("timeline_correction", links.CORRECTION, CORRECTIONS, "bonferroni")
    url.seed_dates(
        "timeline_range", links.RANGE_FROM, links.RANGE_TO, (first, last), bounds=(first, last)
    )
    cut, size, days, against, detector = st.columns([1, 1, 2, 2, 1])
    period = cut.selectbox(
        "Window",
        (*PERIODS, ROWS),
        key="timeline_period",
        format_func=lambda p: "every N rows" if p == ROWS else f"per {p}",
    )
    rows = size.number_input(
        "Rows per window", *ROWS_RANGE, step=500, key="timeline_rows", disabled=period != ROWS
    )
    picked = days.date_input(
        "Date range", key="timeline_range", min_value=first, max_value=last, format="YYYY-MM-DD"
    )
    baseline = against.selectbox(
        "Compared with",
        baselines,
        key="timeline_baseline",
        format_func=_baseline_label,
        help="The whole reference; the same hour of day, weekday or month of the reference "
        "(for data with a daily, weekly or yearly cycle); or the windows just before.",
    )
    multivariate = detector.selectbox(
        "Detector",
        detectors,
        key="timeline_multivariate",
        format_func=lambda d: "auto" if d == NO_MULTIVARIATE else d.upper(),
        help="auto: binned KS / chi² per feature. A multivariate "
        "detector adds its p-value per window (sampled).",
    )
    with st.expander("Verdict rule"):
        rule_col, correction_col = st.columns(2)
        rule = rule_col.radio("Rule", RULES, key="timeline_rule", format_func=RULE_LABELS.get)
        how = correction_col.selectbox(
            "Correction (fixed rule)",
            CORRECTIONS,
            key="timeline_correction",
            format_func=CORRECTION_LABELS.__getitem__,
            disabled=rule != "fixed",
        )
    lo, hi = (
        (picked[0], picked[-1]) if isinstance(picked, tuple | list) and picked else (first, last)
    )
    whole = (lo, hi) == (first, last)
    url.publish(
        {
            links.PERIOD: period,
            links.ROWS: str(int(rows)) if period == ROWS else None,
            links.DETECTOR: None if multivariate == NO_MULTIVARIATE else multivariate,
            links.BASELINE: None if baseline == spec.baseline else baseline,
            links.RULE: None if rule == "calibrated" else rule,
            links.CORRECTION: None if how == "bonferroni" else how,
            links.RANGE_FROM: None if whole else lo.isoformat(),
            links.RANGE_TO: None if whole else hi.isoformat(),
        }
    )
    plan = WindowPlan(
        None if period == ROWS else period,
        int(rows) if period == ROWS else None,
        dt.datetime.combine(lo, dt.time()),
        dt.datetime.combine(hi, dt.time()) + dt.timedelta(days=1),
    )
    config = DriftConfig(correction=str(how), rule=str(rule), baseline=str(baseline))
    return TimelineQuestion(plan, config, DEFAULT_MIN_ROWS, str(multivariate))


def _baseline_label(baseline: str) -> str:
    parsed = Baseline.parse(baseline)
    if parsed.kind == "seasonal":
        return "the same season of the reference"
    if parsed.kind == "rolling":
        return f"the previous {parsed.windows} windows"
    return "the whole reference"
