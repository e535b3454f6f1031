"""The Feature drift page's question: which windows, which method, which thresholds.

The pickers (session keys start with ``drift_``) and the :class:`DriftQuestion`
they make; :mod:`ui.drift_view` answers it and draws the answer. The upload
and review-pack pages share :func:`method_choice`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from monitoring.drift.config import (
    CORRECTION_LABELS,
    CORRECTIONS,
    DEFAULT_MIN_EFFECT,
    DETECTOR_CHOICES,
    DETECTOR_LABELS,
    RULE_LABELS,
    RULES,
    DriftConfig,
)
from monitoring.drift.detectors import MULTIVARIATE, available
from monitoring.report import links
from monitoring.schema import ModelSpec
from monitoring.store.slices import SliceInfo, list_slices
from monitoring.store.windows import PERIODS, Window, WindowPlan
from monitoring.timeutil import Bounds
from ui import data, url
from ui.memo import Db
from ui.sidebar import Selection
from ui.text import md

SIDEBAR_WINDOW = "sidebar window"
SAVED_SLICE = "saved slice"
DEFAULT_ALPHA = DriftConfig().p_threshold
ALPHA_RANGE = (0.001, 0.2)
EFFECT_RANGE = (0.0, 2.0)
WINDOW_BASELINES = ("whole", "seasonal")
DEFAULT_CAP, CAP_RANGE = 1000, (100, 20_000)


@dataclass(frozen=True)
class DriftQuestion:
    """What the page compares: two windows of a model under one configuration."""

    db: Db
    model: str
    reference: Bounds
    current: Bounds
    current_label: str
    config: DriftConfig
    slice: SliceInfo | None = None


def ask(selection: Selection, spec: ModelSpec) -> DriftQuestion:
    """Draw the controls; return the comparison they describe."""
    window_col, detector_col, correction_col = st.columns(3)
    with window_col:
        current, label, chosen = _current_window(selection)
    detector, correction = method_choice(detector_col, correction_col, "drift")
    summary = data.overview(selection.db, selection.model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    data_days = (summary.first.date(), summary.last.date())
    reference, p_value, min_effect, cap, rule, baseline = _thresholds(spec, data_days)
    url.publish(
        {
            links.DETECTOR: detector,
            links.CORRECTION: correction,
            links.ALPHA: None if p_value == DEFAULT_ALPHA else f"{p_value:g}",
            links.MIN_EFFECT: None if min_effect == DEFAULT_MIN_EFFECT else f"{min_effect:g}",
            links.RULE: None if rule == "calibrated" else rule,
            links.BASELINE: None if baseline == _spec_baseline(spec) else baseline,
            links.CAP: None if cap == DEFAULT_CAP else str(cap),
        }
    )
    config = DriftConfig(
        detector,
        correction,
        p_value,
        min_effect,
        cap if detector in MULTIVARIATE else None,
        rule=rule,
        baseline=baseline,
    )
    return DriftQuestion(selection.db, selection.model, reference, current, label, config, chosen)


def method_choice(
    detector_col: st.delta_generator.DeltaGenerator,
    correction_col: st.delta_generator.DeltaGenerator,
    prefix: str,
) -> tuple[str, str]:
    """The detector and correction pickers (Feature drift and Review pack), seeded from the link."""
    url.seed(f"{prefix}_detector", links.DETECTOR, DETECTOR_CHOICES, "auto")
    url.seed(f"{prefix}_correction", links.CORRECTION, CORRECTIONS, "bonferroni")
    detector = detector_col.selectbox(
        "Detector",
        DETECTOR_CHOICES,
        key=f"{prefix}_detector",
        format_func=_detector_label,
    )
    # A select, not radios: beside two other pickers at 800 px, radio labels wrapped per
    # syllable ("Bonferro ni").
    correction = correction_col.selectbox(
        "Correction",
        CORRECTIONS,
        key=f"{prefix}_correction",
        format_func=CORRECTION_LABELS.__getitem__,
        help="Multiple-testing correction across features, for the fixed rule (the calibrated "
        "rule holds p-values to Bonferroni's level)",
    )
    return str(detector), str(correction)


def _current_window(selection: Selection) -> tuple[Bounds, str, SliceInfo | None]:
    """The current side: the sidebar's window, one calendar period, or a saved slice."""
    saved = list_slices(selection.db.store, selection.model)
    periods = (SIDEBAR_WINDOW, *PERIODS, *((SAVED_SLICE,) if saved else ()))
    url.seed("drift_period", links.PERIOD, periods, SIDEBAR_WINDOW)
    period = st.selectbox(
        "Current window",
        periods,
        key="drift_period",
        format_func=lambda p: (
            "the sidebar's production window"
            if p == SIDEBAR_WINDOW
            else "a saved slice (uploaded file)"
            if p == SAVED_SLICE
            else f"one {p}"
        ),
    )
    if period == SAVED_SLICE:
        url.seed("drift_slice", links.SLICE, saved, saved[0], text=_slice_name)
        chosen = st.selectbox(
            "Which slice",
            saved,
            key="drift_slice",
            format_func=lambda s: f"{s.name} ({s.file_name}, {s.rows:,} rows)",
        )
        assert chosen is not None
        url.publish({links.PERIOD: period, links.SLICE: chosen.name, links.WINDOW: None})
        return chosen.bounds, chosen.label, chosen
    if period == SIDEBAR_WINDOW:
        url.publish({links.PERIOD: period, links.SLICE: None, links.WINDOW: None})
        return (selection.start, selection.end), selection.label, None
    choices = data.filled_windows(selection.db, selection.model, WindowPlan(period))[::-1]
    if not choices:
        url.publish({links.PERIOD: period, links.SLICE: None, links.WINDOW: None})
        st.info(f"No {period} of {md(selection.model)} has records: pick another current window.")
        st.stop()
    by_start: dict[dt.datetime, Window] = {w.start: w for w in choices}
    starts = list(by_start)
    url.seed("drift_period_start", links.WINDOW, starts, starts[0], text=_moment_text)
    start: dt.datetime = st.selectbox(
        f"Which {period}",
        starts,
        key="drift_period_start",
        format_func=lambda s: f"{_start_text(period, s)} ({by_start[s].rows:,} rows)",
    )
    picked = by_start[start]
    url.publish({links.PERIOD: period, links.SLICE: None, links.WINDOW: _moment_text(start)})
    return picked.bounds, f"{period} of {picked.start:%Y-%m-%d}", None


def _spec_baseline(spec: ModelSpec) -> str:
    # One window has no windows before it to roll over: a rolling spec means the whole reference.
    return "seasonal" if spec.baseline == "seasonal" else "whole"


def _thresholds(
    spec: ModelSpec, data_days: tuple[dt.date, dt.date]
) -> tuple[Bounds, float, float, int, str, str]:
    """The reference window, α, the minimum effect, the multivariate sample cap, the verdict
    rule and what the window is compared with.

    ``data_days`` are the model's first and last days of records: a reference
    window from a link must lie within them (or the spec's own reference).
    """
    spec_days = (spec.reference.start.date(), (spec.reference.end - dt.timedelta(days=1)).date())
    bounds = (min(data_days[0], spec_days[0]), max(data_days[1], spec_days[1]))
    reference_key = f"drift_reference:{spec.name}"  # each model has its own reference
    url.seed_dates(reference_key, links.REF_FROM, links.REF_TO, spec_days, bounds)
    url.seed_number("drift_alpha", links.ALPHA, *ALPHA_RANGE, DEFAULT_ALPHA)
    url.seed_number("drift_cap", links.CAP, *CAP_RANGE, DEFAULT_CAP)
    url.seed_number("drift_min_effect", links.MIN_EFFECT, *EFFECT_RANGE, DEFAULT_MIN_EFFECT)
    url.seed("drift_rule", links.RULE, RULES, "calibrated")
    url.seed("drift_baseline", links.BASELINE, WINDOW_BASELINES, _spec_baseline(spec))
    with st.expander("Verdict rule, reference window and thresholds"):
        rule_col, baseline_col = st.columns(2)
        rule = rule_col.radio("Verdict rule", RULES, key="drift_rule", format_func=RULE_LABELS.get)
        baseline = baseline_col.radio(
            "Compared with",
            WINDOW_BASELINES,
            key="drift_baseline",
            format_func=lambda b: (
                "the same season of the reference" if b == "seasonal" else "the whole reference"
            ),
            help="The same hour of day, weekday or month of the reference, for data with a "
            "daily, weekly or yearly cycle (calibrated rule).",
            disabled=rule != "calibrated",
        )
        ref_col, p_col, effect_col, cap_col = st.columns(4)
        ref_dates = ref_col.date_input(
            "Reference window",
            key=reference_key,
            min_value=bounds[0],
            max_value=bounds[1],
            format="YYYY-MM-DD",
        )
        p_value = p_col.number_input(
            "α (p-value threshold)", *ALPHA_RANGE, step=0.01, key="drift_alpha"
        )
        min_effect = effect_col.number_input(
            "Minimum effect size",
            *EFFECT_RANGE,
            step=0.05,
            key="drift_min_effect",
            help="Fixed rule: a column drifts only when its effect size (W/σ or JS) is at least "
            "this",
            disabled=rule != "fixed",
        )
        cap = cap_col.number_input(
            "Sample cap (multivariate)",
            min_value=CAP_RANGE[0],
            max_value=CAP_RANGE[1],
            step=100,
            key="drift_cap",
        )
    picked = _day_range(ref_dates)
    if picked is not None:  # not while the user is halfway through picking a range
        first, last = picked[0].date(), (picked[1] - dt.timedelta(days=1)).date()
        custom = (first, last) != spec_days
        url.publish(
            {
                links.REF_FROM: first.isoformat() if custom else None,
                links.REF_TO: last.isoformat() if custom else None,
            }
        )
    reference = picked or (spec.reference.start, spec.reference.end)
    return reference, float(p_value), float(min_effect), int(cap), str(rule), str(baseline)


def _detector_label(name: str) -> str:
    """The detector's label, and what is missing when its backend is not installed."""
    missing = None if name == "auto" else available(name)
    return DETECTOR_LABELS[name] + (f" — unavailable: {missing}" if missing else "")


def _slice_name(info: object) -> str:
    assert isinstance(info, SliceInfo)
    return info.name or ""


def _moment_text(moment: object) -> str:
    """How a window start reads in the link: ``2013-06-03`` or ``2013-06-03 05:00``."""
    assert isinstance(moment, dt.datetime)
    return f"{moment:%Y-%m-%d %H:%M}".removesuffix(" 00:00")


def _start_text(period: str, start: dt.datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M}" if period == "hour" else f"{start:%Y-%m-%d}"


def _day_range(picked: object) -> Bounds | None:
    if not isinstance(picked, tuple | list) or len(picked) != 2:
        return None
    start, last = picked
    return (
        dt.datetime.combine(start, dt.time()),
        dt.datetime.combine(last, dt.time()) + dt.timedelta(days=1),
    )
