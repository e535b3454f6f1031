"""Widgets and rendering of the Feature drift page (session keys start with ``drift_``)."""

from __future__ import annotations

import datetime as dt
import time
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
from monitoring.drift.engine import run_configured, stored_drift
from monitoring.drift.report import ColumnDrift, DriftReport
from monitoring.report import links
from monitoring.report.figures.drift import distribution_figure, grid_figure
from monitoring.report.figures.style import DRIFTED_ROW_CSS
from monitoring.report.findings import findings
from monitoring.report.review import drift_context
from monitoring.report.tables import RHO, for_people, neutralise, ranking_table, report_table
from monitoring.report.text import p_text, verdict_word
from monitoring.schema import ModelSpec
from monitoring.store.slices import SliceInfo, list_slices
from monitoring.store.windows import PERIODS, Window, WindowPlan
from monitoring.timeutil import Bounds, span_label
from monitoring.uploads.compare import compare_slice, stored_slice_drift
from ui import data, url
from ui.charts import show_figure
from ui.sidebar import Selection
from ui.text import md

SIDEBAR_WINDOW = "sidebar window"
SAVED_SLICE = "saved slice"
GRID_SIZE = 6
DEFAULT_ALPHA = DriftConfig().p_threshold
ALPHA_RANGE = (0.001, 0.2)
EFFECT_RANGE = (0.0, 2.0)
WINDOW_BASELINES = ("whole", "seasonal")
VIEWS = ("histogram", "ecdf")
DEFAULT_CAP, CAP_RANGE = 1000, (100, 20_000)


@dataclass(frozen=True)
class DriftQuestion:
    """What the page compares: two windows of a model under one configuration."""

    db: data.Db
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


def answer(question: DriftQuestion, run: bool) -> DriftReport | None:
    """The stored answer, or a fresh one when ``run``; ``None`` when neither exists."""
    store = question.db.store
    if question.slice is not None:
        if not run:
            return stored_slice_drift(store, question.slice, question.config, question.reference)
        with st.spinner(f"Comparing {md(question.current_label)} …"):
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
    """Headline numbers, the rule in a few words and the multivariate result."""
    verdict = report.verdict
    features, drifted, ref_n, cur_n = st.columns(4)
    features.metric("Features drifted", f"{len(verdict.drifted_columns)} of {verdict.tested}")
    drifted.metric("Dataset verdict", verdict_word(verdict.drifted))
    ref_n.metric("Reference rows", f"{report.rows_reference:,}")
    cur_n.metric("Current rows", f"{report.rows_current:,}")
    reference, current = span_label(*report.reference), span_label(*report.current)
    st.caption(f"Reference {reference} against {current} · {rule_words(report)}")
    if report.rows_current == 0:
        st.warning("The current window has no records: there is nothing to compare.")
    if report.multivariate is not None:
        mv = report.multivariate
        box = st.warning if mv.drifted else st.success
        box(
            f"**{mv.detector.upper()}** on all features: {verdict_word(mv.drifted)} "
            f"({mv.statistic_name} = {mv.statistic:.3g}, p {p_text(mv.p_value)}, on a seeded "
            f"sample of {mv.n_reference:,} reference and {mv.n_current:,} current rows)"
        )


def rule_words(report: DriftReport) -> str:
    """The verdict rule in a few words (the full sentence is in the help below the findings)."""
    config, verdict = report.config, report.verdict
    level = "" if verdict.threshold is None else f", p < {verdict.threshold:.2g}"
    if config.rule == "calibrated":
        return f"calibrated rule: beyond the usual limit{level}"
    return f"fixed rule: effect ≥ {config.min_effect:g}{level}"


def findings_section(report: DriftReport) -> None:
    """One plain sentence per drifted feature, then what the numbers mean."""
    found = findings(report)
    if not found:
        st.markdown(
            "No feature drifted: every feature stayed within its usual range."
            if report.verdict.tested
            else "No feature could be tested."
        )
    if found:  # one list, so the sentences sit together
        st.markdown("\n".join(f"- **{md(item.column)}**: {md(item.text)}" for item in found))
    with st.popover("What do these numbers mean?", icon=":material/help:"):
        st.markdown(HELP)
        st.caption(f"The rule in full: {md(report.verdict.rule)}.")
        if report.calibration:
            st.caption(f"Thresholds {md(report.calibration)}.")


HELP = (
    "**Statistic.** How far apart the two windows are: **KS D** for numbers (the largest gap "
    "between the two cumulative distributions, 0 to 1), **JS**, the Jensen–Shannon distance, for "
    "categories (0: the same shares; 0.83: nothing in common).\n\n"
    "**Usual limit.** The largest statistic that windows of this size show *inside the reference "
    "itself*, calibrated on the reference's own windows. **× limit** is the statistic over that "
    "limit: above 1, the window is further from the reference than the reference ever is from "
    "itself.\n\n"
    "**Effect, W/σ.** How far the values moved, in reference standard deviations (the "
    "Wasserstein distance over the reference's SD). 0.1 is a nudge; 1 is a whole standard "
    "deviation.\n\n"
    "**Drift.** A feature drifts when its statistic is beyond its usual limit *and* its p-value "
    "is below α shared among the features tested, so that chance alone rarely flags any."
)


def table(columns: tuple[ColumnDrift, ...]) -> None:
    """The per-column numbers behind the findings, one measure per column, in an expander."""
    numbers = report_table(columns)
    # Text cells, because Streamlit shows an empty number as "None": blanks stay blank.
    frame = neutralise(for_people(numbers))  # the CSV download must not run formulas
    frame["drifted"] = numbers["drifted"]
    styled = frame.style.apply(
        # a translucent tint reads on the light and the dark theme alike
        lambda row: [DRIFTED_ROW_CSS if row["drifted"] else ""] * len(row),
        axis=1,
    )
    with st.expander("Per feature: statistic, usual limit, p-value, effect, data quality"):
        st.dataframe(
            styled,
            hide_index=True,
            column_config={
                "× limit": st.column_config.TextColumn(
                    help="Statistic ÷ usual limit: above 1 is beyond the usual range"
                ),
                "KS D": st.column_config.TextColumn(
                    help="Numeric features: the largest gap between the two cumulative "
                    "distributions (0 to 1)"
                ),
                "JS": st.column_config.TextColumn(
                    help="Categorical features: Jensen–Shannon distance of the category shares "
                    "(0 to 0.83)"
                ),
                "usual limit": st.column_config.TextColumn(
                    help="The statistic windows of this size usually stay below, calibrated on "
                    "the reference's own windows"
                ),
                "p-value": st.column_config.TextColumn(help="The test's p-value (see test)"),
                "W/σ": st.column_config.TextColumn(
                    help="Numeric features: how far values moved, in reference standard deviations"
                ),
                "PSI": st.column_config.TextColumn(
                    help="Population stability index on the reference's deciles or categories"
                ),
                "unseen": st.column_config.TextColumn(
                    help="Share of current values in categories the reference never had"
                ),
                "out of range": st.column_config.TextColumn(
                    help="Share of current values outside the reference's range"
                ),
                "data quality": st.column_config.TextColumn(
                    help="Missing or never-seen shares beyond their usual limits"
                ),
                "drifted": st.column_config.CheckboxColumn(),
                "note": st.column_config.TextColumn(width="large"),
            },
        )


def feature_chart(report: DriftReport, label: str) -> None:
    """A feature picker and that feature's distribution in both windows."""
    order = list(report_table(report.features)["column"])
    url.seed("drift_feature", links.FEATURE, order, order[0])
    name = st.selectbox("Feature", order, key="drift_feature")
    column = report.column(name)
    if column.status != "tested":
        st.info(f"{md(name)}: {md(column.note)}")
    view = "histogram"
    if column.kind == "numeric":
        url.seed("drift_view", links.VIEW, VIEWS, "histogram")
        view = st.radio(
            "View",
            VIEWS,
            horizontal=True,
            key="drift_view",
            format_func=lambda v: "ECDF" if v == "ecdf" else "histogram",
        )
    # A categorical feature has no view: the link keeps the one chosen for numeric features.
    url.publish({links.FEATURE: name, **({links.VIEW: view} if column.kind == "numeric" else {})})
    show_figure(
        distribution_figure(column, "ecdf" if view == "ecdf" else "histogram"),
        f"{report.model}_{name}_{label}",
        drift_context(report, label),
    )


def drifted_grid(report: DriftReport, label: str) -> None:
    """Small multiples of the most drifted features."""
    worst = [c for c in sorted(report.features, key=_beyond_first) if c.drifted]
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
            f"Model outputs: {verdict_word(report.outputs.drifted)}, by the same rule as the "
            "features."
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


def ranking(selection: Selection) -> None:
    """Which feature first, over every week of the model (as on the Timeline): drifted weeks,
    furthest beyond the usual limit, and the correlation with the headline metric's change."""
    summary = data.overview(selection.db, selection.model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    plan = WindowPlan(  # the Timeline's default cut, so both read the same stored weeks
        "week",
        start=dt.datetime.combine(summary.first.date(), dt.time()),
        end=dt.datetime.combine(summary.last.date(), dt.time()) + dt.timedelta(days=1),
    )
    ranks = data.weekly_ranking(selection.db, selection.model, plan)
    if not ranks:
        return
    st.subheader("Which feature first, over all weeks")
    metric = next((r.metric for r in ranks if r.metric), None)
    frame = ranking_table(ranks, metric)
    st.dataframe(
        neutralise(frame),
        hide_index=True,
        column_config={
            "largest × limit": st.column_config.NumberColumn(format="%.2f×"),
            RHO: st.column_config.NumberColumn(format="%+.2f"),
            "p (ρ)": st.column_config.NumberColumn(format="%.2g"),
        },
    )
    why = (
        f"ρ: Spearman's correlation, over the judged weeks, between the feature's drift statistic "
        f"and how far {metric} is from its reference value; p (ρ) says whether it is more than "
        "chance."
        if metric
        else "The model has no labelled weeks: there is no performance to correlate the drift with."
    )
    st.caption(f"Most drifted weeks first, then the furthest beyond the usual limit. {why}")


def _beyond_first(column: ColumnDrift) -> float:
    return -(column.excess if column.excess is not None else (column.effect or 0.0))


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
