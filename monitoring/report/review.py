"""Review packs of a drift comparison: what a meeting needs about one model and two windows."""

from __future__ import annotations

import datetime as dt
import re

import plotly.graph_objects as go

from monitoring.drift.engine import run_configured
from monitoring.drift.report import DriftConfig, DriftReport, report_table
from monitoring.errors import MonitoringError
from monitoring.performance.realized import PerformanceResult, realized_performance
from monitoring.report.export import ChartContext
from monitoring.report.figures.drift import distribution_figure, grid_figure, result_line
from monitoring.report.figures.performance import metric_figure
from monitoring.report.figures.style import volume_figure
from monitoring.report.pack import PackChart, PackTable, ReviewPack
from monitoring.schema import ModelSpec, span_label
from monitoring.store.annotations import list_annotations
from monitoring.store.connection import Store
from monitoring.store.overview import model_overview
from monitoring.store.windows import calendar_windows
from monitoring.uploads.compare import compare_slice
from monitoring.uploads.slices import SliceInfo

PACK_PARTS = frozenset({"volume", "features", "grid", "outputs", "table", "performance"})
# The metric a pack charts per task; the CSV has them all.
PACK_RESAMPLES = 200
PACK_METRIC = {"binary": "f1", "multiclass": "accuracy", "regression": "mae"}


def window_label(bounds: tuple[dt.datetime, dt.datetime]) -> str:
    """:func:`~monitoring.schema.span_label` of a ``(start, end)`` pair."""
    return span_label(*bounds)


def drift_context(report: DriftReport, current_label: str | None = None) -> ChartContext:
    """The caption of a chart about ``report``: windows, detector, threshold and sizes."""
    config, verdict = report.config, report.verdict
    correction = "Bonferroni" if config.correction == "bonferroni" else "FDR"
    threshold = (
        f"p < {verdict.threshold:.3g} ({correction}, α = {config.p_threshold:g}) "
        f"and effect ≥ {config.min_effect:g}"
        if verdict.threshold is not None
        else None
    )
    return ChartContext(
        model=report.model,
        reference=window_label(report.reference),
        current=current_label or window_label(report.current),
        detector=config.detector,
        threshold=threshold,
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
    """
    unknown = sorted(include - PACK_PARTS)
    if unknown:
        raise MonitoringError(
            f"unknown pack part(s) {unknown}; valid parts are {sorted(PACK_PARTS)}"
        )
    config = config or DriftConfig()
    if uploaded is not None:
        report = compare_slice(store, uploaded, config, reference)
        include = include - {"volume", "performance"}
    else:
        report = run_configured(store, model, config, current, reference)
    spec = store.spec(model)
    label = uploaded.label if uploaded is not None else window_label(report.current)
    context = drift_context(report, label)
    ranked = sorted(report.features, key=lambda c: -(c.effect or -1.0))
    drifted = [c for c in ranked if c.drifted]
    shown = (drifted or [c for c in ranked if c.effect is not None])[:max_features]
    charts: list[PackChart] = []
    if "volume" in include:
        charts.append(PackChart("volume", "Records per week", _volume(store, model, spec, report)))
    if "features" in include:
        charts += [
            PackChart(
                f"feature_{_slug(c.column)}",
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
                f"output_{_slug(c.column)}", f"{c.column} (model output)", distribution_figure(c)
            )
            for c in report.output_columns
        ]
    tables = [PackTable("drift", "Drift per column", report_table(report.columns))]
    tables = tables if "table" in include else []
    summary = list(_summary(report))
    if "performance" in include and spec.target:
        result = realized_performance(
            store,
            model,
            period="week",
            start=report.reference[0],
            end=report.current[1],
            resamples=PACK_RESAMPLES,
        )
        metric = PACK_METRIC[spec.task]
        charts.append(
            PackChart(f"performance_{metric}", f"{metric} per week", metric_figure(result, metric))
        )
        tables.append(PackTable("performance", "Performance per week", result.frame()))
        summary += _performance_lines(result, metric, report.current)
    summary += _annotation_lines(store, model, report)
    return ReviewPack(
        title=f"Drift review: {model}, {label}",
        context=context,
        summary=tuple(summary),
        charts=tuple(charts),
        tables=tuple(tables),
    )


def _performance_lines(
    result: PerformanceResult, metric: str, current: tuple[dt.datetime, dt.datetime]
) -> list[str]:
    """The metric of each week of the current window against the reference band."""
    band = result.bands.get(metric)
    lines = ["", f"## Performance vs reference band ({metric}, weekly)"]
    if band is None or band.lower is None or band.upper is None:
        lines.append(f"- no reference band: {band.reason if band else 'metric not computed'}")
    else:
        lines.append(
            f"- reference band: {band.lower:.3g} to {band.upper:.3g} "
            f"(mean ± {band.sigmas:g}σ over {band.windows} reference weeks)"
        )
    for week in result.windows:
        if not (week.window.start < current[1] and week.window.end > current[0]):
            continue
        value = week.metrics.get(metric)
        shown = (
            "labels pending"
            if week.status == "pending" or value is None or value.value is None
            else f"{value.value:.3g}"
        )
        outside = any(a.metric == metric for a in week.alerts)
        lines.append(
            f"- week of {week.window.start:%Y-%m-%d}: {shown}"
            f"{' — **outside the band**' if outside else ''}"
        )
    return lines


def _annotation_lines(store: Store, model: str, report: DriftReport) -> list[str]:
    """Notes dated inside either window."""
    notes = [
        n
        for bounds in (report.reference, report.current)
        for n in list_annotations(store, model, *bounds)
    ]
    if not notes:
        return []
    return ["", "## Annotations", *(f"- {n.at:%Y-%m-%d}: {n.text}" for n in notes)]


def _summary(report: DriftReport) -> tuple[str, ...]:
    verdict = report.verdict
    lines = [
        "## What was compared",
        f"- reference {window_label(report.reference)}: {report.rows_reference:,} rows",
        f"- current {_current(report)}: {report.rows_current:,} rows",
        f"- detector {report.config.detector}, correction {report.config.correction}",
        "",
        "## Verdict",
        f"- features: **{_word(verdict.drifted)}**, {len(verdict.drifted_columns)} of "
        f"{verdict.tested} tested features drifted",
    ]
    if report.outputs is not None:
        lines.append(f"- model outputs: **{_word(report.outputs.drifted)}**")
    if report.multivariate is not None:
        mv = report.multivariate
        lines.append(
            f"- {mv.detector.upper()} on a sample of {mv.n_reference:,} + "
            f"{mv.n_current:,} rows: p = {mv.p_value:.3g}, **{_word(mv.drifted)}**"
        )
    lines += [f"- rule: {verdict.rule}", "", "## Top drifted features"]
    drifted = sorted((c for c in report.features if c.drifted), key=lambda c: -(c.effect or 0))
    lines += [
        f"- **{c.column}**: {result_line(c).replace('<b>', '').replace('</b>', '')}"
        for c in drifted[:10]
    ] or ["- none"]
    return tuple(lines)


def _volume(store: Store, model: str, spec: ModelSpec, report: DriftReport) -> go.Figure:
    summary = model_overview(store, model)
    if summary.first is None or summary.last is None:
        return volume_figure([], spec.reference, report.current)
    end = summary.last + dt.timedelta(microseconds=1)
    weeks = calendar_windows(store, model, "week", summary.first, end)
    return volume_figure(weeks, spec.reference, report.current)


def _current(report: DriftReport) -> str:
    if report.current_slice is not None:
        return f"uploaded slice {report.current_slice!r}"
    return window_label(report.current)


def _word(drifted: bool | None) -> str:
    return {True: "drift", False: "no drift", None: "not tested"}[drifted]


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "column"
