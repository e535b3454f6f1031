"""Realized model performance per window: metrics, intervals, label coverage and alerts.

Metrics are computed on the labelled rows of each window with scikit-learn's
metric functions (:mod:`monitoring.metrics`), each value with a percentile
bootstrap interval (:mod:`monitoring.resampling`), and compared with the
metric's reference band (:mod:`monitoring.bands`).

A window without rows is ``"empty"``; one whose rows have no label yet is
``"pending"`` (its metrics are absent, never zero); a metric a window cannot
define (ROC AUC with one class, R² of a constant target, precision without a
positive prediction ...) is ``"undefined"`` with the reason in words; fewer
labelled rows than ``min_labelled`` is ``"too_few"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from monitoring.errors import MonitoringError
from monitoring.performance.bands import (
    DEFAULT_BAND_SIGMAS,
    Alert,
    ReferenceBand,
    band_alerts,
    reference_bands,
)
from monitoring.performance.cells import PlanCells, cells_metrics, plan_cells
from monitoring.performance.metrics import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MIN_LABELLED,
    DEFAULT_RESAMPLES,
    MetricValue,
    check_metrics,
)
from monitoring.performance.records import (
    Records,
    labelled_sample,
    load_records,
    require_target,
)
from monitoring.performance.resampling import window_metrics, window_seed
from monitoring.schema import ReferenceWindow, Task
from monitoring.store.connection import Store
from monitoring.store.windows import Window, WindowPlan

WindowStatus = Literal["ok", "pending", "empty"]


@dataclass(frozen=True)
class WindowPerformance:
    """Realized performance of one window.

    ``status`` is ``"empty"`` (no rows), ``"pending"`` (rows, no label yet) or
    ``"ok"`` (some labelled rows; metrics may still be individually
    undefined). ``metrics`` maps each metric name to its value.
    """

    window: Window
    status: WindowStatus
    in_reference: bool
    metrics: Mapping[str, MetricValue]
    alerts: tuple[Alert, ...] = ()

    @property
    def label_coverage(self) -> float | None:
        """Share of the window's rows whose label has arrived (``None`` when empty)."""
        return self.window.label_coverage


@dataclass(frozen=True)
class PerformanceResult:
    """Realized performance of a model over a timeline of windows, with reference bands."""

    model: str
    task: Task
    metrics: tuple[str, ...]
    windows: tuple[WindowPerformance, ...]
    bands: Mapping[str, ReferenceBand]
    reference: ReferenceWindow
    plan: WindowPlan
    confidence: float
    resamples: int
    seed: int

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """Every out-of-band window and metric, in time order."""
        return tuple(a for w in self.windows for a in w.alerts)

    def frame(self) -> pd.DataFrame:
        """One row per window and metric, with the window's counts and the metric's band."""
        rows = []
        for w in self.windows:
            for name in self.metrics:
                value, band = w.metrics[name], self.bands[name]
                rows.append(
                    {
                        "start": w.window.start,
                        "end": w.window.end,
                        "rows": w.window.rows,
                        "labelled": w.window.labelled,
                        "label_coverage": w.label_coverage,
                        "window_status": w.status,
                        "in_reference": w.in_reference,
                        "metric": name,
                        **value.plain(),
                        "band_lower": band.lower,
                        "band_upper": band.upper,
                        "alert": any(a.metric == name for a in w.alerts),
                    }
                )
        return pd.DataFrame(rows)


def realized_performance(
    store: Store,
    model: str,
    plan: WindowPlan | None = None,
    *,
    metrics: Sequence[str] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
    min_labelled: int = DEFAULT_MIN_LABELLED,
    band_sigmas: float = DEFAULT_BAND_SIGMAS,
    cells: PlanCells | None = None,
) -> PerformanceResult:
    """Realized metrics per window over ``[start, end)``, with reference bands and alerts.

    Parameters
    ----------
    store, model
        Where the records are, and whose.
    plan
        How windows are cut and over which range (default: weeks over the
        whole history).
    metrics
        Names from :func:`metrics_for` (default: all of them).
    resamples, confidence, seed
        The bootstrap: number of resamples (0 skips intervals), the central
        interval's coverage, and the seed (combined with each window's start).
    min_labelled
        Windows with fewer labelled rows get ``"too_few"`` instead of values.
    band_sigmas
        Width of the reference band in reference-window standard deviations.
    cells
        A classifier's :func:`~monitoring.performance.cells.plan_cells` of
        ``plan``, when the caller has them already (saves a scan).
    """
    handle = store.model(model)
    plan = plan or WindowPlan()
    spec = handle.spec
    require_target(spec)
    names = check_metrics(spec, metrics)
    if not 0 < confidence < 1:
        raise MonitoringError(f"confidence must be between 0 and 1, got {confidence}")
    bounds = plan.bounds(handle)
    ref = spec.reference
    records = None
    results = []
    found: PlanCells | None = None
    if spec.task == "regression":
        if bounds is not None:
            windows = plan.over(*bounds).windows(handle)
            records = load_records(handle, *bounds)
            values = [
                _row_values(w, records, names, resamples, confidence, seed, min_labelled)
                for w in windows
            ]
            results = [
                _window_performance(w, v, names, ref) for w, v in zip(windows, values, strict=True)
            ]
    else:  # classifiers: from per-window counts computed in DuckDB
        found = cells if cells is not None and cells.plan == plan else plan_cells(handle, plan)
        results = [
            _window_performance(
                w,
                cells_metrics(
                    handle,
                    c,
                    names,
                    resamples=resamples,
                    confidence=confidence,
                    rng=window_seed(seed, w.start),
                    min_labelled=min_labelled,
                ),
                names,
                ref,
            )
            for w, c in zip(found.windows, found.cells, strict=True)
        ]
    bands = reference_bands(
        handle,
        plan,
        metrics=names,
        sigmas=band_sigmas,
        min_labelled=min_labelled,
        records=records,
        cells=found,
    )
    results = [replace(w, alerts=band_alerts(w.window, w.metrics, bands)) for w in results]
    return PerformanceResult(
        model=model,
        task=spec.task,
        metrics=names,
        windows=tuple(results),
        bands=bands,
        reference=ref,
        plan=plan,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def _row_values(
    window: Window,
    records: Records,
    metrics: tuple[str, ...],
    resamples: int,
    confidence: float,
    seed: int,
    min_labelled: int,
) -> dict[str, MetricValue]:
    """A regression window's metrics from its rows."""
    return window_metrics(
        labelled_sample(records.between(window.start, window.end)),
        metrics,
        resamples=resamples,
        confidence=confidence,
        rng=window_seed(seed, window.start),
        min_labelled=min_labelled,
    )


def _window_performance(
    window: Window,
    values: dict[str, MetricValue],
    metrics: tuple[str, ...],
    reference: ReferenceWindow,
) -> WindowPerformance:
    inside = reference.start <= window.start and window.end <= reference.end
    if window.rows == 0:
        empty = {m: MetricValue(m, None, None, None, "empty", "no records") for m in metrics}
        return WindowPerformance(window, "empty", inside, empty)
    pending = bool(values) and all(v.status == "pending" for v in values.values())
    return WindowPerformance(window, "pending" if pending else "ok", inside, values)
