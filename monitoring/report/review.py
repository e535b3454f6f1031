"""Review packs of a drift comparison: what a meeting needs about one model and two windows."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from monitoring.drift.config import DriftConfig
from monitoring.drift.engine import run_configured
from monitoring.drift.report import ColumnDrift, DriftReport
from monitoring.errors import MonitoringError
from monitoring.performance.metrics import headline_metric, metrics_for
from monitoring.performance.realized import (
    PerformanceResult,
    WindowPerformance,
    realized_performance,
)
from monitoring.report.escape import markdown_text
from monitoring.report.export import ChartContext
from monitoring.report.figures.drift import distribution_figure, grid_figure, result_line
from monitoring.report.figures.performance import metric_figure
from monitoring.report.figures.style import volume_figure
from monitoring.report.findings import findings
from monitoring.report.pack import PackChart, PackTable, ReviewPack
from monitoring.report.tables import for_people, quality_text, report_table
from monitoring.report.text import slug, threshold_text, verdict_word
from monitoring.schema import ModelSpec
from monitoring.store.annotations import list_annotations
from monitoring.store.connection import ModelHandle, Store
from monitoring.store.slices import SliceInfo
from monitoring.store.windows import PERIODS, WindowPlan
from monitoring.timeutil import span_label
from monitoring.uploads.compare import compare_slice

PACK_PARTS = frozenset({"volume", "features", "grid", "outputs", "table", "performance"})
PACK_RESAMPLES = 200
# More performance windows than this is neither readable nor quick to bootstrap.
MAX_PACK_WINDOWS = 1_500


def drift_context(report: DriftReport, current_label: str | None = None) -> ChartContext:
    """The caption of a chart about ``report``: windows, detector, threshold and sizes."""
    return ChartContext(
        model=report.model,
        reference=span_label(*report.reference),
        current=current_label or span_label(*report.current),
        detector=report.config.detector,
        threshold=threshold_text(report),
        reference_n=report.rows_reference,
        current_n=report.rows_current,
    )


def drift_pack(
    store: Store,
    model: str,
    current: tuple[dt.datetime, dt.datetime],
    reference: tuple[dt.datetime, dt.datetime] | None = None,
    config: DriftConfig | None = None,
    max_features: int = 8,
    include: frozenset[str] = PACK_PARTS,
    uploaded: SliceInfo | None = None,
    period: str = "week",
    metric: str | None = None,
) -> ReviewPack:
    """Everything about one comparison, computing the drift run if it is not stored.

    Charts: weekly volume with both windows marked, the distributions of the
    most drifted features (of the largest effects when none drifted, at most
    ``max_features``), a grid of the drifted ones, and each model output.
    Tables: the per-column drift table. The summary states the verdicts, the
    rule and the top drifted features. ``include`` picks among
    :data:`PACK_PARTS`; the summary and the HTML report are always there.
    With ``uploaded`` the current side is that uploaded slice (``current`` is
    ignored) and the time-based parts (volume, performance) are left out.
    The performance part cuts the reference and current windows per
    ``period`` and charts ``metric`` (default: the model's headline metric,
    its ``[alerts]`` first); its CSV holds every metric.
    """
    unknown = sorted(include - PACK_PARTS)
    if unknown:
        raise MonitoringError(
            f"unknown pack part(s) {unknown}; valid parts are {sorted(PACK_PARTS)}"
        )
    if period not in PERIODS:
        raise MonitoringError(f"unknown period {period!r}; valid periods are {list(PERIODS)}")
    config = config or DriftConfig()
    if uploaded is not None:
        report = compare_slice(store, uploaded, config, reference)
        include = include - {"volume", "performance"}
    else:
        report = run_configured(store, model, config, current, reference)
    handle = store.model(model)
    spec = handle.spec
    label = uploaded.label if uploaded is not None else span_label(*report.current)
    context = drift_context(report, label)
    ranked = sorted(report.features, key=_beyond_first)
    drifted = [c for c in ranked if c.drifted]
    shown = (drifted or [c for c in ranked if c.effect is not None])[:max_features]
    charts: list[PackChart] = []
    if "volume" in include:
        charts.append(PackChart("volume", "Records per week", _volume(handle, report)))
    if "features" in include:
        charts += [
            PackChart(
                f"feature_{slug(c.column, 'column')}",
                f"{c.column}: reference vs current",
                distribution_figure(c),
            )
            for c in shown
        ]
    if "grid" in include and drifted:
        charts.append(
            PackChart("drifted_features", "Most drifted features", grid_figure(drifted[:6]))
        )
    if "outputs" in include:
        charts += [
            PackChart(
                f"output_{slug(c.column, 'column')}",
                f"{c.column} (model output)",
                distribution_figure(c),
            )
            for c in report.output_columns
        ]
    tables = [PackTable("drift", "Drift per column", for_people(report_table(report.columns)))]
    tables = tables if "table" in include else []
    summary = list(_summary(report))
    if "performance" in include and spec.target:
        metric = _checked_metric(spec, metric)
        plan = WindowPlan(period, start=report.reference[0], end=report.current[1])
        count = len(plan.windows(handle))
        if count > MAX_PACK_WINDOWS:
            raise MonitoringError(
                f"{count:,} {period}s from the reference to the current window is more than "
                f"a pack charts ({MAX_PACK_WINDOWS:,} at most): choose a longer period"
            )
        result = realized_performance(store, model, plan, resamples=PACK_RESAMPLES)
        charts.append(
            PackChart(
                f"performance_{metric}_{period}",
                f"{metric} per {period}",
                metric_figure(result, metric),
            )
        )
        tables.append(PackTable("performance", f"Performance per {period}", result.frame()))
        summary += _performance_lines(result, metric, period, report.current)
    summary += _annotation_lines(store, model, report)
    return ReviewPack(
        title=f"Drift review: {model}, {label}",
        context=context,
        summary=tuple(summary),
        charts=tuple(charts),
        tables=tuple(tables),
    )


def _checked_metric(spec: ModelSpec, metric: str | None) -> str:
    """``metric``, or the model's headline metric; a clear error for one the task lacks."""
    offered = metrics_for(spec)
    if metric is None:
        return headline_metric(spec)
    if metric not in offered:
        raise MonitoringError(
            f"metric {metric!r} is not one of a {spec.task} model's: {list(offered)}"
        )
    return metric


def _performance_lines(
    result: PerformanceResult,
    metric: str,
    period: str,
    current: tuple[dt.datetime, dt.datetime],
) -> list[str]:
    """The metric of each window of the current window against the reference band."""
    band = result.bands.get(metric)
    lines = ["", f"## Performance vs reference band ({metric}, per {period})"]
    if band is None or band.lower is None or band.upper is None:
        lines.append(f"- no reference band: {band.reason if band else 'metric not computed'}")
    else:
        lines.append(
            f"- reference band: {band.lower:.3g} to {band.upper:.3g} "
            f"(mean ± {band.sigmas:g}σ over {band.basis})"
        )
    moment = "%Y-%m-%d %H:%M" if period == "hour" else "%Y-%m-%d"
    for window in result.windows:
        if not (window.window.start < current[1] and window.window.end > current[0]):
            continue
        outside = any(a.metric == metric for a in window.alerts)
        lines.append(
            f"- {period} of {window.window.start:{moment}}: {_metric_text(window, metric)}"
            f"{' — **outside the band**' if outside else ''}"
        )
    return lines


def _metric_text(window: WindowPerformance, metric: str) -> str:
    """A window's value of ``metric``, or why there is none: a window whose labels arrived
    but are too few is not "pending" (its labels will not get more numerous)."""
    value = window.metrics.get(metric)
    if value is not None and value.value is not None:
        return f"{value.value:.3g}"
    labelled = window.window.labelled
    if window.status == "empty":
        return "no records"
    if labelled == 0:
        return "labels pending"
    if value is not None and value.status == "too_few":
        return f"too few labels (n={labelled:,})"
    reason = value.reason if value is not None and value.reason else "not computed"
    return f"undefined ({reason}, n={labelled:,})"


def _annotation_lines(store: Store, model: str, report: DriftReport) -> list[str]:
    """Notes dated inside either window."""
    notes = [
        n
        for bounds in (report.reference, report.current)
        for n in list_annotations(store, model, *bounds)
    ]
    if not notes:
        return []
    return ["", "## Annotations", *(f"- {n.at:%Y-%m-%d}: {markdown_text(n.text)}" for n in notes)]


def _summary(report: DriftReport) -> tuple[str, ...]:
    verdict = report.verdict
    lines = [
        "## What was compared",
        f"- reference {span_label(*report.reference)}: {report.rows_reference:,} rows",
        f"- current {_current(report)}: {report.rows_current:,} rows",
        f"- detector {report.config.detector}, correction {report.config.correction}",
        "",
        "## Verdict",
        f"- features: **{verdict_word(verdict.drifted)}**, {len(verdict.drifted_columns)} of "
        f"{verdict.tested} tested features drifted",
    ]
    if report.outputs is not None:
        lines.append(f"- model outputs: **{verdict_word(report.outputs.drifted)}**")
    if report.multivariate is not None:
        mv = report.multivariate
        lines.append(
            f"- {mv.detector.upper()} on a sample of {mv.n_reference:,} + "
            f"{mv.n_current:,} rows: p = {mv.p_value:.3g}, **{verdict_word(mv.drifted)}**"
        )
    lines += ["", "## Findings"]
    lines += [
        f"- **{markdown_text(f.column)}**: {markdown_text(f.text)}" for f in findings(report)
    ] or ["- no feature drifted: every feature stayed within its usual range"]
    lines += ["", "## The numbers behind them"]
    drifted = sorted((c for c in report.features if c.drifted), key=_beyond_first)
    lines += [
        f"- **{markdown_text(c.column)}**: {result_line(c).replace('<b>', '').replace('</b>', '')}"
        + (f" ({c.excess:.2f}× its usual limit)" if c.excess is not None else "")
        for c in drifted[:10]
    ] or ["- none drifted"]
    lines.append(f"- rule: {verdict.rule}")
    lines += ["", "## Data quality (beyond the usual limits)"]
    lines += [
        f"- **{markdown_text(c.column)}**: {quality_text(c)}"
        for c in report.columns
        if quality_text(c)
    ] or ["- nothing beyond the usual limits: missing, never-seen and out-of-range shares"]
    return tuple(lines)


def _beyond_first(column: ColumnDrift) -> float:
    """Sort key: furthest beyond the usual limit first (the effect size without a limit)."""
    return -(column.excess if column.excess is not None else (column.effect or -1.0))


def _volume(model: ModelHandle, report: DriftReport) -> go.Figure:
    weeks = WindowPlan("week").windows(model)
    return volume_figure(weeks, model.spec.reference, report.current)


def _current(report: DriftReport) -> str:
    if report.current_slice is not None:
        return f"uploaded slice {markdown_text(repr(report.current_slice))}"
    return span_label(*report.current)
