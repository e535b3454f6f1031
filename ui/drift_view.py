"""Rendering of the Feature drift page: the answer to a
:class:`~ui.drift_question.DriftQuestion`."""

from __future__ import annotations

import datetime as dt
import time

import streamlit as st

from monitoring.drift.engine import run_configured, stored_drift
from monitoring.drift.report import ColumnDrift, DriftReport
from monitoring.report import links
from monitoring.report.figures.drift import distribution_figure, grid_figure
from monitoring.report.figures.style import DRIFTED_ROW_CSS
from monitoring.report.findings import findings
from monitoring.report.review import drift_context
from monitoring.report.tables import for_people, neutralise, report_table
from monitoring.report.text import p_text, verdict_word
from monitoring.store.windows import WindowPlan
from monitoring.timeutil import span_label
from monitoring.uploads.compare import compare_slice, stored_slice_drift
from ui import data, timeline_view, url
from ui.charts import show_figure
from ui.drift_question import DriftQuestion
from ui.sidebar import Selection
from ui.text import md

GRID_SIZE = 6
VIEWS = ("histogram", "ecdf")


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
    timeline_view.show_ranking(ranks, next((r.metric for r in ranks if r.metric), None), "weeks")


def _beyond_first(column: ColumnDrift) -> float:
    return -(column.excess if column.excess is not None else (column.effect or 0.0))
