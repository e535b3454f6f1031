"""Widgets and rendering of the Feature drift page (session keys start with ``drift_``)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import streamlit as st

from monitoring.drift.engine import run_configured, stored_drift
from monitoring.drift.report import (
    CORRECTIONS,
    DEFAULT_MIN_EFFECT,
    DETECTOR_CHOICES,
    ColumnDrift,
    DriftConfig,
    DriftReport,
    report_table,
)
from monitoring.report.figures.drift import distribution_figure, grid_figure
from monitoring.report.pack import neutralise
from monitoring.report.review import drift_context
from monitoring.schema import ModelSpec, span_label
from monitoring.store.connection import Store
from monitoring.store.windows import PERIODS, Window, calendar_windows
from monitoring.uploads.compare import compare_slice, stored_slice_drift
from monitoring.uploads.slices import SliceInfo, list_slices
from ui import data, url
from ui.charts import show_figure
from ui.sidebar import Selection

DETECTOR_LABELS = {
    "auto": "auto (per column: KS/CvM, chi², Fisher)",
    "ks": "Kolmogorov–Smirnov (numeric)",
    "cvm": "Cramér–von Mises (numeric)",
    "chi2": "chi-squared (categorical)",
    "fet": "Fisher exact (binary)",
    "tabular": "TabularDrift (all features, one call)",
    "mmd": "MMD (multivariate, sampled)",
    "lsdd": "LSDD (multivariate, sampled)",
    "classifier": "classifier (multivariate, sampled)",
}
CORRECTION_LABELS = {"bonferroni": "Bonferroni", "fdr": "FDR (Benjamini–Hochberg)"}
SIDEBAR_WINDOW = "sidebar window"
SAVED_SLICE = "saved slice"
GRID_SIZE = 6
DEFAULT_ALPHA = DriftConfig().p_threshold
ALPHA_RANGE = (0.001, 0.2)
EFFECT_RANGE = (0.0, 2.0)


@dataclass(frozen=True)
class DriftQuestion:
    """What the page compares: two windows of a model under one configuration."""

    db: str
    model: str
    reference: tuple[dt.datetime, dt.datetime]
    current: tuple[dt.datetime, dt.datetime]
    current_label: str
    config: DriftConfig
    slice: SliceInfo | None = None


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def _periods(db: str, version: int, model: str, period: str) -> list[Window]:
    """The non-empty calendar periods of a model's whole history."""
    summary = data.overview(db, version, model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    end = summary.last + dt.timedelta(microseconds=1)
    windows = calendar_windows(Store(db), model, period, summary.first, end)
    return [w for w in windows if w.rows]


def ask(selection: Selection, spec: ModelSpec) -> DriftQuestion:
    """Draw the controls; return the comparison they describe."""
    url.seed("drift_detector", "detector", DETECTOR_CHOICES, "auto")
    url.seed("drift_correction", "correction", CORRECTIONS, "bonferroni")
    saved = list_slices(Store(selection.db), selection.model)
    periods = (SIDEBAR_WINDOW, *PERIODS, *((SAVED_SLICE,) if saved else ()))
    url.seed("drift_period", "period", periods, SIDEBAR_WINDOW)
    window_col, detector_col, correction_col = st.columns([2, 2, 1])
    period = window_col.selectbox(
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
    current, label = (selection.start, selection.end), selection.label
    chosen: SliceInfo | None = None
    if period == SAVED_SLICE:
        chosen = window_col.selectbox(
            "Which slice",
            saved,
            key="drift_slice",
            format_func=lambda s: f"{s.name} ({s.file_name}, {s.rows:,} rows)",
        )
        assert chosen is not None
        current, label = chosen.bounds, chosen.label
    elif period != SIDEBAR_WINDOW:
        choices = _periods(selection.db, selection.version, selection.model, period)
        picked = window_col.selectbox(
            f"Which {period}",
            choices[::-1],
            key="drift_period_start",
            format_func=lambda w: (
                f"{w.start:%Y-%m-%d %H:%M} ({w.rows:,} rows)"
                if period == "hour"
                else f"{w.start:%Y-%m-%d} ({w.rows:,} rows)"
            ),
        )
        current, label = (picked.start, picked.end), f"{period} of {picked.start:%Y-%m-%d}"
    detector = detector_col.selectbox(
        "Detector", DETECTOR_CHOICES, key="drift_detector", format_func=DETECTOR_LABELS.__getitem__
    )
    correction = correction_col.radio(
        "Correction",
        CORRECTIONS,
        key="drift_correction",
        horizontal=True,
        format_func=CORRECTION_LABELS.__getitem__,
        help="Multiple-testing correction across features",
    )
    spec_days = (spec.reference.start.date(), (spec.reference.end - dt.timedelta(days=1)).date())
    reference_key = f"drift_reference:{spec.name}"  # each model has its own reference
    url.seed_dates(reference_key, "ref_from", "ref_to", spec_days)
    url.seed_number("drift_alpha", "alpha", *ALPHA_RANGE, DEFAULT_ALPHA)
    url.seed_number("drift_min_effect", "min_effect", *EFFECT_RANGE, DEFAULT_MIN_EFFECT)
    with st.expander("Reference window and thresholds"):
        ref_col, p_col, effect_col, cap_col = st.columns(4)
        ref_dates = ref_col.date_input("Reference window", key=reference_key, format="YYYY-MM-DD")
        p_value = p_col.number_input(
            "α (p-value threshold)", *ALPHA_RANGE, step=0.01, key="drift_alpha"
        )
        min_effect = effect_col.number_input(
            "Minimum effect size",
            *EFFECT_RANGE,
            step=0.05,
            key="drift_min_effect",
            help="A column drifts only when its effect size (W/σ or JS) is at least this",
        )
        cap = cap_col.number_input(
            "Sample cap (multivariate)", 100, 20_000, 1000, 100, key="drift_cap"
        )
    picked = _day_range(ref_dates)
    reference = picked or (spec.reference.start, spec.reference.end)
    url.publish(
        {
            "detector": detector,
            "correction": correction,
            "period": period,
            "alpha": None if p_value == DEFAULT_ALPHA else f"{p_value:g}",
            "min_effect": None if min_effect == DEFAULT_MIN_EFFECT else f"{min_effect:g}",
        }
    )
    if picked is not None:  # not while the user is halfway through picking a range
        custom = tuple(ref_dates) != spec_days
        url.publish(
            {
                "ref_from": ref_dates[0].isoformat() if custom else None,
                "ref_to": ref_dates[1].isoformat() if custom else None,
            }
        )
    config = DriftConfig(
        detector,
        correction,
        float(p_value),
        float(min_effect),
        int(cap) if detector in ("mmd", "lsdd", "classifier") else None,
    )
    return DriftQuestion(selection.db, selection.model, reference, current, label, config, chosen)


def answer(question: DriftQuestion, run: bool) -> DriftReport | None:
    """The stored answer, or a fresh one when ``run``; ``None`` when neither exists."""
    store = Store(question.db)
    if question.slice is not None:
        if not run:
            return stored_slice_drift(store, question.slice, question.config, question.reference)
        with st.spinner(f"Comparing {question.current_label} …"):
            return compare_slice(store, question.slice, question.config, question.reference)
    if not run:
        return stored_drift(
            store, question.model, question.config, question.current, question.reference
        )
    started = time.monotonic()
    with st.status(f"Running {question.config.detector} drift tests…") as status:
        report = run_configured(
            store, question.model, question.config, question.current, question.reference
        )
        status.update(
            label=f"Drift tests done in {time.monotonic() - started:.1f} s", state="complete"
        )
    return report


def summary(report: DriftReport) -> None:
    """Headline numbers, the rule used and the multivariate result."""
    verdict = report.verdict
    features, drifted, ref_n, cur_n = st.columns(4)
    features.metric("Features drifted", f"{len(verdict.drifted_columns)} of {verdict.tested}")
    drifted.metric(
        "Dataset verdict", {True: "drift", False: "no drift", None: "—"}[verdict.drifted]
    )
    ref_n.metric("Reference rows", f"{report.rows_reference:,}")
    cur_n.metric("Current rows", f"{report.rows_current:,}")
    reference, current = span_label(*report.reference), span_label(*report.current)
    st.caption(f"Reference {reference} against {current}. Rule: {verdict.rule}.")
    if report.rows_current == 0:
        st.warning("The current window has no records: there is nothing to compare.")
    if report.multivariate is not None:
        mv = report.multivariate
        st.info(
            f"**{mv.detector.upper()}** on all features: {mv.statistic_name} = "
            f"{mv.statistic:.3g}, p = {mv.p_value:.3g} on a seeded sample of "
            f"{mv.n_reference:,} reference and {mv.n_current:,} current rows → "
            f"{'drift' if mv.drifted else 'no drift'}"
        )


def table(columns: tuple[ColumnDrift, ...]) -> None:
    """The per-column table, drifted rows highlighted, largest effect first."""
    frame = neutralise(report_table(columns))  # the CSV download must not run formulas
    styled = frame.style.apply(
        lambda row: ["background-color: #fde3cf" if row["drifted"] else ""] * len(row), axis=1
    )
    st.dataframe(
        styled,
        hide_index=True,
        column_config={
            "statistic": st.column_config.NumberColumn(format="%.4g"),
            "p-value": st.column_config.NumberColumn(format="%.3g"),
            "effect": st.column_config.NumberColumn(format="%.3f", help="W/σ or JS distance"),
            "PSI": st.column_config.NumberColumn(format="%.3f"),
            "missing ref": st.column_config.NumberColumn(format="percent"),
            "missing cur": st.column_config.NumberColumn(format="percent"),
            "unseen": st.column_config.NumberColumn(
                format="percent", help="Share of current values unseen in the reference"
            ),
            "n ref": st.column_config.NumberColumn(format="localized"),
            "n cur": st.column_config.NumberColumn(format="localized"),
            "drifted": st.column_config.CheckboxColumn(),
            "note": st.column_config.TextColumn(width="large"),
        },
    )


def feature_chart(report: DriftReport, label: str) -> None:
    """A feature picker and that feature's distribution in both windows."""
    order = list(report_table(report.features)["column"])
    url.seed("drift_feature", "feature", order, order[0])
    name = st.selectbox("Feature", order, key="drift_feature")
    column = report.column(name)
    if column.status != "tested":
        st.info(f"{name}: {column.note}")
    view = "histogram"
    if column.kind == "numeric":
        view = st.radio(
            "View",
            ("histogram", "ecdf"),
            horizontal=True,
            key="drift_view",
            format_func=lambda v: "ECDF" if v == "ecdf" else "histogram",
        )
    url.publish({"feature": name})
    show_figure(
        distribution_figure(column, view),
        f"{report.model}_{name}_{label}",
        drift_context(report, label),
    )


def drifted_grid(report: DriftReport, label: str) -> None:
    """Small multiples of the most drifted features."""
    worst = [c for c in sorted(report.features, key=lambda c: -(c.effect or 0)) if c.drifted]
    if not worst:
        st.caption("No feature drifted, so there is no grid of drifted features.")
        return
    show_figure(
        grid_figure(worst[:GRID_SIZE]),
        f"{report.model}_top_drifted_{label}",
        drift_context(report, label),
    )


def outputs(report: DriftReport, label: str) -> None:
    """The prediction and score distributions, side by side, with the outputs' verdict."""
    if report.outputs is not None:
        st.caption(
            f"Outputs: {'drift' if report.outputs.drifted else 'no drift'} — {report.outputs.rule}."
        )
    for cell, column in zip(
        st.columns(len(report.output_columns) or 1), report.output_columns, strict=False
    ):
        with cell:
            show_figure(
                distribution_figure(column),
                f"{report.model}_{column.column}_{label}",
                drift_context(report, label),
            )


def _day_range(picked: object) -> tuple[dt.datetime, dt.datetime] | None:
    if not isinstance(picked, tuple | list) or len(picked) != 2:
        return None
    start, last = picked
    return (
        dt.datetime.combine(start, dt.time()),
        dt.datetime.combine(last, dt.time()) + dt.timedelta(days=1),
    )
